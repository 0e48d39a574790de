package cpu

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
)

// SGDStep applies one SGD step to p in place (see backend.SGD): with
// g′ = g + λp, v = μv + (1−τ)g′ (when μ ≠ 0), d = g′ + μv if Nesterov, else
// v (g′ when μ = 0), it sets p = p − ηd. g is not modified. v may be nil
// when μ = 0.
func (b *Backend) SGDStep(p, g, v backend.Tensor, h backend.SGD) {
	tp, tg := b.tensor("SGDStep", p), b.tensor("SGDStep", g)
	checkSameLen("SGDStep", []string{"p", "g"}, tp, tg)
	var tv *tensor
	if v != nil {
		tv = b.tensor("SGDStep", v)
		checkSameLen("SGDStep", []string{"p", "v"}, tp, tv)
	}
	if h.Momentum == 0 {
		parallelFor(len(tp.data), elemGrain, func(_, lo, hi int) {
			ps, gs := tp.data[lo:hi], tg.data[lo:hi]
			for i, pi := range ps {
				ps[i] = pi - h.LR*(gs[i]+h.WeightDecay*pi)
			}
		})
		return
	}
	if tv == nil {
		panic(fmt.Sprintf("cpu: SGDStep: nil momentum buffer for p %v with Momentum %g", tp.shape, h.Momentum))
	}
	parallelFor(len(tp.data), elemGrain, func(_, lo, hi int) {
		ps, gs, vs := tp.data[lo:hi], tg.data[lo:hi], tv.data[lo:hi]
		for i, pi := range ps {
			gi := gs[i] + h.WeightDecay*pi
			vi := h.Momentum*vs[i] + (1-h.Dampening)*gi
			vs[i] = vi
			if h.Nesterov {
				vi = gi + h.Momentum*vi
			}
			ps[i] = pi - h.LR*vi
		}
	})
}

// RMSpropStep applies one RMSprop step to p in place (see
// backend.RMSprop): with g′ = g + λp, it sets s = ρs + (1−ρ)g′² and
// p = p − ηg′/(√s + ε). g is not modified.
func (b *Backend) RMSpropStep(p, g, s backend.Tensor, h backend.RMSprop) {
	tp, tg, ts := b.tensor("RMSpropStep", p), b.tensor("RMSpropStep", g), b.tensor("RMSpropStep", s)
	checkSameLen("RMSpropStep", []string{"p", "g", "s"}, tp, tg, ts)
	parallelFor(len(tp.data), elemGrain, func(_, lo, hi int) {
		ps, gs, ss := tp.data[lo:hi], tg.data[lo:hi], ts.data[lo:hi]
		for i, pi := range ps {
			gi := gs[i] + h.WeightDecay*pi
			si := h.Rho*ss[i] + (1-h.Rho)*gi*gi
			ss[i] = si
			ps[i] = pi - h.LR*gi/(sqrt32(si)+h.Eps)
		}
	})
}

// AdamStep applies one Adam (or AdamW) step to p in place (see
// backend.Adam): with g′ = g + λp for Adam (g′ = g for AdamW, which first
// sets p = p − ηλp), it sets m = β₁m + (1−β₁)g′, v = β₂v + (1−β₂)g′² and
// p = p − η·(m/(1−β₁ᵗ))/(√(v/(1−β₂ᵗ)) + ε). g is not modified. It panics
// if Step is below 1.
func (b *Backend) AdamStep(p, g, m, v backend.Tensor, h backend.Adam) {
	tp, tg := b.tensor("AdamStep", p), b.tensor("AdamStep", g)
	tm, tv := b.tensor("AdamStep", m), b.tensor("AdamStep", v)
	checkSameLen("AdamStep", []string{"p", "g", "m", "v"}, tp, tg, tm, tv)
	if h.Step < 1 {
		panic(fmt.Sprintf("cpu: AdamStep: Step %d for p %v, want ≥ 1", h.Step, tp.shape))
	}
	t := float64(h.Step)
	bc1 := float32(1 - math.Pow(float64(h.Beta1), t))
	bc2 := float32(1 - math.Pow(float64(h.Beta2), t))
	decay, coupled := float32(1), h.WeightDecay
	if h.Decoupled {
		decay, coupled = 1-h.LR*h.WeightDecay, 0
	}
	parallelFor(len(tp.data), elemGrain, func(_, lo, hi int) {
		ps, gs, ms, vs := tp.data[lo:hi], tg.data[lo:hi], tm.data[lo:hi], tv.data[lo:hi]
		for i, pi := range ps {
			gi := gs[i] + coupled*pi
			mi := h.Beta1*ms[i] + (1-h.Beta1)*gi
			vi := h.Beta2*vs[i] + (1-h.Beta2)*gi*gi
			ms[i], vs[i] = mi, vi
			ps[i] = decay*pi - h.LR*(mi/bc1)/(sqrt32(vi/bc2)+h.Eps)
		}
	})
}

// sqrt32 returns √x in float32 (the compiler emits a single instruction).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// AdadeltaStep applies one Adadelta step to p in place (see
// backend.Adadelta): with g′ = g + λp it sets s = ρs + (1−ρ)g′²,
// d = √(u+ε)/√(s+ε)·g′, u = ρu + (1−ρ)d² and p = p − ηd. g is not modified.
func (b *Backend) AdadeltaStep(p, g, s, u backend.Tensor, h backend.Adadelta) {
	tp, tg := b.tensor("AdadeltaStep", p), b.tensor("AdadeltaStep", g)
	ts, tu := b.tensor("AdadeltaStep", s), b.tensor("AdadeltaStep", u)
	checkSameLen("AdadeltaStep", []string{"p", "g", "s", "u"}, tp, tg, ts, tu)
	parallelFor(len(tp.data), elemGrain, func(_, lo, hi int) {
		ps, gs, ss, us := tp.data[lo:hi], tg.data[lo:hi], ts.data[lo:hi], tu.data[lo:hi]
		for i, pi := range ps {
			gi := gs[i] + h.WeightDecay*pi
			si := h.Rho*ss[i] + (1-h.Rho)*gi*gi
			d := sqrt32(us[i]+h.Eps) / sqrt32(si+h.Eps) * gi
			ss[i], us[i] = si, h.Rho*us[i]+(1-h.Rho)*d*d
			ps[i] = pi - h.LR*d
		}
	})
}
