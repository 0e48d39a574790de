package nn

import (
	"fmt"
	"strings"

	"github.com/myelin-go/myelin/backend"
)

// Optimizer updates parameters from their gradients. It keeps its
// per-parameter state (momentum, moments) on the backend, allocated and
// zeroed on the first Step or State that sees the parameter.
type Optimizer interface {
	// Step updates every parameter from its Grad.
	Step(params []*Param)
	// LR returns the learning rate.
	LR() float32
	// SetLR sets the learning rate for the following steps.
	SetLR(lr float32)
	String() string
	// State returns the optimizer's state for params, for checkpoints,
	// creating zeroed buffers for params that have none yet (so a loader
	// can fill them before the first Step).
	State(params []*Param) OptState
}

// OptState is an optimizer's state.
type OptState struct {
	// Buffers are per-parameter tensors named "<param name>.<buffer>"
	// with PyTorch's buffer names: momentum_buffer (SGD), square_avg
	// (RMSprop, Adadelta), acc_delta (Adadelta), exp_avg and exp_avg_sq
	// (Adam/AdamW). Value is the tensor; Grad is nil. They come in the
	// order of params, each parameter's buffers in the order above.
	Buffers []*Param
	// Steps are Adam's per-parameter step counters, "<param name>.step";
	// a loader sets them through the pointer. Nil for other optimizers.
	Steps map[string]*int
}

// add appends buffer t of parameter p to s under the name
// "<p.Name>.<name>".
func (s *OptState) add(p *Param, name string, t backend.Tensor) {
	s.Buffers = append(s.Buffers, &Param{Name: p.Name + "." + name, Value: t})
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
	// packed holds the contiguous momentum buffer of packed parameters
	// (Sequential.PackParams), whose buffers in v are views of it.
	packed map[*packing]backend.Tensor
}

// NewSGD returns stochastic gradient descent on b with the hyper-parameters
// h: plain, with momentum (classical or Nesterov, with dampening) and with
// weight decay, in PyTorch's formulation (see backend.SGD).
func NewSGD(b backend.Backend, h backend.SGD) Optimizer {
	return &sgd{b: b, h: h, v: map[*Param]backend.Tensor{}, packed: map[*packing]backend.Tensor{}}
}

// NewMomentum returns SGD with momentum β on b at learning rate lr, in
// one of the two common formulations of the velocity v:
//
//	v ← β·v + (1−β)·g   (dampened: an exponential average of gradients)
//	v ← β·v + g         (not dampened: PyTorch's default, classical momentum)
//
// followed by p ← p − lr·v, with v starting at 0. The dampened form is
// backend.SGD with Dampening = Momentum; its steps are smaller by 1−β in
// the steady state, so it needs a learning rate larger by 1/(1−β) for the
// same progress. (PyTorch's SGD with dampening=β starts v at g instead of
// (1−β)·g, so its first step is larger; the undampened forms agree.)
func NewMomentum(b backend.Backend, lr, beta float32, dampened bool) Optimizer {
	h := backend.SGD{LR: lr, Momentum: beta}
	if dampened {
		h.Dampening = beta
	}
	return NewSGD(b, h)
}

// buffer returns the momentum buffer of p, creating it zeroed: for a
// packed parameter, the contiguous buffer of its whole packing at once
// (packBuffer), and its own as a view of it.
func (o *sgd) buffer(p *Param) backend.Tensor {
	v := o.v[p]
	if v == nil && p.pack != nil {
		o.packBuffer(p.pack)
		v = o.v[p]
	}
	if v == nil {
		v = zeros(o.b, p.Value)
		o.v[p] = v
	}
	return v
}

// packBuffer creates the zeroed momentum buffer of the packing pk and the
// views of it that are its parameters' buffers, and returns it; nil when a
// parameter of pk has a buffer of its own already.
func (o *sgd) packBuffer(pk *packing) backend.Tensor {
	for _, q := range pk.params {
		if o.v[q] != nil {
			return nil
		}
	}
	vw := o.b.(backend.Viewer) // a packing exists only on a backend with views
	flat := zeros(o.b, pk.value)
	o.packed[pk] = flat
	for i, q := range pk.params {
		o.v[q] = pk.view(vw, flat, i)
	}
	return flat
}

// Step implements Optimizer. Given exactly the parameters of a packing
// (Sequential.PackParams), it updates them in one SGDStep over the
// contiguous tensors, which is elementwise and so gives what the
// per-parameter calls would.
func (o *sgd) Step(params []*Param) {
	if pk := packOf(params); pk != nil {
		var v backend.Tensor
		if o.h.Momentum != 0 {
			if v = o.packed[pk]; v == nil {
				v = o.packBuffer(pk)
			}
		}
		if o.h.Momentum == 0 || v != nil {
			o.b.SGDStep(pk.value, pk.grad, v, o.h)
			return
		}
	}
	for _, p := range params {
		var v backend.Tensor
		if o.h.Momentum != 0 {
			v = o.buffer(p)
		}
		o.b.SGDStep(p.Value, p.Grad, v, o.h)
	}
}

