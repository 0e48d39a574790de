package nn_test

import (
	"fmt"
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
		{nn.NewAdamW(b, 0.001, 0.01), "AdamW(lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-08, weight decay 0.01)"},
		{nn.NewMomentum(b, 0.1, 0.9, true), "SGD(lr 0.1, momentum 0.9, dampening 0.9)"},
		{nn.NewAdadelta(b, nn.DefaultAdadelta(1)), "Adadelta(lr 1, ρ 0.9, ε 1e-06)"},
		{nn.NewAdadelta(b, backend.Adadelta{LR: 0.5, Rho: 0.95, Eps: 1e-5, WeightDecay: 0.1}), "Adadelta(lr 0.5, ρ 0.95, ε 1e-05, weight decay 0.1)"},
	} {
		if got := tc.opt.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

type refAdadelta struct {
	h    backend.Adadelta
	s, u []float64
}

func (o *refAdadelta) step(p, g []float64, lr float64) {
	rho, eps, wd := float64(o.h.Rho), float64(o.h.Eps), float64(o.h.WeightDecay)
	if o.s == nil {
		o.s, o.u = make([]float64, len(p)), make([]float64, len(p))
	}
	for i := range p {
		gi := g[i] + wd*p[i]
		o.s[i] = rho*o.s[i] + (1-rho)*gi*gi
		d := math.Sqrt(o.u[i]+eps) / math.Sqrt(o.s[i]+eps) * gi
		o.u[i] = rho*o.u[i] + (1-rho)*d*d
		p[i] -= lr * d
	}
}

// TestOptimizerTrajectories runs each optimizer for a few steps on the
// quadratic f(p) = ½·Σ aᵢ(pᵢ − cᵢ)², whose gradient a∘(p − c) is taken at
// the optimizer's own float32 iterate, and compares the iterates with a
// float64 reference run of the documented formula. Ten float32 steps of
// values of unit scale keep the difference near 1e-6 (the gradient
// feedback adds a few roundings per step).
func TestOptimizerTrajectories(t *testing.T) {
	const size, steps = 5, 10
	momentum := backend.SGD{LR: 0.1, Momentum: 0.9}
	dampened := backend.SGD{LR: 0.1, Momentum: 0.9, Dampening: 0.9}
	adamW := nn.DefaultAdam(0.05)
	adamW.WeightDecay, adamW.Decoupled = 0.01, true
	decayed := nn.DefaultAdadelta(1)
	decayed.WeightDecay = 0.1
	for _, tc := range []struct {
		name string
		opt  func(b backend.Backend) nn.Optimizer
		ref  refOptimizer
	}{
		{"momentum v = βv + g", func(b backend.Backend) nn.Optimizer { return nn.NewMomentum(b, 0.1, 0.9, false) },
			&refSGD{h: momentum}},
		{"momentum v = βv + (1−β)g", func(b backend.Backend) nn.Optimizer { return nn.NewMomentum(b, 0.1, 0.9, true) },
			&refSGD{h: dampened}},
		{"Nesterov", func(b backend.Backend) nn.Optimizer {
			return nn.NewSGD(b, backend.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true})
		}, &refSGD{h: backend.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true}}},
		{"RMSprop", func(b backend.Backend) nn.Optimizer { return nn.NewRMSprop(b, nn.DefaultRMSprop(0.01)) },
			&refRMSprop{h: nn.DefaultRMSprop(0.01)}},
		{"Adam", func(b backend.Backend) nn.Optimizer { return nn.NewAdam(b, nn.DefaultAdam(0.05)) },
			&refAdam{h: nn.DefaultAdam(0.05)}},
		{"AdamW", func(b backend.Backend) nn.Optimizer { return nn.NewAdamW(b, 0.05, 0.01) }, &refAdam{h: adamW}},
		{"Adadelta", func(b backend.Backend) nn.Optimizer { return nn.NewAdadelta(b, nn.DefaultAdadelta(1)) },
			&refAdadelta{h: nn.DefaultAdadelta(1)}},
		{"Adadelta+decay", func(b backend.Backend) nn.Optimizer { return nn.NewAdadelta(b, decayed) },
			&refAdadelta{h: decayed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newCPU(t)
			rng := rand.New(rand.NewSource(33))
			a, c := randSlice(rng, size, 0.5, 2), randSlice(rng, size, -1, 1)
			p0 := randSlice(rng, size, -1, 1)
			param := &nn.Param{Name: "p", Value: upload(b, p0, size), Grad: b.Alloc(size)}
			opt := tc.opt(b)
			want := make([]float64, size)
			for i, v := range p0 {
				want[i] = float64(v)
			}
			grad64 := func(p []float64) []float64 {
				g := make([]float64, size)
				for i := range g {
					g[i] = float64(a[i]) * (p[i] - float64(c[i]))
				}
				return g
			}
			for range steps {
				p := download(b, param.Value)
				g := make([]float32, size)
				for i := range g {
					g[i] = a[i] * (p[i] - c[i])
				}
				b.Upload(param.Grad, g)
				opt.Step([]*nn.Param{param})
				tc.ref.step(want, grad64(want), float64(opt.LR()))
			}
			assertClose(t, tc.name+" iterate", download(b, param.Value), want, 1e-5, 1e-5)
			moved := 0.0
			for i, v := range want {
				moved += math.Abs(v - float64(p0[i]))
			}
			if moved < 1e-2 {
				t.Errorf("%s: the reference moved only %g in %d steps; the comparison says little", tc.name, moved, steps)
			}
		})
	}
}

