package backend

// Recurrent provides the per-step gate arithmetic of GRU and LSTM cells,
// fused into one pass over the gates (cuDNN fuses it the same way). A
// recurrent layer computes the matrix products itself with MatMul — the
// input projection of every time step in one product, the recurrent one
// once per step — and hands the gate pre-activations to these ops.
//
// Shapes: N rows (the batch), hidden size H. Gates are column blocks of
// H in PyTorch's order: GRU r, z, n ([N, 3H]); LSTM i, f, g, o ([N, 4H]).
// σ is the logistic sigmoid. No output may share memory with an input
// unless the method says so.
//
// The package functions GRUCell, GRUCellBackward, LSTMCell and
// LSTMCellBackward call a backend's own implementation, and otherwise a
// composition of Viewer and core ops that allocates a scratch tensor on
// every call.
type Recurrent interface {
	// GRUCell computes one GRU step (torch.nn.GRU) from gx = x·W_ihᵀ + b_ih
	// and gh = h·W_hhᵀ, both [N, 3H], the recurrent bias bhh [3H] and the
	// previous state h [N, H]:
	//
	//	r  = σ(gx_r + gh_r + bhh_r)
	//	z  = σ(gx_z + gh_z + bhh_z)
	//	hn = gh_n + bhh_n
	//	n  = tanh(gx_n + r∘hn)
	//	h' = (1 − z)∘n + z∘h
	//
	// writing h' into hNew [N, H]. It keeps what GRUCellBackward needs in
	// place: on return gx holds r, z and n in its three blocks and gh holds
	// hn in its last block (its first two are unspecified).
	GRUCell(gx, gh, bhh, h, hNew Tensor)
	// GRUCellBackward takes gx and gh as GRUCell left them, the same h and
	// dhNew = ∂L/∂h' [N, H], and writes the gradients with respect to the
	// pre-activations: dgx = ∂L/∂gx and dgh = ∂L/∂gh (also ∂L/∂bhh's rows),
	// both [N, 3H], and dh [N, H], the part of ∂L/∂h that does not pass
	// through gh (the caller adds dgh·W_hh):
	//
	//	dn  = dh'∘(1 − z)∘(1 − n²)        dgx_n = dn,  dgh_n = dn∘r
	//	dr  = dn∘hn∘r∘(1 − r)             dgx_r = dgh_r = dr
	//	dz  = dh'∘(h − n)∘z∘(1 − z)       dgx_z = dgh_z = dz
	//	dh  = dh'∘z
	GRUCellBackward(gx, gh, h, dhNew, dgx, dgh, dh Tensor)
	// LSTMCell computes one LSTM step (torch.nn.LSTM) from the gate
	// pre-activations a = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh [N, 4H] and the
	// previous cell state c [N, H]:
	//
	//	i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
	//	c' = f∘c + i∘g
	//	h' = o∘tanh(c')
	//
	// writing c' into cNew and h' into hNew, both [N, H], and overwriting
	// gates with i, f, g and o for LSTMCellBackward.
	LSTMCell(gates, c, cNew, hNew Tensor)
	// LSTMCellBackward takes gates as LSTMCell left them, the same c and
	// cNew, dhNew = ∂L/∂h' and dc = ∂L/∂c' from the later steps (zero at
	// the last), and writes dgates = ∂L/∂a [N, 4H] and, in place of dc,
	// ∂L/∂c. The part of ∂L/∂h through a is dgates·W_hh, for the caller.
	// With t = tanh(c') and dĉ = dc + dh'∘o∘(1 − t²):
	//
	//	da_i = dĉ∘g∘i∘(1 − i)    da_f = dĉ∘c∘f∘(1 − f)
	//	da_g = dĉ∘i∘(1 − g²)     da_o = dh'∘t∘o∘(1 − o)
	//	dc   ← dĉ∘f
	LSTMCellBackward(gates, c, cNew, dhNew, dc, dgates Tensor)
}

func recurrent(b Backend) Recurrent {
	r, _ := b.(Recurrent)
	return r
}

// GRUCell calls b's Recurrent.GRUCell, or composes it from Viewer and
// core ops.
func GRUCell(b Backend, gx, gh, bhh, h, hNew Tensor) {
	if r := recurrent(b); r != nil {
		r.GRUCell(gx, gh, bhh, h, hNew)
		return
	}
	gruCellFallback(b, gx, gh, bhh, h, hNew)
}

