package cpu

import (
	"math"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// mathCost is the work of one exp or log, in the units of workGrain.
const mathCost = 8

// rowTask runs a row-wise softmax op over a range of rows. For the
// reductions, rows are summed in chunks of chunk rows, and scratch holds
// one row per chunk (so that the workers never share one), kept with the
// pooled task so that steady-state calls allocate nothing.
type rowTask struct {
	k           *vec.Kernels
	op          rowOp
	x, y, t, g  []float32
	cols, chunk int
	invN        float32
	scratch     []float32
}

// rowOp names the op a rowTask runs.
type rowOp int

const (
	rowSoftmax rowOp = iota
	rowSoftmaxBackward
	rowSoftmaxXent
	rowCountCorrect
)

func (t *rowTask) run(_, lo, hi int) {
	c := t.cols
	for r := lo; r < hi; r++ {
		x, y := t.x[r*c:(r+1)*c], t.y[r*c:(r+1)*c]
		switch t.op {
		case rowSoftmax:
			s := t.k.ExpShift(y, x, rowMax(x))
			t.k.Scale(y, float32(1/s))
		case rowSoftmaxBackward:
			g := t.g[r*c : (r+1)*c]
			d := float32(t.k.Dot(x, y))
			for k, v := range x {
				g[k] = v * (y[k] - d)
			}
		}
	}
}

// part is the partial loss (or count) of rows [lo, hi).
func (t *rowTask) part(lo, hi int) float64 {
	c := t.cols
	var s float64
	for r := lo; r < hi; r++ {
		x, tt := t.x[r*c:(r+1)*c], t.t[r*c:(r+1)*c]
		switch t.op {
		case rowSoftmaxXent:
			m := rowMax(x)
			e := t.scratch[lo/t.chunk*c : (lo/t.chunk+1)*c]
			ls := float32(math.Log(t.k.ExpShift(e, x, m)))
			s -= t.k.SoftmaxXent(t.g[r*c:(r+1)*c], x, tt, m, ls, t.invN)
		case rowCountCorrect:
			if argMax(x) == argMax(tt) {
				s++
			}
		}
	}
	return s
}

var rowTasks freelist.List[rowTask]

// getRowTask returns a pooled rowTask for op on rows rows of cols
// elements, summed (by the reductions) in chunks of about sumChunk
// elements.
func (b *Backend) getRowTask(op rowOp, rows, cols int) *rowTask {
	t := rowTasks.Get()
	chunk := max(1, sumChunk/cols)
	scratch := t.scratch
	if n := (rows + chunk - 1) / chunk * cols; op == rowSoftmaxXent && cap(scratch) < n {
		scratch = make([]float32, n)
	}
	*t = rowTask{k: vec.For(b.level), op: op, cols: cols, chunk: chunk, scratch: scratch}
	return t
}

// putRowTask returns t to the pool, keeping its scratch buffer.
func putRowTask(t *rowTask) {
	*t = rowTask{scratch: t.scratch}
	rowTasks.Put(t)
}

// Softmax writes each row of y with softmax(x row)ₖ = e^(xₖ−m)/Σⱼ e^(xⱼ−m),
// m the row maximum, the exponentials from the level's Exp kernel and their
// sum in float64. x and y may be the same tensor.
func (b *Backend) Softmax(x, y backend.Tensor) {
	tx, ty := b.tensor("Softmax", x), b.tensor("Softmax", y)
	check.SameShape("Softmax", []string{"x", "y"}, tx.shape, ty.shape)
	rows, cols := tx.rows, tx.cols
	t := b.getRowTask(rowSoftmax, rows, cols)
	t.x, t.y = tx.data, ty.data
	parallelDo(rows, grainFor(cols*mathCost), t)
	putRowTask(t)
}

// SoftmaxBackward writes dx = y∘(dy − rowsum(dy∘y)). dx may be the same
// tensor as dy or y.
func (b *Backend) SoftmaxBackward(y, dy, dx backend.Tensor) {
	ty, tdy, tdx := b.tensor("SoftmaxBackward", y), b.tensor("SoftmaxBackward", dy), b.tensor("SoftmaxBackward", dx)
	check.SameShape("SoftmaxBackward", []string{"y", "dy", "dx"}, ty.shape, tdy.shape, tdx.shape)
	rows, cols := ty.rows, ty.cols
	t := b.getRowTask(rowSoftmaxBackward, rows, cols)
	t.x, t.y, t.g = ty.data, tdy.data, tdx.data
	parallelDo(rows, grainFor(2*cols), t)
	putRowTask(t)
}

// SoftmaxCrossEntropy writes loss[0] = −(1/N)·Σₙ Σₖ tₙₖ·log softmax(xₙ)ₖ and
// grad = (softmax(x) − t)/N for logits x and target t [N, K], with
// log softmax(xₙ)ₖ = (xₙₖ − m) − log Σⱼ e^(xₙⱼ−m), m the row maximum. Terms with tₙₖ = 0 are left out of the loss. grad may be the
// same tensor as logits or target.
func (b *Backend) SoftmaxCrossEntropy(logits, target, grad, loss backend.Tensor) {
	const op = "SoftmaxCrossEntropy"
	tx, tt, tg, tl := b.tensor(op, logits), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	check.SameShape(op, []string{"logits", "target", "grad"}, tx.shape, tt.shape, tg.shape)
	check.Scalar(op, "loss", tl.shape)
	rows, cols := tx.rows, tx.cols
	t := b.getRowTask(rowSoftmaxXent, rows, cols)
	t.x, t.t, t.g, t.invN = tx.data, tt.data, tg.data, 1/float32(rows)
	sum := sumChunks(rows, t.chunk, cols*mathCost, t)
	putRowTask(t)
	tl.data[0] = float32(sum / float64(rows))
}

// CountCorrect adds to count[0] the number of rows whose first arg-max in
// pred is the first arg-max in target.
func (b *Backend) CountCorrect(pred, target, count backend.Tensor) {
	tp, tt, tc := b.tensor("CountCorrect", pred), b.tensor("CountCorrect", target), b.tensor("CountCorrect", count)
	check.SameShape("CountCorrect", []string{"pred", "target"}, tp.shape, tt.shape)
	check.Scalar("CountCorrect", "count", tc.shape)
	rows, cols := tp.rows, tp.cols
	t := b.getRowTask(rowCountCorrect, rows, cols)
	t.x, t.t = tp.data, tt.data
	n := sumChunks(rows, t.chunk, 2*cols, t)
	putRowTask(t)
	tc.data[0] += float32(n)
}

// rowMax returns the largest element of a non-empty row.
func rowMax(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return m
}

// argMax returns the index of the first largest element of a non-empty row.
func argMax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
