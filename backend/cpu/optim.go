package cpu

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// optKind names the update an optTask runs.
type optKind int

const (
	optSGD optKind = iota
	optMomentum
	optNesterov
	optRMSprop
	optAdam
	optAdadelta
)

// optTask runs one fused optimizer update over a range of parameters.
type optTask struct {
	k          *vec.Kernels
	kind       optKind
	p, g, a, b []float32 // parameters, gradient and up to two buffers
	sgd        vec.SGD
	rms        vec.RMSprop
	adam       vec.Adam
	adadelta   vec.Adadelta
}

func (t *optTask) run(_, lo, hi int) {
	p, g := t.p[lo:hi], t.g[lo:hi]
	switch t.kind {
	case optSGD:
		t.k.SGD(p, g, t.sgd)
	case optMomentum, optNesterov:
		t.k.SGDMomentum(p, g, t.a[lo:hi], t.sgd, t.kind == optNesterov)
	case optRMSprop:
		t.k.RMSprop(p, g, t.a[lo:hi], t.rms)
	case optAdam:
		t.k.Adam(p, g, t.a[lo:hi], t.b[lo:hi], t.adam)
	case optAdadelta:
		t.k.Adadelta(p, g, t.a[lo:hi], t.b[lo:hi], t.adadelta)
	}
}

var optTasks freelist.List[optTask]

// step runs the update t describes over all parameters and recycles t.
func step(t *optTask) {
	parallelDo(len(t.p), elemGrain, t)
	*t = optTask{}
	optTasks.Put(t)
}

// newOptTask returns a pooled optTask for kind on p, g and buffers a, b.
func (b *Backend) newOptTask(kind optKind, p, g, a, bb *tensor) *optTask {
	t := optTasks.Get()
	*t = optTask{k: vec.For(b.level), kind: kind, p: p.data, g: g.data}
	if a != nil {
		t.a = a.data
	}
	if bb != nil {
		t.b = bb.data
	}
	return t
}

// SGDStep applies one SGD step to p in place (see backend.SGD): with
// g′ = g + λp, v = μv + (1−τ)g′ (when μ ≠ 0), d = g′ + μv if Nesterov, else
// v (g′ when μ = 0), it sets p = p − ηd. g is not modified. v may be nil
// when μ = 0.
func (b *Backend) SGDStep(p, g, v backend.Tensor, h backend.SGD) {
	tp, tg := b.tensor("SGDStep", p), b.tensor("SGDStep", g)
	check.SameLen("SGDStep", []string{"p", "g"}, tp.shape, tg.shape)
	var tv *tensor
	if v != nil {
		tv = b.tensor("SGDStep", v)
		check.SameLen("SGDStep", []string{"p", "v"}, tp.shape, tv.shape)
	}
	kind := optSGD
	if h.Momentum != 0 {
		if tv == nil {
			panic(fmt.Sprintf("cpu: SGDStep: nil momentum buffer for p %v with Momentum %g", tp.shape, h.Momentum))
		}
		kind = optMomentum
		if h.Nesterov {
			kind = optNesterov
		}
	}
	t := b.newOptTask(kind, tp, tg, tv, nil)
	t.sgd = vec.SGD{LR: h.LR, WD: h.WeightDecay, Mu: h.Momentum, Damp: 1 - h.Dampening}
	step(t)
}

// RMSpropStep applies one RMSprop step to p in place (see
// backend.RMSprop): with g′ = g + λp, it sets s = ρs + (1−ρ)g′² and
// p = p − ηg′/(√s + ε). g is not modified.
func (b *Backend) RMSpropStep(p, g, s backend.Tensor, h backend.RMSprop) {
	tp, tg, ts := b.tensor("RMSpropStep", p), b.tensor("RMSpropStep", g), b.tensor("RMSpropStep", s)
	check.SameLen("RMSpropStep", []string{"p", "g", "s"}, tp.shape, tg.shape, ts.shape)
	t := b.newOptTask(optRMSprop, tp, tg, ts, nil)
	t.rms = vec.RMSprop{LR: h.LR, Rho: h.Rho, Eps: h.Eps, WD: h.WeightDecay}
	step(t)
}

// AdamStep applies one Adam (or AdamW) step to p in place (see
// backend.Adam): with g′ = g + λp for Adam (g′ = g for AdamW, which first
// sets p = p − ηλp), it sets m = β₁m + (1−β₁)g′, v = β₂v + (1−β₂)g′² and
// p = p − η·(m/(1−β₁ᵗ))/(√(v/(1−β₂ᵗ)) + ε). g is not modified. It panics
// if Step is below 1.
func (b *Backend) AdamStep(p, g, m, v backend.Tensor, h backend.Adam) {
	tp, tg := b.tensor("AdamStep", p), b.tensor("AdamStep", g)
	tm, tv := b.tensor("AdamStep", m), b.tensor("AdamStep", v)
	check.SameLen("AdamStep", []string{"p", "g", "m", "v"}, tp.shape, tg.shape, tm.shape, tv.shape)
	if h.Step < 1 {
		panic(fmt.Sprintf("cpu: AdamStep: Step %d for p %v, want ≥ 1", h.Step, tp.shape))
	}
	st := float64(h.Step)
	c := vec.Adam{
		LR: h.LR, Beta1: h.Beta1, Beta2: h.Beta2, Eps: h.Eps, WD: h.WeightDecay, Decay: 1,
		BC1: float32(1 - math.Pow(float64(h.Beta1), st)),
		BC2: float32(1 - math.Pow(float64(h.Beta2), st)),
	}
	if h.Decoupled {
		c.Decay, c.WD = 1-h.LR*h.WeightDecay, 0
	}
	t := b.newOptTask(optAdam, tp, tg, tm, tv)
	t.adam = c
	step(t)
}

// AdadeltaStep applies one Adadelta step to p in place (see
// backend.Adadelta): with g′ = g + λp it sets s = ρs + (1−ρ)g′²,
// d = √(u+ε)/√(s+ε)·g′, u = ρu + (1−ρ)d² and p = p − ηd. g is not modified.
func (b *Backend) AdadeltaStep(p, g, s, u backend.Tensor, h backend.Adadelta) {
	tp, tg := b.tensor("AdadeltaStep", p), b.tensor("AdadeltaStep", g)
	ts, tu := b.tensor("AdadeltaStep", s), b.tensor("AdadeltaStep", u)
	check.SameLen("AdadeltaStep", []string{"p", "g", "s", "u"}, tp.shape, tg.shape, ts.shape, tu.shape)
	t := b.newOptTask(optAdadelta, tp, tg, ts, tu)
	t.adadelta = vec.Adadelta{LR: h.LR, Rho: h.Rho, Eps: h.Eps, WD: h.WeightDecay}
	step(t)
}
