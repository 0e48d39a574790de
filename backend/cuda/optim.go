//go:build cuda

package cuda

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// DropoutMask fills mask with 1/(1−p) where backend.DropoutUniform(seed, i)
// ≥ p and 0 elsewhere, computing the same SplitMix64 draw on the GPU. It
// panics unless 0 ≤ p < 1.
func (b *Backend) DropoutMask(mask backend.Tensor, p float32, seed uint64) {
	tm := b.tensor("DropoutMask", mask)
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("cuda: DropoutMask: p = %g for mask %v, want 0 ≤ p < 1", p, tm.shape))
	}
	n := tm.len()
	b.launch("DropoutMask", kernels.DropoutMask, b.grid(n), new(args).ptr(tm).i64(n).f32(p).f32(1/(1-p)).u64(seed))
}

// SGDStep applies one SGD step to p in place (see backend.SGD). v may be
// nil when h.Momentum is 0.
func (b *Backend) SGDStep(p, g, v backend.Tensor, h backend.SGD) {
	tp, tg := b.tensor("SGDStep", p), b.tensor("SGDStep", g)
	check.SameLen("SGDStep", []string{"p", "g"}, tp.shape, tg.shape)
	var vp uint64
	if h.Momentum != 0 {
		if v == nil {
			panic(fmt.Sprintf("cuda: SGDStep: nil momentum buffer for p %v with Momentum %g", tp.shape, h.Momentum))
		}
		tv := b.tensor("SGDStep", v)
		check.SameLen("SGDStep", []string{"p", "v"}, tp.shape, tv.shape)
		vp = tv.ptr
	} else if v != nil {
		check.SameLen("SGDStep", []string{"p", "v"}, tp.shape, b.tensor("SGDStep", v).shape)
	}
	nesterov := 0
	if h.Nesterov {
		nesterov = 1
	}
	n := tp.len()
	b.launch("SGDStep", kernels.SGD, b.grid(n), new(args).ptr(tp).ptr(tg).addr(vp).i64(n).
		f32(h.LR).f32(h.Momentum).f32(h.Dampening).f32(h.WeightDecay).i32(nesterov))
}

// RMSpropStep applies one RMSprop step to p in place (see backend.RMSprop).
func (b *Backend) RMSpropStep(p, g, s backend.Tensor, h backend.RMSprop) {
	tp, tg, ts := b.tensor("RMSpropStep", p), b.tensor("RMSpropStep", g), b.tensor("RMSpropStep", s)
	check.SameLen("RMSpropStep", []string{"p", "g", "s"}, tp.shape, tg.shape, ts.shape)
	n := tp.len()
	b.launch("RMSpropStep", kernels.RMSprop, b.grid(n), new(args).ptr(tp).ptr(tg).ptr(ts).i64(n).
		f32(h.LR).f32(h.Rho).f32(h.Eps).f32(h.WeightDecay))
}

// AdamStep applies one Adam (or AdamW) step to p in place (see
// backend.Adam), with the bias corrections 1 − βᵗ computed on the host in
// float64 and rounded to float32. It panics if Step is below 1.
func (b *Backend) AdamStep(p, g, m, v backend.Tensor, h backend.Adam) {
	tp, tg := b.tensor("AdamStep", p), b.tensor("AdamStep", g)
	tm, tv := b.tensor("AdamStep", m), b.tensor("AdamStep", v)
	check.SameLen("AdamStep", []string{"p", "g", "m", "v"}, tp.shape, tg.shape, tm.shape, tv.shape)
	if h.Step < 1 {
		panic(fmt.Sprintf("cuda: AdamStep: Step %d for p %v, want ≥ 1", h.Step, tp.shape))
	}
	t := float64(h.Step)
	bc1 := float32(1 - math.Pow(float64(h.Beta1), t))
	bc2 := float32(1 - math.Pow(float64(h.Beta2), t))
	decay, coupled := float32(1), h.WeightDecay
	if h.Decoupled {
		decay, coupled = 1-h.LR*h.WeightDecay, 0
	}
	n := tp.len()
	b.launch("AdamStep", kernels.Adam, b.grid(n), new(args).ptr(tp).ptr(tg).ptr(tm).ptr(tv).i64(n).
		f32(h.LR).f32(h.Beta1).f32(h.Beta2).f32(h.Eps).f32(coupled).f32(decay).f32(bc1).f32(bc2))
}

// AdadeltaStep applies one Adadelta step to p in place (see
// backend.Adadelta).
func (b *Backend) AdadeltaStep(p, g, s, u backend.Tensor, h backend.Adadelta) {
	tp, tg := b.tensor("AdadeltaStep", p), b.tensor("AdadeltaStep", g)
	ts, tu := b.tensor("AdadeltaStep", s), b.tensor("AdadeltaStep", u)
	check.SameLen("AdadeltaStep", []string{"p", "g", "s", "u"}, tp.shape, tg.shape, ts.shape, tu.shape)
	n := tp.len()
	b.launch("AdadeltaStep", kernels.Adadelta, b.grid(n), new(args).ptr(tp).ptr(tg).ptr(ts).ptr(tu).i64(n).
		f32(h.LR).f32(h.Rho).f32(h.Eps).f32(h.WeightDecay))
}
