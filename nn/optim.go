package nn

import (
	"fmt"
	"strings"

	"github.com/myelin-go/myelin/backend"
)

// Optimizer updates parameters from their gradients. It keeps its
// per-parameter state (momentum, moments) on the backend, allocated and
// zeroed on the first Step that sees the parameter.
type Optimizer interface {
	// Step updates every parameter from its Grad.
	Step(params []*Param)
	// LR returns the learning rate.
	LR() float32
	// SetLR sets the learning rate for the following steps.
	SetLR(lr float32)
	String() string
}

// DefaultAdam returns Adam's usual hyper-parameters with learning rate lr:
// β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no weight decay.
func DefaultAdam(lr float32) backend.Adam {
	return backend.Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// DefaultRMSprop returns RMSprop's usual hyper-parameters with learning
// rate lr: ρ = 0.99, ε = 1e-8, no weight decay.
func DefaultRMSprop(lr float32) backend.RMSprop {
	return backend.RMSprop{LR: lr, Rho: 0.99, Eps: 1e-8}
}

// zeros returns a new tensor on b shaped like t, filled with zeros.
func zeros(b backend.Backend, t backend.Tensor) backend.Tensor {
	z := b.Alloc(t.Shape()...)
	b.Fill(z, 0)
	return z
}

// sgd implements stochastic gradient descent (see backend.SGD).
type sgd struct {
	b backend.Backend
	h backend.SGD
	v map[*Param]backend.Tensor // momentum buffers, when h.Momentum ≠ 0
}

// NewSGD returns stochastic gradient descent on b with the hyper-parameters
// h: plain, with momentum (classical or Nesterov, with dampening) and with
// weight decay, in PyTorch's formulation (see backend.SGD).
func NewSGD(b backend.Backend, h backend.SGD) Optimizer {
	return &sgd{b: b, h: h, v: map[*Param]backend.Tensor{}}
}

func (o *sgd) Step(params []*Param) {
	for _, p := range params {
		var v backend.Tensor
		if o.h.Momentum != 0 {
			v = o.v[p]
			if v == nil {
				v = zeros(o.b, p.Value)
				o.v[p] = v
			}
		}
		o.b.SGDStep(p.Value, p.Grad, v, o.h)
	}
}

func (o *sgd) LR() float32      { return o.h.LR }
func (o *sgd) SetLR(lr float32) { o.h.LR = lr }

// String describes the optimizer, e.g. "SGD(lr 0.01, momentum 0.9, nesterov)".
func (o *sgd) String() string {
	parts := []string{fmt.Sprintf("lr %g", o.h.LR)}
	if o.h.Momentum != 0 {
		parts = append(parts, fmt.Sprintf("momentum %g", o.h.Momentum))
		if o.h.Dampening != 0 {
			parts = append(parts, fmt.Sprintf("dampening %g", o.h.Dampening))
		}
		if o.h.Nesterov {
			parts = append(parts, "nesterov")
		}
	}
	if o.h.WeightDecay != 0 {
		parts = append(parts, fmt.Sprintf("weight decay %g", o.h.WeightDecay))
	}
	return "SGD(" + strings.Join(parts, ", ") + ")"
}

// rmsprop implements RMSprop (see backend.RMSprop).
type rmsprop struct {
	b backend.Backend
	h backend.RMSprop
	s map[*Param]backend.Tensor // mean-square buffers
}

// NewRMSprop returns RMSprop on b with the hyper-parameters h (see
// backend.RMSprop and DefaultRMSprop).
func NewRMSprop(b backend.Backend, h backend.RMSprop) Optimizer {
	return &rmsprop{b: b, h: h, s: map[*Param]backend.Tensor{}}
}

func (o *rmsprop) Step(params []*Param) {
	for _, p := range params {
		s := o.s[p]
		if s == nil {
			s = zeros(o.b, p.Value)
			o.s[p] = s
		}
		o.b.RMSpropStep(p.Value, p.Grad, s, o.h)
	}
}

func (o *rmsprop) LR() float32      { return o.h.LR }
func (o *rmsprop) SetLR(lr float32) { o.h.LR = lr }

// String describes the optimizer, e.g. "RMSprop(lr 0.001, ρ 0.99, ε 1e-08)".
func (o *rmsprop) String() string {
	s := fmt.Sprintf("RMSprop(lr %g, ρ %g, ε %g", o.h.LR, o.h.Rho, o.h.Eps)
	if o.h.WeightDecay != 0 {
		s += fmt.Sprintf(", weight decay %g", o.h.WeightDecay)
	}
	return s + ")"
}

// adam implements Adam and AdamW (see backend.Adam).
type adam struct {
	b     backend.Backend
	h     backend.Adam
	state map[*Param]*adamState
}

// adamState is Adam's state for one parameter.
type adamState struct {
	m, v backend.Tensor // first and second moment estimates
	step int            // steps taken, for the bias corrections
}

// NewAdam returns Adam on b with the hyper-parameters h (see backend.Adam
// and DefaultAdam); h.Decoupled selects AdamW. h.Step is ignored: each
// parameter's step count t is kept by the optimizer, starting at 1 on the
// parameter's first Step, as PyTorch does.
func NewAdam(b backend.Backend, h backend.Adam) Optimizer {
	h.Step = 0
	return &adam{b: b, h: h, state: map[*Param]*adamState{}}
}

func (o *adam) Step(params []*Param) {
	for _, p := range params {
		st := o.state[p]
		if st == nil {
			st = &adamState{m: zeros(o.b, p.Value), v: zeros(o.b, p.Value)}
			o.state[p] = st
		}
		st.step++
		h := o.h
		h.Step = st.step
		o.b.AdamStep(p.Value, p.Grad, st.m, st.v, h)
	}
}

func (o *adam) LR() float32      { return o.h.LR }
func (o *adam) SetLR(lr float32) { o.h.LR = lr }

// String describes the optimizer, e.g.
// "Adam(lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-08)".
func (o *adam) String() string {
	name := "Adam"
	if o.h.Decoupled {
		name = "AdamW"
	}
	s := fmt.Sprintf("%s(lr %g, β₁ %g, β₂ %g, ε %g", name, o.h.LR, o.h.Beta1, o.h.Beta2, o.h.Eps)
	if o.h.WeightDecay != 0 {
		s += fmt.Sprintf(", weight decay %g", o.h.WeightDecay)
	}
	return s + ")"
}
