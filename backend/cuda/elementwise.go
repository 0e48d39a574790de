//go:build cuda

package cuda

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// Add writes c = a + b elementwise; c may be a or b.
func (b *Backend) Add(a, bt, c backend.Tensor) {
	ta, tb, tc := b.tensor("Add", a), b.tensor("Add", bt), b.tensor("Add", c)
	check.SameLen("Add", []string{"a", "b", "c"}, ta.shape, tb.shape, tc.shape)
	n := ta.len()
	b.launch("Add", kernels.Add, b.grid(n), new(args).ptr(ta).ptr(tb).ptr(tc).i64(n))
}

// Mul writes c = a∘b elementwise; c may be a or b.
func (b *Backend) Mul(a, bt, c backend.Tensor) {
	ta, tb, tc := b.tensor("Mul", a), b.tensor("Mul", bt), b.tensor("Mul", c)
	check.SameLen("Mul", []string{"a", "b", "c"}, ta.shape, tb.shape, tc.shape)
	n := ta.len()
	b.launch("Mul", kernels.Mul, b.grid(n), new(args).ptr(ta).ptr(tb).ptr(tc).i64(n))
}

// Scale sets x = alpha·x.
func (b *Backend) Scale(alpha float32, x backend.Tensor) {
	tx := b.tensor("Scale", x)
	n := tx.len()
	b.launch("Scale", kernels.Scale, b.grid(n), new(args).f32(alpha).ptr(tx).i64(n))
}

// Axpy sets y = alpha·x + y, rounding alpha·x before the addition.
func (b *Backend) Axpy(alpha float32, x, y backend.Tensor) {
	tx, ty := b.tensor("Axpy", x), b.tensor("Axpy", y)
	check.SameLen("Axpy", []string{"x", "y"}, tx.shape, ty.shape)
	n := tx.len()
	b.launch("Axpy", kernels.Axpy, b.grid(n), new(args).f32(alpha).ptr(tx).ptr(ty).i64(n))
}

// AddBias adds b[c] to every y[n, c, …].
func (b *Backend) AddBias(y, bias backend.Tensor) {
	ty, tb := b.tensor("AddBias", y), b.tensor("AddBias", bias)
	_, c, spatial := check.Channels("AddBias", "y", ty.shape, tb.shape)
	n := ty.len()
	b.launch("AddBias", kernels.AddBias, b.grid(n), new(args).ptr(ty).ptr(tb).i64(n).i32(c).i64(spatial))
}

// BiasGrad overwrites db[c] with Σ over n and space of dy[n, c, …]: one
// warp per (n, c) plane summing in double, then one thread per channel
// adding the planes' sums in the order of n.
func (b *Backend) BiasGrad(dy, db backend.Tensor) { b.biasGrad("BiasGrad", dy, 0, db) }

// BiasGradAdd writes db = Σ over n and space of dy[n, c, …] + beta·db, as
// BiasGrad does with the old db scaled and added in double before the one
// rounding; beta 0 ignores db's old contents.
func (b *Backend) BiasGradAdd(dy backend.Tensor, beta float32, db backend.Tensor) {
	b.biasGrad("BiasGradAdd", dy, beta, db)
}

func (b *Backend) biasGrad(op string, dy backend.Tensor, beta float32, db backend.Tensor) {
	tdy, tdb := b.tensor(op, dy), b.tensor(op, db)
	n, c, spatial := check.Channels(op, "dy", tdy.shape, tdb.shape)
	part, done := b.scratch(op, uint64(8*n*c))
	defer done()
	b.launch(op, kernels.BiasGradPart, b.rowGrid(n*c), new(args).ptr(tdy).addr(part).i64(n*c).i64(spatial))
	b.launch(op, kernels.BiasGrad, b.grid(c), new(args).addr(part).ptr(tdb).i32(n).i32(c).f32(beta))
}

// sumChunk is the number of elements one block of the sum kernels adds.
const sumChunk = 8192

// reduce writes dst[0] = scale·Σ x[i] + beta·dst[0] over n values at x
// (float32, or float64 if wide); beta 0 ignores dst's old value. Blocks
// sum fixed chunks in double and one block adds their sums in order, so
// the result depends only on n.
func (b *Backend) reduce(op string, x uint64, wide bool, n int, scale float64, dst uint64, beta float32) {
	parts := (n + sumChunk - 1) / sumChunk
	part, done := b.scratch(op, uint64(8*parts))
	defer done()
	k := kernels.SumPartial
	if wide {
		k = kernels.SumPartialF64
	}
	b.launch(op, k, parts, new(args).addr(x).i64(n).i64(sumChunk).addr(part))
	b.launch(op, kernels.SumFinal, 1, new(args).addr(part).i32(parts).f64(scale).addr(dst).f32(beta))
}

// Sum writes the sum of all elements of x into dst[0], accumulated in
// double over fixed chunks whose sums are added in a fixed order.
func (b *Backend) Sum(x, dst backend.Tensor) {
	tx, td := b.tensor("Sum", x), b.tensor("Sum", dst)
	check.Scalar("Sum", "dst", td.shape)
	b.reduce("Sum", tx.ptr, false, tx.len(), 1, td.ptr, 0)
}
