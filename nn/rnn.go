package nn

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// The recurrent layers RNN, GRU and LSTM share one implementation,
// recurrent, which differs by cell only in the per-step arithmetic.
//
// Layout: the layer reads batch-first input x [N, T, F] and works
// time-major inside, so that the N rows of one time step are contiguous:
//
//	xT [T·N, F]      x transposed (one CopyRegion)
//	gx [T·N, G·H]    xT·W_ihᵀ + b_ih for every step in one MatMul (RNN and
//	                 LSTM add b_hh too); the cell leaves its gates here
//	gh [T·N, 3H]     GRU only: h·W_hhᵀ of every step
//	hs [(T+1)·N, H]  the states h_0 (the initial state), h_1, …, h_T
//	cs [(T+1)·N, H]  LSTM only: the cell states
//
// Each step is one MatMul (the recurrent product, into gh for GRU and
// added to gx for RNN and LSTM) and one fused cell op (backend.GRUCell,
// backend.LSTMCell, or Activate for RNN's tanh) on views of these tensors
// that SliceInto re-aims step by step, so a step allocates nothing.
// Backpropagation through time runs the steps in reverse into dgx (and
// dgh), after which each weight gradient is one MatMul over all steps:
// ∂L/∂W_ih = dgxᵀ·xT, ∂L/∂W_hh = dghᵀ·hs[0:T·N] (dgh = dgx but for GRU).

// cellKind is the cell of a recurrent layer.
type cellKind int

const (
	cellRNN cellKind = iota
	cellGRU
	cellLSTM
)

// gates returns G, the number of gate blocks of H in the cell's weights.
func (k cellKind) gates() int { return [...]int{1, 3, 4}[k] }

func (k cellKind) String() string { return [...]string{"RNN", "GRU", "LSTM"}[k] }

// recurrent is the state of a recurrent layer.
type recurrent struct {
	kind     cellKind
	hidden   int
	sequence bool
	layer    Layer // the exported layer, named in messages

	b                  backend.Backend
	in                 []int // [T, F]
	wih, whh, bih, bhh *Param
	h0, c0             backend.Tensor // initial state of the next Forward, nil for zeros
	whhT               backend.Tensor // W_hhᵀ [H, G·H], refreshed by every Forward
	cur                *seqBufs
	bufs               BatchCache[seqBufs]
}

// seqBufs are a recurrent layer's tensors and views for one batch size.
type seqBufs struct {
	n                  int
	xT, gx, gh, hs, cs backend.Tensor
	y                  backend.Tensor // [N, T, H] when the layer returns the sequence
	last, lastC        backend.Tensor // views of h_T in hs and c_T in cs

	// Backward's, allocated by the first Backward.
	dyT, dgx, dgh, dxT, dx backend.Tensor
	dh                     [2]backend.Tensor // ∂L/∂h_t and ∂L/∂h_{t−1}, [N, H]
	dc                     backend.Tensor    // LSTM: ∂L/∂c_t, [N, H]
	dh0                    backend.Tensor    // the last dh: ∂L/∂h_0

	// Views re-aimed at step t by SliceInto.
	vgx, vgh, vhPrev, vhNext, vcPrev, vcNext, vdgx, vdgh, vdy backend.Tensor
	hPrevAll                                                  backend.Tensor // view of h_0 … h_{T−1}
}

