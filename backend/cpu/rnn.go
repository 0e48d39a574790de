package cpu

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

var _ backend.Recurrent = (*Backend)(nil)

// cellOp names the fused recurrent cell an rnnTask runs.
type cellOp int

const (
	gruForward cellOp = iota
	gruBackward
	lstmForward
	lstmBackward
)

// rnnTask runs one fused cell op over a range of rows. Each row is one
// pass of the vec kernels over that row's gates, which stay in L1 between
// the kernels.
type rnnTask struct {
	k  *vec.Kernels
	op cellOp
	h  int // hidden size
	// The operands, by role; which are set depends on op (see the
	// methods of Backend that make the task).
	gx, gh, bias, hPrev, hNew, dhNew, dgx, dgh, dh []float32
	c, cNew, dc                                    []float32
}

func (t *rnnTask) run(_, lo, hi int) {
	for row := lo; row < hi; row++ {
		switch t.op {
		case gruForward:
			t.gruRow(row)
		case gruBackward:
			t.gruBackwardRow(row)
		case lstmForward:
			t.lstmRow(row)
		case lstmBackward:
			t.lstmBackwardRow(row)
		}
	}
}

func (t *rnnTask) gruRow(row int) {
	k, H := t.k, t.h
	gx, gh := t.gx[row*3*H:(row+1)*3*H], t.gh[row*3*H:(row+1)*3*H]
	h, hNew := t.hPrev[row*H:(row+1)*H], t.hNew[row*H:(row+1)*H]
	rz, r, z, n, hn := gx[:2*H], gx[:H], gx[H:2*H], gx[2*H:], gh[2*H:]
	k.Add(rz, rz, gh[:2*H])
	k.Add(rz, rz, t.bias[:2*H])
	k.Sigmoid(rz, rz)
	k.Add(hn, hn, t.bias[2*H:])
	k.Mul(hNew, r, hn) // hNew serves as scratch until its turn
	k.Add(n, n, hNew)
	k.Tanh(n, n)
	copy(hNew, h)
	k.Axpy(hNew, n, -1)
	k.Mul(hNew, hNew, z)
	k.Add(hNew, hNew, n)
}

func (t *rnnTask) gruBackwardRow(row int) {
	k, H := t.k, t.h
	gx, gh := t.gx[row*3*H:(row+1)*3*H], t.gh[row*3*H:(row+1)*3*H]
	dgx, dgh := t.dgx[row*3*H:(row+1)*3*H], t.dgh[row*3*H:(row+1)*3*H]
	h, dhNew, dh := t.hPrev[row*H:(row+1)*H], t.dhNew[row*H:(row+1)*H], t.dh[row*H:(row+1)*H]
	r, z, n, hn := gx[:H], gx[H:2*H], gx[2*H:], gh[2*H:]
	dr, dz, dn := dgx[:H], dgx[H:2*H], dgx[2*H:]
	k.Mul(dh, dhNew, z)
	copy(dn, dhNew)
	k.Axpy(dn, dh, -1) // dh'∘(1 − z)
	k.TanhGrad(dn, n, dn)
	copy(dz, h)
	k.Axpy(dz, n, -1)
	k.Mul(dz, dz, dhNew)
	k.SigmoidGrad(dz, z, dz)
	k.Mul(dr, dn, hn)
	k.SigmoidGrad(dr, r, dr)
	copy(dgh[:2*H], dgx[:2*H])
	k.Mul(dgh[2*H:], dn, r)
}

func (t *rnnTask) lstmRow(row int) {
	k, H := t.k, t.h
	a := t.gx[row*4*H : (row+1)*4*H]
	c, cNew, hNew := t.c[row*H:(row+1)*H], t.cNew[row*H:(row+1)*H], t.hNew[row*H:(row+1)*H]
	i, f, g, o := a[:H], a[H:2*H], a[2*H:3*H], a[3*H:]
	k.Sigmoid(a[:2*H], a[:2*H])
	k.Tanh(g, g)
	k.Sigmoid(o, o)
	k.Mul(cNew, f, c)
	k.Mul(hNew, i, g) // hNew serves as scratch until its turn
	k.Add(cNew, cNew, hNew)
	k.Tanh(hNew, cNew)
	k.Mul(hNew, hNew, o)
}

