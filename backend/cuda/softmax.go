//go:build cuda

package cuda

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// Softmax writes each row of y with softmax(x row)ₖ = e^(xₖ−m)/Σⱼ e^(xⱼ−m),
// m the row maximum, one warp per row. x and y may be the same tensor.
func (b *Backend) Softmax(x, y backend.Tensor) {
	tx, ty := b.tensor("Softmax", x), b.tensor("Softmax", y)
	check.SameShape("Softmax", []string{"x", "y"}, tx.shape, ty.shape)
	rows, cols := tx.shape.Rows(), tx.shape.Cols()
	b.launch("Softmax", kernels.Softmax, b.rowGrid(rows), new(args).ptr(tx).ptr(ty).i64(rows).i32(cols))
}

// SoftmaxBackward writes dx = y∘(dy − rowsum(dy∘y)), the row sums in
// double. dx may be the same tensor as dy or y.
func (b *Backend) SoftmaxBackward(y, dy, dx backend.Tensor) {
	const op = "SoftmaxBackward"
	ty, tdy, tdx := b.tensor(op, y), b.tensor(op, dy), b.tensor(op, dx)
	check.SameShape(op, []string{"y", "dy", "dx"}, ty.shape, tdy.shape, tdx.shape)
	rows, cols := ty.shape.Rows(), ty.shape.Cols()
	b.launch(op, kernels.SoftmaxBackward, b.rowGrid(rows), new(args).ptr(ty).ptr(tdy).ptr(tdx).i64(rows).i32(cols))
}

// SoftmaxCrossEntropy writes loss[0] = −(1/N)·Σₙ Σₖ tₙₖ·log softmax(xₙ)ₖ and
// grad = (softmax(x) − t)/N, with log softmax computed in double from the
// row maximum. Terms with tₙₖ = 0 are left out of the loss. grad may be
// the same tensor as logits or target.
func (b *Backend) SoftmaxCrossEntropy(logits, target, grad, loss backend.Tensor) {
	const op = "SoftmaxCrossEntropy"
	tx, tt, tg, tl := b.tensor(op, logits), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	check.SameShape(op, []string{"logits", "target", "grad"}, tx.shape, tt.shape, tg.shape)
	check.Scalar(op, "loss", tl.shape)
	rows, cols := tx.shape.Rows(), tx.shape.Cols()
	rowLoss, done := b.scratch(op, uint64(8*rows))
	defer done()
	b.launch(op, kernels.SoftmaxXent, b.rowGrid(rows), new(args).ptr(tx).ptr(tt).ptr(tg).addr(rowLoss).i64(rows).i32(cols).f32(1/float32(rows)))
	b.reduce(op, rowLoss, true, rows, 1/float64(rows), tl.ptr, 0)
}

// CountCorrect adds to count[0] the number of rows whose first arg-max in
// pred is the first arg-max in target.
func (b *Backend) CountCorrect(pred, target, count backend.Tensor) {
	const op = "CountCorrect"
	tp, tt, tc := b.tensor(op, pred), b.tensor(op, target), b.tensor(op, count)
	check.SameShape(op, []string{"pred", "target"}, tp.shape, tt.shape)
	check.Scalar(op, "count", tc.shape)
	rows, cols := tp.shape.Rows(), tp.shape.Cols()
	hits, done := b.scratch(op, uint64(8*rows))
	defer done()
	b.launch(op, kernels.ArgmaxMatch, b.rowGrid(rows), new(args).ptr(tp).ptr(tt).addr(hits).i64(rows).i32(cols))
	b.reduce(op, hits, true, rows, 1, tc.ptr, 1)
}