// build binds the layer (see Layer.Build). Parameters follow PyTorch:
// weight_ih_l0 [G·H, F], weight_hh_l0 [G·H, H], bias_ih_l0 and
// bias_hh_l0 [G·H], all drawn from U(−1/√H, 1/√H).
func (r *recurrent) build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	if r.hidden < 1 {
		return nil, fmt.Errorf("%v: Hidden must be at least 1", r.layer)
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", r.layer, err)
	}
	if len(in) != 2 {
		return nil, fmt.Errorf("%v: input shape %v, want [T F] (time steps, features) per sample", r.layer, in)
	}
	kind, hidden, seq, layer := r.kind, r.hidden, r.sequence, r.layer
	*r = recurrent{kind: kind, hidden: hidden, sequence: seq, layer: layer, b: b, in: append([]int(nil), in...)}
	gh, f := kind.gates()*hidden, in[1]
	init := Uniform(1 / math.Sqrt(float64(hidden)))
	param := func(name string, shape ...int) *Param { return NewParam(b, name, shape, init, rng) }
	r.wih = param("weight_ih_l0", gh, f)
	r.whh = param("weight_hh_l0", gh, hidden)
	r.bih = param("bias_ih_l0", gh)
	r.bhh = param("bias_hh_l0", gh)
	r.whhT = b.Alloc(hidden, gh)
	if seq {
		return []int{in[0], hidden}, nil
	}
	return []int{hidden}, nil
}

// alloc returns the forward buffers for batch size n.
func (r *recurrent) alloc(n int) *seqBufs {
	b, T, F, H, G := r.b, r.in[0], r.in[1], r.hidden, r.kind.gates()
	s := &seqBufs{n: n, xT: b.Alloc(T*n, F), gx: b.Alloc(T*n, G*H), hs: b.Alloc((T+1)*n, H)}
	if r.kind == cellGRU {
		s.gh = b.Alloc(T*n, G*H)
		s.vgh = backend.Slice(b, s.gh, 0, n)
	}
	if r.kind == cellLSTM {
		s.cs = b.Alloc((T+1)*n, H)
		s.vcPrev, s.vcNext = backend.Slice(b, s.cs, 0, n), backend.Slice(b, s.cs, n, 2*n)
	}
	if r.sequence {
		s.y = b.Alloc(n, T, H)
	}
	s.last = backend.Slice(b, s.hs, T*n, (T+1)*n)
	s.hPrevAll = backend.Slice(b, s.hs, 0, T*n)
	s.vgx = backend.Slice(b, s.gx, 0, n)
	s.vhPrev, s.vhNext = backend.Slice(b, s.hs, 0, n), backend.Slice(b, s.hs, n, 2*n)
	return s
}

// allocBackward adds Backward's buffers to s.
func (r *recurrent) allocBackward(s *seqBufs) {
	b, n, T, H, G := r.b, s.n, r.in[0], r.hidden, r.kind.gates()
	s.dgx = b.Alloc(T*n, G*H)
	s.vdgx = backend.Slice(b, s.dgx, 0, n)
	if r.kind == cellGRU {
		s.dgh = b.Alloc(T*n, G*H)
		s.vdgh = backend.Slice(b, s.dgh, 0, n)
	}
	if r.kind == cellLSTM {
		s.dc = b.Alloc(n, H)
	}
	if r.sequence {
		s.dyT = b.Alloc(T*n, H)
		s.vdy = backend.Slice(b, s.dyT, 0, n)
	}
	s.dh = [2]backend.Tensor{b.Alloc(n, H), b.Alloc(n, H)}
}

// at re-aims view at rows [t·n, (t+1)·n) of x: step t of a time-major
// tensor.
func (r *recurrent) at(view, x backend.Tensor, t, n int) {
	backend.SliceInto(r.b, view, x, t*n, (t+1)*n)
}

// transpose copies the first two axes of src [A, B, D] swapped into dst
// [B, A, D] (of any shapes with those lengths).
func transpose(b backend.Backend, dst, src backend.Tensor, a, bb, d int) {
	backend.CopyRegion(b, dst, backend.Region{Strides: [4]int{d, a * d, 1}},
		src, backend.Region{Strides: [4]int{bb * d, d, 1}}, [4]int{a, bb, d, 1}, false)
}

// checkState panics unless the initial state s is nil or [n, H].
func (r *recurrent) checkState(what string, s backend.Tensor, n int) {
	if s != nil && !s.Shape().Equal(backend.Shape{n, r.hidden}) {
		panic(fmt.Sprintf("nn: %v: initial state %s has shape %v, want [%d %d] for a batch of %d", r.layer, what, s.Shape(), n, r.hidden, n))
	}
}

