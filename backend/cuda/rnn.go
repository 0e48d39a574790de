//go:build cuda

package cuda

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// hiddenFits panics with the op's name unless the hidden size H fits the
// kernels' int.
func hiddenFits(op string, hidden int) {
	if hidden > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: %s: hidden size %d too large for the kernels", op, hidden))
	}
}

// cellDisjoint panics with the op's name when one of the first outs
// tensors of ts shares memory with any other tensor of ts: the cell
// kernels write each output element from one thread, after reading that
// element's inputs, so an output that overlaps another output or an input
// would race. names name ts.
func cellDisjoint(op string, outs int, names []string, ts ...*tensor) {
	for i := range outs {
		for j := range ts {
			if j != i && ts[i].overlaps(ts[j]) {
				panic(fmt.Sprintf("cuda: %s: %s %v shares memory with %s %v", op, names[i], ts[i].shape, names[j], ts[j].shape))
			}
		}
	}
}

// GRUCell implements backend.Recurrent (torch.nn.GRU's step, gate order
// r, z, n) as one kernel, one thread per element of h'.
func (b *Backend) GRUCell(gx, gh, bhh, h, hNew backend.Tensor) {
	const op = "GRUCell"
	tgx, tgh, tb, th, thn := b.tensor(op, gx), b.tensor(op, gh), b.tensor(op, bhh), b.tensor(op, h), b.tensor(op, hNew)
	_, H := check.GRUCell(op, tgx.shape, tgh.shape, tb.shape, th.shape, thn.shape)
	hiddenFits(op, H)
	// gx and gh are outputs too (the gates are left in them).
	cellDisjoint(op, 3, []string{"hNew", "gx", "gh", "bhh", "h"}, thn, tgx, tgh, tb, th)
	n := th.len()
	b.launch(op, kernels.GRUCell, b.grid(n), new(args).ptr(tgx).ptr(tgh).ptr(tb).ptr(th).ptr(thn).i64(n).i32(H))
}

// GRUCellBackward implements backend.Recurrent as one kernel, one thread
// per element of dh.
func (b *Backend) GRUCellBackward(gx, gh, h, dhNew, dgx, dgh, dh backend.Tensor) {
	const op = "GRUCellBackward"
	tgx, tgh, th := b.tensor(op, gx), b.tensor(op, gh), b.tensor(op, h)
	tdhn, tdgx, tdgh, tdh := b.tensor(op, dhNew), b.tensor(op, dgx), b.tensor(op, dgh), b.tensor(op, dh)
	_, H := check.GRUCellBackward(op, tgx.shape, tgh.shape, th.shape, tdhn.shape, tdgx.shape, tdgh.shape, tdh.shape)
	hiddenFits(op, H)
	cellDisjoint(op, 3, []string{"dgx", "dgh", "dh", "gx", "gh", "h", "dhNew"}, tdgx, tdgh, tdh, tgx, tgh, th, tdhn)
	n := th.len()
	b.launch(op, kernels.GRUCellBackward, b.grid(n),
		new(args).ptr(tgx).ptr(tgh).ptr(th).ptr(tdhn).ptr(tdgx).ptr(tdgh).ptr(tdh).i64(n).i32(H))
}

// LSTMCell implements backend.Recurrent (torch.nn.LSTM's step, gate order
// i, f, g, o) as one kernel, one thread per element of c' and h'.
func (b *Backend) LSTMCell(gates, c, cNew, hNew backend.Tensor) {
	const op = "LSTMCell"
	ta, tc, tcn, thn := b.tensor(op, gates), b.tensor(op, c), b.tensor(op, cNew), b.tensor(op, hNew)
	_, H := check.LSTMCell(op, ta.shape, tc.shape, tcn.shape, thn.shape)
	hiddenFits(op, H)
	// gates is an output too (the activated gates are left in it).
	cellDisjoint(op, 3, []string{"cNew", "hNew", "gates", "c"}, tcn, thn, ta, tc)
	n := tc.len()
	b.launch(op, kernels.LSTMCell, b.grid(n), new(args).ptr(ta).ptr(tc).ptr(tcn).ptr(thn).i64(n).i32(H))
}

// LSTMCellBackward implements backend.Recurrent as one kernel, one thread
// per element of dc.
func (b *Backend) LSTMCellBackward(gates, c, cNew, dhNew, dc, dgates backend.Tensor) {
	const op = "LSTMCellBackward"
	ta, tc, tcn := b.tensor(op, gates), b.tensor(op, c), b.tensor(op, cNew)
	tdhn, tdc, tda := b.tensor(op, dhNew), b.tensor(op, dc), b.tensor(op, dgates)
	_, H := check.LSTMCellBackward(op, ta.shape, tc.shape, tcn.shape, tdhn.shape, tdc.shape, tda.shape)
	hiddenFits(op, H)
	cellDisjoint(op, 2, []string{"dgates", "dc", "gates", "c", "cNew", "dhNew"}, tda, tdc, ta, tc, tcn, tdhn)
	n := tc.len()
	b.launch(op, kernels.LSTMCellBackward, b.grid(n),
		new(args).ptr(ta).ptr(tc).ptr(tcn).ptr(tdhn).ptr(tdc).ptr(tda).i64(n).i32(H))
}