func (t *rnnTask) lstmBackwardRow(row int) {
	k, H := t.k, t.h
	a, da := t.gx[row*4*H:(row+1)*4*H], t.dgx[row*4*H:(row+1)*4*H]
	c, cNew := t.c[row*H:(row+1)*H], t.cNew[row*H:(row+1)*H]
	dhNew, dc := t.dhNew[row*H:(row+1)*H], t.dc[row*H:(row+1)*H]
	i, f, g, o := a[:H], a[H:2*H], a[2*H:3*H], a[3*H:]
	di, df, dct, do := da[:H], da[H:2*H], da[2*H:3*H], da[3*H:]
	k.Tanh(do, cNew) // tanh(c') until da_o replaces it
	k.Mul(dct, dhNew, o)
	k.TanhGrad(dct, do, dct)
	k.Add(dct, dct, dc) // dĉ
	k.Mul(do, do, dhNew)
	k.SigmoidGrad(do, o, do)
	k.Mul(di, dct, g)
	k.SigmoidGrad(di, i, di)
	k.Mul(df, dct, c)
	k.SigmoidGrad(df, f, df)
	k.Mul(dc, dct, f)
	k.Mul(dct, dct, i)
	k.TanhGrad(dct, g, dct)
}

var rnnTasks freelist.List[rnnTask]

// runCell runs t over n rows in parallel; each row costs about 4h
// transcendental evaluations.
func (b *Backend) runCell(t *rnnTask, n int) {
	t.k = vec.For(b.level)
	parallelDo(n, max(1, mathGrain/(4*t.h)), t)
	*t = rnnTask{}
	rnnTasks.Put(t)
}

// GRUCell implements backend.Recurrent: one fused pass per row.
func (b *Backend) GRUCell(gx, gh, bhh, h, hNew backend.Tensor) {
	const op = "GRUCell"
	tgx, tgh, tb, th, thn := b.tensor(op, gx), b.tensor(op, gh), b.tensor(op, bhh), b.tensor(op, h), b.tensor(op, hNew)
	check.GRUCell(op, tgx.shape, tgh.shape, tb.shape, th.shape, thn.shape)
	t := rnnTasks.Get()
	*t = rnnTask{op: gruForward, h: th.cols, gx: tgx.data, gh: tgh.data, bias: tb.data, hPrev: th.data, hNew: thn.data}
	b.runCell(t, th.rows)
}

// GRUCellBackward implements backend.Recurrent: one fused pass per row.
func (b *Backend) GRUCellBackward(gx, gh, h, dhNew, dgx, dgh, dh backend.Tensor) {
	const op = "GRUCellBackward"
	tgx, tgh, th := b.tensor(op, gx), b.tensor(op, gh), b.tensor(op, h)
	tdhn, tdgx, tdgh, tdh := b.tensor(op, dhNew), b.tensor(op, dgx), b.tensor(op, dgh), b.tensor(op, dh)
	check.GRUCellBackward(op, tgx.shape, tgh.shape, th.shape, tdhn.shape, tdgx.shape, tdgh.shape, tdh.shape)
	t := rnnTasks.Get()
	*t = rnnTask{op: gruBackward, h: th.cols, gx: tgx.data, gh: tgh.data, hPrev: th.data,
		dhNew: tdhn.data, dgx: tdgx.data, dgh: tdgh.data, dh: tdh.data}
	b.runCell(t, th.rows)
}

// LSTMCell implements backend.Recurrent: one fused pass per row.
func (b *Backend) LSTMCell(gates, c, cNew, hNew backend.Tensor) {
	const op = "LSTMCell"
	ta, tc, tcn, thn := b.tensor(op, gates), b.tensor(op, c), b.tensor(op, cNew), b.tensor(op, hNew)
	check.LSTMCell(op, ta.shape, tc.shape, tcn.shape, thn.shape)
	t := rnnTasks.Get()
	*t = rnnTask{op: lstmForward, h: tc.cols, gx: ta.data, c: tc.data, cNew: tcn.data, hNew: thn.data}
	b.runCell(t, tc.rows)
}

// LSTMCellBackward implements backend.Recurrent: one fused pass per row.
func (b *Backend) LSTMCellBackward(gates, c, cNew, dhNew, dc, dgates backend.Tensor) {
	const op = "LSTMCellBackward"
	ta, tc, tcn := b.tensor(op, gates), b.tensor(op, c), b.tensor(op, cNew)
	tdhn, tdc, tda := b.tensor(op, dhNew), b.tensor(op, dc), b.tensor(op, dgates)
	check.LSTMCellBackward(op, ta.shape, tc.shape, tcn.shape, tdhn.shape, tdc.shape, tda.shape)
	t := rnnTasks.Get()
	*t = rnnTask{op: lstmBackward, h: tc.cols, gx: ta.data, dgx: tda.data, c: tc.data, cNew: tcn.data,
		dhNew: tdhn.data, dc: tdc.data}
	b.runCell(t, tc.rows)
}
