package nn_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// refOptimizer is a float64 reference of one optimizer: step updates p in
// place from gradient g, with lr the learning rate of that step.
type refOptimizer interface {
	step(p, g []float64, lr float64)
}

type refSGD struct {
	h backend.SGD
	v []float64
}

func (o *refSGD) step(p, g []float64, lr float64) {
	mu, tau, wd := float64(o.h.Momentum), float64(o.h.Dampening), float64(o.h.WeightDecay)
	if o.v == nil {
		o.v = make([]float64, len(p))
	}
	for i := range p {
		gi := g[i] + wd*p[i]
		d := gi
		if mu != 0 {
			o.v[i] = mu*o.v[i] + (1-tau)*gi
			d = o.v[i]
			if o.h.Nesterov {
				d = gi + mu*o.v[i]
			}
		}
		p[i] -= lr * d
	}
}

type refRMSprop struct {
	h backend.RMSprop
	s []float64
}

func (o *refRMSprop) step(p, g []float64, lr float64) {
	rho, eps, wd := float64(o.h.Rho), float64(o.h.Eps), float64(o.h.WeightDecay)
	if o.s == nil {
		o.s = make([]float64, len(p))
	}
	for i := range p {
		gi := g[i] + wd*p[i]
		o.s[i] = rho*o.s[i] + (1-rho)*gi*gi
		p[i] -= lr * gi / (math.Sqrt(o.s[i]) + eps)
	}
}

type refAdam struct {
	h    backend.Adam
	m, v []float64
	t    int
}

func (o *refAdam) step(p, g []float64, lr float64) {
	b1, b2, eps, wd := float64(o.h.Beta1), float64(o.h.Beta2), float64(o.h.Eps), float64(o.h.WeightDecay)
	if o.m == nil {
		o.m, o.v = make([]float64, len(p)), make([]float64, len(p))
	}
	o.t++
	for i := range p {
		gi := g[i]
		if o.h.Decoupled {
			p[i] -= lr * wd * p[i]
		} else {
			gi += wd * p[i]
		}
		o.m[i] = b1*o.m[i] + (1-b1)*gi
		o.v[i] = b2*o.v[i] + (1-b2)*gi*gi
		mhat := o.m[i] / (1 - math.Pow(b1, float64(o.t)))
		vhat := o.v[i] / (1 - math.Pow(b2, float64(o.t)))
		p[i] -= lr * mhat / (math.Sqrt(vhat) + eps)
	}
}