// forward implements Layer.Forward.
func (r *recurrent) forward(x backend.Tensor) backend.Tensor {
	n := CheckInput(r.layer, x, r.in)
	r.checkState("h0", r.h0, n)
	r.checkState("c0", r.c0, n)
	s := r.bufs.Get(n, r.alloc)
	r.cur = s
	b, T := r.b, r.in[0]
	// The per-step products read W_hhᵀ untransposed, which the matrix
	// product packs faster than a transposed operand.
	transpose(b, r.whhT, r.whh.Value, r.kind.gates()*r.hidden, r.hidden, 1)
	transpose(b, s.xT, x, n, T, r.in[1])
	b.MatMul(false, true, 1, s.xT, r.wih.Value, 0, s.gx)
	b.AddBias(s.gx, r.bih.Value)
	if r.kind != cellGRU {
		b.AddBias(s.gx, r.bhh.Value)
	}
	r.at(s.vhPrev, s.hs, 0, n)
	if r.h0 != nil {
		b.Copy(s.vhPrev, r.h0)
	} else {
		b.Fill(s.vhPrev, 0)
	}
	if r.kind == cellLSTM {
		r.at(s.vcPrev, s.cs, 0, n)
		if r.c0 != nil {
			b.Copy(s.vcPrev, r.c0)
		} else {
			b.Fill(s.vcPrev, 0)
		}
	}
	for t := range T {
		r.at(s.vgx, s.gx, t, n)
		r.at(s.vhPrev, s.hs, t, n)
		r.at(s.vhNext, s.hs, t+1, n)
		switch r.kind {
		case cellRNN:
			b.MatMul(false, false, 1, s.vhPrev, r.whhT, 1, s.vgx)
			b.Activate(backend.Activation{Kind: backend.Tanh}, s.vgx, s.vhNext)
		case cellGRU:
			r.at(s.vgh, s.gh, t, n)
			b.MatMul(false, false, 1, s.vhPrev, r.whhT, 0, s.vgh)
			backend.GRUCell(b, s.vgx, s.vgh, r.bhh.Value, s.vhPrev, s.vhNext)
		case cellLSTM:
			r.at(s.vcPrev, s.cs, t, n)
			r.at(s.vcNext, s.cs, t+1, n)
			b.MatMul(false, false, 1, s.vhPrev, r.whhT, 1, s.vgx)
			backend.LSTMCell(b, s.vgx, s.vcPrev, s.vcNext, s.vhNext)
		}
	}
	if !r.sequence {
		return s.last
	}
	// hs[N:] is [T, N, H]; y is [N, T, H].
	backend.CopyRegion(b, s.y, backend.Region{Strides: [4]int{r.hidden, T * r.hidden, 1}},
		s.hs, backend.Region{Offset: n * r.hidden, Strides: [4]int{n * r.hidden, r.hidden, 1}}, [4]int{T, n, r.hidden, 1}, false)
	return s.y
}

