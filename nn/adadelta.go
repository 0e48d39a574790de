package nn

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// DefaultAdadelta returns Adadelta's usual hyper-parameters (PyTorch's
// defaults) with learning rate lr: ρ = 0.9, ε = 1e-6, no weight decay.
// PyTorch's default lr is 1.0, the paper's method; its MNIST example
// uses 1.0 with a step decay of 0.7 per epoch.
func DefaultAdadelta(lr float32) backend.Adadelta {
	return backend.Adadelta{LR: lr, Rho: 0.9, Eps: 1e-6}
}

// adadelta implements Adadelta (see backend.Adadelta).
type adadelta struct {
	b     backend.Backend
	h     backend.Adadelta
	state map[*Param]*adadeltaState
}

// adadeltaState is Adadelta's state for one parameter.
type adadeltaState struct {
	s, u backend.Tensor // running averages of g² and of the squared updates
}

// NewAdadelta returns Adadelta (Zeiler, 2012) on b with the
// hyper-parameters h (see backend.Adadelta and DefaultAdadelta).
func NewAdadelta(b backend.Backend, h backend.Adadelta) Optimizer {
	return &adadelta{b: b, h: h, state: map[*Param]*adadeltaState{}}
}

// stateOf returns the state of p, creating it zeroed.
func (o *adadelta) stateOf(p *Param) *adadeltaState {
	st := o.state[p]
	if st == nil {
		st = &adadeltaState{s: zeros(o.b, p.Value), u: zeros(o.b, p.Value)}
		o.state[p] = st
	}
	return st
}

func (o *adadelta) Step(params []*Param) {
	for _, p := range params {
		st := o.stateOf(p)
		o.b.AdadeltaStep(p.Value, p.Grad, st.s, st.u, o.h)
	}
}

// State returns the running averages ("square_avg" of g², "acc_delta" of
// the squared updates).
func (o *adadelta) State(params []*Param) OptState {
	var s OptState
	for _, p := range params {
		st := o.stateOf(p)
		s.add(p, "square_avg", st.s)
		s.add(p, "acc_delta", st.u)
	}
	return s
}

func (o *adadelta) LR() float32      { return o.h.LR }
func (o *adadelta) SetLR(lr float32) { o.h.LR = lr }

// String describes the optimizer, e.g. "Adadelta(lr 1, ρ 0.9, ε 1e-06)".
func (o *adadelta) String() string {
	s := fmt.Sprintf("Adadelta(lr %g, ρ %g, ε %g", o.h.LR, o.h.Rho, o.h.Eps)
	if o.h.WeightDecay != 0 {
		s += fmt.Sprintf(", weight decay %g", o.h.WeightDecay)
	}
	return s + ")"
}