// TestOptimizerState checks State: PyTorch's buffer names per optimizer,
// zeroed buffers created before the first Step, the same tensors the steps
// update, and Adam's step counters, which a loader can set.
func TestOptimizerState(t *testing.T) {
	b := newCPU(t)
	newParams := func() []*nn.Param {
		return []*nn.Param{
			{Name: "0.weight", Value: upload(b, []float32{0.5, -0.5, 1, 2, -1, 0}, 2, 3), Grad: upload(b, []float32{1, 2, 3, -1, -2, -3}, 2, 3)},
			{Name: "0.bias", Value: upload(b, []float32{0.1, 0.2}, 2), Grad: upload(b, []float32{0.5, -0.5}, 2)},
		}
	}
	for _, tc := range []struct {
		opt   nn.Optimizer
		names []string
	}{
		{nn.NewSGD(b, backend.SGD{LR: 0.1}), nil},
		{nn.NewMomentum(b, 0.1, 0.9, false), []string{"0.weight.momentum_buffer", "0.bias.momentum_buffer"}},
		{nn.NewRMSprop(b, nn.DefaultRMSprop(0.01)), []string{"0.weight.square_avg", "0.bias.square_avg"}},
		{nn.NewAdam(b, nn.DefaultAdam(0.01)), []string{"0.weight.exp_avg", "0.weight.exp_avg_sq", "0.bias.exp_avg", "0.bias.exp_avg_sq"}},
		{nn.NewAdadelta(b, nn.DefaultAdadelta(1)), []string{"0.weight.square_avg", "0.weight.acc_delta", "0.bias.square_avg", "0.bias.acc_delta"}},
	} {
		params := newParams()
		st := tc.opt.State(params)
		var names []string
		for _, buf := range st.Buffers {
			names = append(names, buf.Name)
			if buf.Grad != nil {
				t.Errorf("%v: buffer %s has a Grad", tc.opt, buf.Name)
			}
			for i, v := range download(b, buf.Value) {
				if v != 0 {
					t.Fatalf("%v: new buffer %s[%d] = %v, want 0", tc.opt, buf.Name, i, v)
				}
			}
		}
		if fmt.Sprint(names) != fmt.Sprint(tc.names) {
			t.Errorf("%v: buffers %v, want %v", tc.opt, names, tc.names)
		}
		tc.opt.Step(params)
		// The state's tensors are the ones the step updated.
		again := tc.opt.State(params)
		for i, buf := range again.Buffers {
			if buf.Value != st.Buffers[i].Value {
				t.Errorf("%v: State after Step returned another tensor for %s", tc.opt, buf.Name)
			}
		}
	}

	// Adam's counters: a loader sets step 10, so the next step is the 11th.
	h := nn.DefaultAdam(0.01)
	opt := nn.NewAdam(b, h)
	params := newParams()
	st := opt.State(params)
	if len(st.Steps) != 2 || st.Steps["0.weight.step"] == nil || st.Steps["0.bias.step"] == nil {
		t.Fatalf("Adam Steps = %v, want 0.weight.step and 0.bias.step", st.Steps)
	}
	m, v := []float32{0.1, -0.2}, []float32{0.01, 0.02}
	b.Upload(st.Buffers[2].Value, m)
	b.Upload(st.Buffers[3].Value, v)
	*st.Steps["0.bias.step"] = 10
	opt.Step(params[1:])
	ref := &refAdam{h: h, m: []float64{0.1, -0.2}, v: []float64{0.01, 0.02}, t: 10}
	for i := range ref.m { // the reference starts from the float32 buffers
		ref.m[i], ref.v[i] = float64(m[i]), float64(v[i])
	}
	want := []float64{float64(float32(0.1)), float64(float32(0.2))}
	ref.step(want, []float64{0.5, -0.5}, 0.01)
	assertClose(t, "Adam bias after a loaded step 10", download(b, params[1].Value), want, 1e-7, 1e-6)
	if *st.Steps["0.bias.step"] != 11 {
		t.Errorf("step counter %d after one more step, want 11", *st.Steps["0.bias.step"])
	}
}