// GRUCellBackward calls b's Recurrent.GRUCellBackward, or composes it from
// Viewer and core ops.
func GRUCellBackward(b Backend, gx, gh, h, dhNew, dgx, dgh, dh Tensor) {
	if r := recurrent(b); r != nil {
		r.GRUCellBackward(gx, gh, h, dhNew, dgx, dgh, dh)
		return
	}
	gruCellBackwardFallback(b, gx, gh, h, dhNew, dgx, dgh, dh)
}

// LSTMCell calls b's Recurrent.LSTMCell, or composes it from Viewer and
// core ops.
func LSTMCell(b Backend, gates, c, cNew, hNew Tensor) {
	if r := recurrent(b); r != nil {
		r.LSTMCell(gates, c, cNew, hNew)
		return
	}
	lstmCellFallback(b, gates, c, cNew, hNew)
}

// LSTMCellBackward calls b's Recurrent.LSTMCellBackward, or composes it
// from Viewer and core ops.
func LSTMCellBackward(b Backend, gates, c, cNew, dhNew, dc, dgates Tensor) {
	if r := recurrent(b); r != nil {
		r.LSTMCellBackward(gates, c, cNew, dhNew, dc, dgates)
		return
	}
	lstmCellBackwardFallback(b, gates, c, cNew, dhNew, dc, dgates)
}

// gateMajor is a scratch tensor [k·N, H] for the fallbacks: k blocks of
// [N, H], one per gate, each contiguous so that core ops apply to it.
type gateMajor struct {
	b    Backend
	t    Tensor
	n, h int
}

func newGateMajor(b Backend, k, n, h int) gateMajor {
	return gateMajor{b: b, t: b.Alloc(k*n, h), n: n, h: h}
}

// block returns a view of blocks [i, j).
func (g gateMajor) block(i, j int) Tensor { return Slice(g.b, g.t, i*g.n, j*g.n) }

// load copies gates [from, from+k) of the row-interleaved src [N, G·H]
// into blocks [to, to+k), adding them to the old contents when acc is set.
func (g gateMajor) load(to int, src Tensor, from, k int, acc bool) {
	G := src.Shape().Cols() / g.h
	CopyRegion(g.b, g.t, Region{Offset: to * g.n * g.h, Strides: [4]int{g.n * g.h, g.h, 1}},
		src, Region{Offset: from * g.h, Strides: [4]int{g.h, G * g.h, 1}}, [4]int{k, g.n, g.h, 1}, acc)
}

// loadBias adds gates [from, from+k) of the bias bias [G·H] to every row
// of blocks [to, to+k).
func (g gateMajor) loadBias(to int, bias Tensor, from, k int) {
	CopyRegion(g.b, g.t, Region{Offset: to * g.n * g.h, Strides: [4]int{g.n * g.h, g.h, 1}},
		bias, Region{Offset: from * g.h, Strides: [4]int{g.h, 0, 1}}, [4]int{k, g.n, g.h, 1}, true)
}

// store copies blocks [from, from+k) into gates [to, to+k) of the
// row-interleaved dst [N, G·H].
func (g gateMajor) store(dst Tensor, to int, from, k int) {
	G := dst.Shape().Cols() / g.h
	CopyRegion(g.b, dst, Region{Offset: to * g.h, Strides: [4]int{g.h, G * g.h, 1}},
		g.t, Region{Offset: from * g.n * g.h, Strides: [4]int{g.n * g.h, g.h, 1}}, [4]int{k, g.n, g.h, 1}, false)
}

func (g gateMajor) free() { g.b.Free(g.t) }

var (
	sigmoid = Activation{Kind: Sigmoid}
	tanh    = Activation{Kind: Tanh}
)

// sigmoidGrad sets d = d∘y∘(1 − y), the gradient through y = σ(a), with
// tmp as scratch.
func sigmoidGrad(b Backend, y, d, tmp Tensor) {
	b.Mul(y, y, tmp)
	b.Scale(-1, tmp)
	b.Add(tmp, y, tmp)
	b.Mul(d, tmp, d)
}

// tanhGrad sets d = d∘(1 − y²), the gradient through y = tanh a, with tmp
// as scratch.
func tanhGrad(b Backend, y, d, tmp Tensor) {
	b.Mul(y, y, tmp)
	b.Mul(d, tmp, tmp)
	b.Axpy(-1, tmp, d)
}