// State returns the momentum buffers ("momentum_buffer"), none when
// Momentum is 0.
func (o *sgd) State(params []*Param) OptState {
	var s OptState
	if o.h.Momentum != 0 {
		for _, p := range params {
			s.add(p, "momentum_buffer", o.buffer(p))
		}
	}
	return s
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

// buffer returns the mean-square buffer of p, creating it zeroed.
func (o *rmsprop) buffer(p *Param) backend.Tensor {
	s := o.s[p]
	if s == nil {
		s = zeros(o.b, p.Value)
		o.s[p] = s
	}
	return s
}

func (o *rmsprop) Step(params []*Param) {
	for _, p := range params {
		o.b.RMSpropStep(p.Value, p.Grad, o.buffer(p), o.h)
	}
}

// State returns the mean-square buffers ("square_avg").
func (o *rmsprop) State(params []*Param) OptState {
	var s OptState
	for _, p := range params {
		s.add(p, "square_avg", o.buffer(p))
	}
	return s
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
	// packed holds the contiguous moment buffers of packed parameters
	// (Sequential.PackParams), whose per-parameter buffers in state are
	// views of them.
	packed map[*packing]*adamState
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
	return &adam{b: b, h: h, state: map[*Param]*adamState{}, packed: map[*packing]*adamState{}}
}

// NewAdamW returns AdamW (Loshchilov & Hutter, 2019) on b: Adam with
// β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and learning rate lr whose weight decay
// λ = weightDecay is decoupled from the gradient, p ← p − lr·λ·p before
// the Adam update (see backend.Adam). PyTorch's default λ is 0.01.
func NewAdamW(b backend.Backend, lr, weightDecay float32) Optimizer {
	h := DefaultAdam(lr)
	h.WeightDecay = weightDecay
	h.Decoupled = true
	return NewAdam(b, h)
}

// stateOf returns the state of p, creating it zeroed: for a packed
// parameter, the contiguous buffers of its whole packing at once, and its
// own as views of them.
func (o *adam) stateOf(p *Param) *adamState {
	st := o.state[p]
	if st == nil && p.pack != nil {
		o.packState(p.pack)
		st = o.state[p]
	}
	if st == nil {
		st = &adamState{m: zeros(o.b, p.Value), v: zeros(o.b, p.Value)}
		o.state[p] = st
	}
	return st
}

// packState creates the zeroed moment buffers of the packing pk and the
// views of them that are its parameters' buffers, and returns them; nil
// when a parameter of pk has buffers of its own already (a Step or State
// of some of them came first), which then stay in use.
func (o *adam) packState(pk *packing) *adamState {
	for _, q := range pk.params {
		if o.state[q] != nil {
			return nil
		}
	}
	vw := o.b.(backend.Viewer) // a packing exists only on a backend with views
	flat := &adamState{m: zeros(o.b, pk.value), v: zeros(o.b, pk.value)}
	o.packed[pk] = flat
	for i, q := range pk.params {
		o.state[q] = &adamState{m: pk.view(vw, flat.m, i), v: pk.view(vw, flat.v, i)}
	}
	return flat
}

// State returns the moment estimates ("exp_avg", "exp_avg_sq") and the
// step counters ("step").
func (o *adam) State(params []*Param) OptState {
	s := OptState{Steps: map[string]*int{}}
	for _, p := range params {
		st := o.stateOf(p)
		s.add(p, "exp_avg", st.m)
		s.add(p, "exp_avg_sq", st.v)
		s.Steps[p.Name+".step"] = &st.step
	}
	return s
}

// Step implements Optimizer. Given exactly the parameters of a packing
// (Sequential.PackParams) with equal step counts, it updates them in one
// AdamStep over the contiguous tensors, which is elementwise and so gives
// what the per-parameter calls would.
func (o *adam) Step(params []*Param) {
	if pk := packOf(params); pk != nil {
		flat := o.packed[pk]
		if flat == nil {
			flat = o.packState(pk)
		}
		t := o.stateOf(params[0]).step
		same := flat != nil
		for _, p := range params {
			same = same && o.state[p].step == t
		}
		if same {
			for _, p := range params {
				o.state[p].step++
			}
			h := o.h
			h.Step = t + 1
			o.b.AdamStep(pk.value, pk.grad, flat.m, flat.v, h)
			return
		}
	}
	for _, p := range params {
		st := o.stateOf(p)
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