// backward implements Layer.Backward, computing ∂L/∂x when input is set.
func (r *recurrent) backward(dy backend.Tensor, input bool) backend.Tensor {
	s := r.cur
	if s == nil {
		panicNoForward(r.layer)
	}
	if r.sequence {
		CheckGrad(r.layer, dy, s.y)
	} else {
		CheckGrad(r.layer, dy, s.last)
	}
	if s.dgx == nil {
		r.allocBackward(s)
	}
	b, n, T, H := r.b, s.n, r.in[0], r.hidden
	dh, dhPrev := s.dh[0], s.dh[1]
	if r.sequence {
		transpose(b, s.dyT, dy, n, T, H)
		r.at(s.vdy, s.dyT, T-1, n)
		b.Copy(dh, s.vdy)
	} else {
		b.Copy(dh, dy)
	}
	if r.kind == cellLSTM {
		b.Fill(s.dc, 0)
	}
	for t := T - 1; t >= 0; t-- {
		r.at(s.vgx, s.gx, t, n)
		r.at(s.vdgx, s.dgx, t, n)
		r.at(s.vhPrev, s.hs, t, n)
		switch r.kind {
		case cellRNN:
			r.at(s.vhNext, s.hs, t+1, n)
			b.ActivateBackward(backend.Activation{Kind: backend.Tanh}, s.vgx, s.vhNext, dh, s.vdgx)
			b.MatMul(false, false, 1, s.vdgx, r.whh.Value, 0, dhPrev)
		case cellGRU:
			r.at(s.vgh, s.gh, t, n)
			r.at(s.vdgh, s.dgh, t, n)
			backend.GRUCellBackward(b, s.vgx, s.vgh, s.vhPrev, dh, s.vdgx, s.vdgh, dhPrev)
			b.MatMul(false, false, 1, s.vdgh, r.whh.Value, 1, dhPrev)
		case cellLSTM:
			r.at(s.vcPrev, s.cs, t, n)
			r.at(s.vcNext, s.cs, t+1, n)
			backend.LSTMCellBackward(b, s.vgx, s.vcPrev, s.vcNext, dh, s.dc, s.vdgx)
			b.MatMul(false, false, 1, s.vdgx, r.whh.Value, 0, dhPrev)
		}
		if r.sequence && t > 0 {
			r.at(s.vdy, s.dyT, t-1, n)
			b.Add(dhPrev, s.vdy, dhPrev)
		}
		dh, dhPrev = dhPrev, dh
	}
	s.dh0 = dh
	dgh := s.dgx
	if r.kind == cellGRU {
		dgh = s.dgh
	}
	b.MatMul(true, false, 1, s.dgx, s.xT, 0, r.wih.Grad)
	b.BiasGrad(s.dgx, r.bih.Grad)
	b.MatMul(true, false, 1, dgh, s.hPrevAll, 0, r.whh.Grad)
	b.BiasGrad(dgh, r.bhh.Grad)
	if !input {
		return nil
	}
	if s.dx == nil {
		s.dxT = b.Alloc(T*n, r.in[1])
		s.dx = b.Alloc(n, T, r.in[1])
	}
	b.MatMul(false, false, 1, s.dgx, r.wih.Value, 0, s.dxT)
	transpose(b, s.dx, s.dxT, T, n, r.in[1])
	return s.dx
}

// params returns the parameters in PyTorch's order.
func (r *recurrent) params() []*Param {
	if r.wih == nil {
		return nil
	}
	return []*Param{r.wih, r.whh, r.bih, r.bhh}
}

// stateGrad returns ∂L/∂h_0 and, for LSTM, ∂L/∂c_0 of the last Backward.
func (r *recurrent) stateGrad() (dh0, dc0 backend.Tensor) {
	if r.cur == nil || r.cur.dh0 == nil {
		panic(fmt.Sprintf("nn: %v: StateGrad before Backward", r.layer))
	}
	return r.cur.dh0, r.cur.dc
}

// describe returns e.g. "GRU(128)" or "GRU(128, sequence)".
func describe(kind cellKind, hidden int, sequence bool) string {
	if sequence {
		return fmt.Sprintf("%v(%d, sequence)", kind, hidden)
	}
	return fmt.Sprintf("%v(%d)", kind, hidden)
}

// RNN is an Elman recurrent layer with tanh (torch.nn.RNN, batch_first):
// for input x [N, T, F] and hidden size H,
//
//	h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)
//
// from h_0 = 0 (or the state given with SetState). The output is h_T
// [N, H], or every h_t as [N, T, H] when Sequence is set. The parameters
// are PyTorch's: weight_ih_l0 [H, F], weight_hh_l0 [H, H], bias_ih_l0 and
// bias_hh_l0 [H], drawn from U(−1/√H, 1/√H).
type RNN struct {
	Hidden   int  // H, ≥ 1
	Sequence bool // return every step [N, T, H] instead of the last [N, H]
	rec      recurrent
}