func gruCellFallback(b Backend, gx, gh, bhh, h, hNew Tensor) {
	n, hd := h.Shape().Rows(), h.Shape().Cols()
	s := newGateMajor(b, 4, n, hd) // r, z, n, hn
	defer s.free()
	s.load(0, gh, 0, 2, false)
	s.load(0, gx, 0, 2, true)
	s.loadBias(0, bhh, 0, 2)
	s.load(3, gh, 2, 1, false)
	s.loadBias(3, bhh, 2, 1)
	rz, r, z, nn, hn := s.block(0, 2), s.block(0, 1), s.block(1, 2), s.block(2, 3), s.block(3, 4)
	b.Activate(sigmoid, rz, rz)
	b.Mul(r, hn, nn)
	s.load(2, gx, 2, 1, true)
	b.Activate(tanh, nn, nn)
	b.Copy(hNew, h)
	b.Axpy(-1, nn, hNew)
	b.Mul(z, hNew, hNew)
	b.Add(hNew, nn, hNew)
	s.store(gx, 0, 0, 3)
	s.store(gh, 2, 3, 1)
}

func gruCellBackwardFallback(b Backend, gx, gh, h, dhNew, dgx, dgh, dh Tensor) {
	n, hd := h.Shape().Rows(), h.Shape().Cols()
	s := newGateMajor(b, 7, n, hd) // r, z, n, hn, three more
	defer s.free()
	s.load(0, gx, 0, 3, false)
	s.load(3, gh, 2, 1, false)
	r, z, nn, hn := s.block(0, 1), s.block(1, 2), s.block(2, 3), s.block(3, 4)
	s0, s1, tmp := s.block(4, 5), s.block(5, 6), s.block(6, 7)
	b.Mul(dhNew, z, dh)
	b.Copy(s0, dhNew)
	b.Axpy(-1, dh, s0)
	tanhGrad(b, nn, s0, tmp) // s0 = dn
	b.Copy(s1, h)
	b.Axpy(-1, nn, s1)
	b.Mul(s1, dhNew, s1)
	sigmoidGrad(b, z, s1, tmp) // s1 = dz
	b.Mul(s0, hn, hn)
	sigmoidGrad(b, r, hn, tmp) // hn = dr
	b.Mul(s0, r, r)            // r = dgh_n
	s.store(dgx, 0, 3, 1)
	s.store(dgx, 1, 5, 1)
	s.store(dgx, 2, 4, 1)
	s.store(dgh, 0, 3, 1)
	s.store(dgh, 1, 5, 1)
	s.store(dgh, 2, 0, 1)
}

func lstmCellFallback(b Backend, gates, c, cNew, hNew Tensor) {
	n, hd := c.Shape().Rows(), c.Shape().Cols()
	s := newGateMajor(b, 5, n, hd) // i, f, g, o, tanh(c')
	defer s.free()
	s.load(0, gates, 0, 4, false)
	i, f, g, o, tc := s.block(0, 1), s.block(1, 2), s.block(2, 3), s.block(3, 4), s.block(4, 5)
	ifg := s.block(0, 2)
	b.Activate(sigmoid, ifg, ifg)
	b.Activate(tanh, g, g)
	b.Activate(sigmoid, o, o)
	b.Mul(f, c, cNew)
	b.Mul(i, g, tc)
	b.Add(cNew, tc, cNew)
	b.Activate(tanh, cNew, tc)
	b.Mul(o, tc, hNew)
	s.store(gates, 0, 0, 4)
}

func lstmCellBackwardFallback(b Backend, gates, c, cNew, dhNew, dc, dgates Tensor) {
	n, hd := c.Shape().Rows(), c.Shape().Cols()
	s := newGateMajor(b, 7, n, hd) // i, f, g, o, tanh(c'), dĉ, scratch
	defer s.free()
	s.load(0, gates, 0, 4, false)
	i, f, g, o, tc, dct, tmp := s.block(0, 1), s.block(1, 2), s.block(2, 3), s.block(3, 4), s.block(4, 5), s.block(5, 6), s.block(6, 7)
	b.Activate(tanh, cNew, tc)
	b.Mul(dhNew, o, dct)
	tanhGrad(b, tc, dct, tmp)
	b.Add(dct, dc, dct) // dĉ
	b.Mul(dct, f, dc)
	b.Mul(dhNew, tc, tc)
	sigmoidGrad(b, o, tc, tmp) // tc = da_o
	b.Mul(dct, c, o)
	sigmoidGrad(b, f, o, tmp) // o = da_f
	b.Mul(dct, g, f)
	sigmoidGrad(b, i, f, tmp) // f = da_i
	b.Mul(dct, i, dct)
	tanhGrad(b, g, dct, tmp) // dct = da_g
	s.store(dgates, 0, 1, 1)
	s.store(dgates, 1, 3, 1)
	s.store(dgates, 2, 5, 1)
	s.store(dgates, 3, 4, 1)
}