func TestOptimizers(t *testing.T) {
	const size, steps = 6, 6
	cases := []struct {
		name string
		opt  func(b backend.Backend) nn.Optimizer
		ref  refOptimizer
	}{
		{"SGD", func(b backend.Backend) nn.Optimizer { return nn.NewSGD(b, backend.SGD{LR: 0.1}) },
			&refSGD{h: backend.SGD{LR: 0.1}}},
		{"momentum", func(b backend.Backend) nn.Optimizer { return nn.NewSGD(b, backend.SGD{LR: 0.1, Momentum: 0.9}) },
			&refSGD{h: backend.SGD{LR: 0.1, Momentum: 0.9}}},
		{"dampening+decay", func(b backend.Backend) nn.Optimizer {
			return nn.NewSGD(b, backend.SGD{LR: 0.05, Momentum: 0.8, Dampening: 0.3, WeightDecay: 0.01})
		}, &refSGD{h: backend.SGD{LR: 0.05, Momentum: 0.8, Dampening: 0.3, WeightDecay: 0.01}}},
		{"Nesterov", func(b backend.Backend) nn.Optimizer {
			return nn.NewSGD(b, backend.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true})
		}, &refSGD{h: backend.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}}},
		{"RMSprop", func(b backend.Backend) nn.Optimizer { return nn.NewRMSprop(b, nn.DefaultRMSprop(0.01)) },
			&refRMSprop{h: nn.DefaultRMSprop(0.01)}},
		{"RMSprop+decay", func(b backend.Backend) nn.Optimizer {
			return nn.NewRMSprop(b, backend.RMSprop{LR: 0.01, Rho: 0.9, Eps: 1e-6, WeightDecay: 0.1})
		}, &refRMSprop{h: backend.RMSprop{LR: 0.01, Rho: 0.9, Eps: 1e-6, WeightDecay: 0.1}}},
		{"Adam", func(b backend.Backend) nn.Optimizer { return nn.NewAdam(b, nn.DefaultAdam(0.01)) },
			&refAdam{h: nn.DefaultAdam(0.01)}},
		{"Adam+decay", func(b backend.Backend) nn.Optimizer {
			return nn.NewAdam(b, backend.Adam{LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1, Step: 99})
		}, &refAdam{h: backend.Adam{LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1}}},
		{"AdamW", func(b backend.Backend) nn.Optimizer {
			h := nn.DefaultAdam(0.01)
			h.WeightDecay, h.Decoupled = 0.1, true
			return nn.NewAdam(b, h)
		}, &refAdam{h: backend.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newCPU(t)
			rng := rand.New(rand.NewSource(31))
			p0 := randSlice(rng, size, -1, 1)
			param := &nn.Param{Name: "p", Value: upload(b, p0, 2, 3), Grad: b.Alloc(2, 3)}
			opt := tc.opt(b)
			want := make([]float64, size)
			for i, v := range p0 {
				want[i] = float64(v)
			}
			for s := range steps {
				if s == steps/2 { // the learning rate may change between steps
					opt.SetLR(opt.LR() / 2)
				}
				g := randSlice(rng, size, -1, 1)
				b.Upload(param.Grad, g)
				opt.Step([]*nn.Param{param})
				g64 := make([]float64, size)
				for i, v := range g {
					g64[i] = float64(v)
				}
				tc.ref.step(want, g64, float64(opt.LR()))
			}
			// Six float32 steps of values near 1: rounding stays near 1e-6.
			assertClose(t, tc.name+" parameter", download(b, param.Value), want, 1e-5, 1e-5)
		})
	}
}

// TestAdamStepPerParam checks that Adam counts steps per parameter: a
// parameter first seen at the optimizer's third step gets the bias
// correction of a first step.
func TestAdamStepPerParam(t *testing.T) {
	b := newCPU(t)
	h := nn.DefaultAdam(0.1)
	opt := nn.NewAdam(b, h)
	rng := rand.New(rand.NewSource(32))
	early := &nn.Param{Name: "early", Value: upload(b, randSlice(rng, 3, -1, 1), 3), Grad: upload(b, randSlice(rng, 3, -1, 1), 3)}
	opt.Step([]*nn.Param{early})
	opt.Step([]*nn.Param{early})
	p0, g := randSlice(rng, 3, -1, 1), randSlice(rng, 3, -1, 1)
	late := &nn.Param{Name: "late", Value: upload(b, p0, 3), Grad: upload(b, g, 3)}
	opt.Step([]*nn.Param{early, late})
	ref := &refAdam{h: h}
	want := []float64{float64(p0[0]), float64(p0[1]), float64(p0[2])}
	ref.step(want, []float64{float64(g[0]), float64(g[1]), float64(g[2])}, 0.1)
	assertClose(t, "late parameter", download(b, late.Value), want, 1e-6, 1e-5)
}

func TestOptimizerStrings(t *testing.T) {
	b := newCPU(t)
	for _, tc := range []struct {
		opt  nn.Optimizer
		want string
	}{
		{nn.NewSGD(b, backend.SGD{LR: 0.1}), "SGD(lr 0.1)"},
		{nn.NewSGD(b, backend.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4}), "SGD(lr 0.1, momentum 0.9, nesterov, weight decay 0.0001)"},
		{nn.NewRMSprop(b, nn.DefaultRMSprop(0.001)), "RMSprop(lr 0.001, ρ 0.99, ε 1e-08)"},
		{nn.NewAdam(b, nn.DefaultAdam(0.001)), "Adam(lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-08)"},
		{nn.NewAdam(b, backend.Adam{LR: 0.001, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Decoupled: true}),
			"AdamW(lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-08, weight decay 0.01)"},
	} {
		if got := tc.opt.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