// Build implements Layer for per-sample input [T, F].
func (l *RNN) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	l.rec = recurrent{kind: cellRNN, hidden: l.Hidden, sequence: l.Sequence, layer: l}
	return l.rec.build(b, in, rng)
}

// Forward implements Layer.
func (l *RNN) Forward(x backend.Tensor, train bool) backend.Tensor { return l.rec.forward(x) }

// Backward implements Layer by backpropagation through time.
func (l *RNN) Backward(dy backend.Tensor) backend.Tensor { return l.rec.backward(dy, true) }

func (l *RNN) backwardParams(dy backend.Tensor) { l.rec.backward(dy, false) }

// Params implements Layer: weight_ih_l0, weight_hh_l0, bias_ih_l0,
// bias_hh_l0.
func (l *RNN) Params() []*Param { return l.rec.params() }

// SetState sets the initial state h_0 [N, H] of the following Forward
// calls (nil: zeros), after Build, which clears it. The layer reads it
// at every Forward.
func (l *RNN) SetState(h0 backend.Tensor) { l.rec.h0 = h0 }

// StateGrad returns ∂L/∂h_0 [N, H] from the last Backward, owned by the
// layer.
func (l *RNN) StateGrad() backend.Tensor { dh, _ := l.rec.stateGrad(); return dh }

// String returns e.g. "RNN(64)" or "RNN(64, sequence)".
func (l *RNN) String() string { return describe(cellRNN, l.Hidden, l.Sequence) }

// GRU is a gated recurrent unit layer (torch.nn.GRU, batch_first): for
// input x [N, T, F] and hidden size H, with σ the logistic sigmoid,
//
//	r_t = σ(x_t·W_irᵀ + b_ir + h_{t−1}·W_hrᵀ + b_hr)
//	z_t = σ(x_t·W_izᵀ + b_iz + h_{t−1}·W_hzᵀ + b_hz)
//	n_t = tanh(x_t·W_inᵀ + b_in + r_t∘(h_{t−1}·W_hnᵀ + b_hn))
//	h_t = (1 − z_t)∘n_t + z_t∘h_{t−1}
//
// from h_0 = 0 (or the state given with SetState). The output is h_T
// [N, H], or every h_t as [N, T, H] when Sequence is set. The parameters
// are PyTorch's, gates stacked r, z, n: weight_ih_l0 [3H, F],
// weight_hh_l0 [3H, H], bias_ih_l0 and bias_hh_l0 [3H], drawn from
// U(−1/√H, 1/√H), so a state dict loads into torch.nn.GRU(F, H,
// batch_first=True) under the same names.
type GRU struct {
	Hidden   int  // H, ≥ 1
	Sequence bool // return every step [N, T, H] instead of the last [N, H]
	rec      recurrent
}

// Build implements Layer for per-sample input [T, F].
func (l *GRU) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	l.rec = recurrent{kind: cellGRU, hidden: l.Hidden, sequence: l.Sequence, layer: l}
	return l.rec.build(b, in, rng)
}

// Forward implements Layer.
func (l *GRU) Forward(x backend.Tensor, train bool) backend.Tensor { return l.rec.forward(x) }

// Backward implements Layer by backpropagation through time.
func (l *GRU) Backward(dy backend.Tensor) backend.Tensor { return l.rec.backward(dy, true) }

func (l *GRU) backwardParams(dy backend.Tensor) { l.rec.backward(dy, false) }

// Params implements Layer: weight_ih_l0, weight_hh_l0, bias_ih_l0,
// bias_hh_l0.
func (l *GRU) Params() []*Param { return l.rec.params() }

// SetState sets the initial state h_0 [N, H] of the following Forward
// calls (nil: zeros), after Build, which clears it. The layer reads it
// at every Forward.
func (l *GRU) SetState(h0 backend.Tensor) { l.rec.h0 = h0 }

// StateGrad returns ∂L/∂h_0 [N, H] from the last Backward, owned by the
// layer.
func (l *GRU) StateGrad() backend.Tensor { dh, _ := l.rec.stateGrad(); return dh }

// String returns e.g. "GRU(128)" or "GRU(128, sequence)".
func (l *GRU) String() string { return describe(cellGRU, l.Hidden, l.Sequence) }

// LSTM is a long short-term memory layer (torch.nn.LSTM, batch_first):
// for input x [N, T, F] and hidden size H, with σ the logistic sigmoid and
// a_t = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh split into four blocks,
//
//	i_t = σ(a_i), f_t = σ(a_f), g_t = tanh(a_g), o_t = σ(a_o)
//	c_t = f_t∘c_{t−1} + i_t∘g_t
//	h_t = o_t∘tanh(c_t)
//
// from h_0 = c_0 = 0 (or the state given with SetState). The output is
// h_T [N, H], or every h_t as [N, T, H] when Sequence is set. The
// parameters are PyTorch's, gates stacked i, f, g, o: weight_ih_l0
// [4H, F], weight_hh_l0 [4H, H], bias_ih_l0 and bias_hh_l0 [4H], drawn
// from U(−1/√H, 1/√H).
type LSTM struct {
	Hidden   int  // H, ≥ 1
	Sequence bool // return every step [N, T, H] instead of the last [N, H]
	rec      recurrent
}

// Build implements Layer for per-sample input [T, F].
func (l *LSTM) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	l.rec = recurrent{kind: cellLSTM, hidden: l.Hidden, sequence: l.Sequence, layer: l}
	return l.rec.build(b, in, rng)
}

// Forward implements Layer.
func (l *LSTM) Forward(x backend.Tensor, train bool) backend.Tensor { return l.rec.forward(x) }

// Backward implements Layer by backpropagation through time.
func (l *LSTM) Backward(dy backend.Tensor) backend.Tensor { return l.rec.backward(dy, true) }

func (l *LSTM) backwardParams(dy backend.Tensor) { l.rec.backward(dy, false) }

// Params implements Layer: weight_ih_l0, weight_hh_l0, bias_ih_l0,
// bias_hh_l0.
func (l *LSTM) Params() []*Param { return l.rec.params() }

// SetState sets the initial states h_0 and c_0, [N, H] each, of the
// following Forward calls (nil: zeros), after Build, which clears them.
// The layer reads them at every Forward.
func (l *LSTM) SetState(h0, c0 backend.Tensor) { l.rec.h0, l.rec.c0 = h0, c0 }

// StateGrad returns ∂L/∂h_0 and ∂L/∂c_0 [N, H] from the last Backward,
// owned by the layer.
func (l *LSTM) StateGrad() (dh0, dc0 backend.Tensor) { return l.rec.stateGrad() }

// String returns e.g. "LSTM(128)" or "LSTM(128, sequence)".
func (l *LSTM) String() string { return describe(cellLSTM, l.Hidden, l.Sequence) }

// lastState returns views of h_T and, for LSTM, c_T of the last Forward.
func (r *recurrent) lastState() (h, c backend.Tensor) {
	if r.cur == nil {
		panic(fmt.Sprintf("nn: %v: LastState before Forward", r.layer))
	}
	s := r.cur
	if s.lastC == nil && r.kind == cellLSTM {
		T := r.in[0]
		s.lastC = backend.Slice(r.b, s.cs, T*s.n, (T+1)*s.n)
	}
	return s.last, s.lastC
}

// LastState returns h_T [N, H] of the last Forward (valid until the next),
// e.g. to continue a sequence with SetState.
func (l *RNN) LastState() backend.Tensor { h, _ := l.rec.lastState(); return h }

// LastState returns h_T [N, H] of the last Forward (valid until the next),
// e.g. to continue a sequence with SetState.
func (l *GRU) LastState() backend.Tensor { h, _ := l.rec.lastState(); return h }

// LastState returns h_T and c_T [N, H] of the last Forward (valid until
// the next), e.g. to continue a sequence with SetState.
func (l *LSTM) LastState() (h, c backend.Tensor) { return l.rec.lastState() }
