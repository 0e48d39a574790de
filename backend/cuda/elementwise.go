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
func (b *Backend) BiasGrad(dy, db backend.Tensor) {
	tdy, tdb := b.tensor("BiasGrad", dy), b.tensor("BiasGrad", db)
	n, c, spatial := check.Channels("BiasGrad", "dy", tdy.shape, tdb.shape)
	part, done := b.scratch("BiasGrad", uint64(8*n*c))
	defer done()
	b.launch("BiasGrad", kernels.BiasGradPart, b.rowGrid(n*c), new(args).ptr(tdy).addr(part).i64(n*c).i64(spatial))
	b.launch("BiasGrad", kernels.BiasGrad, b.grid(c), new(args).addr(part).ptr(tdb).i32(n).i32(c))
}

// sumChunk is the number of elements one block of the sum kernels adds.
const sumChunk = 8192

// reduce writes dst[0] = scale·Σ x[i] over n values at x (float32, or
// float64 if wide), or adds that to dst[0] when accumulate is set. Blocks
// sum fixed chunks in double and one block adds their sums in order, so
// the result depends only on n.
func (b *Backend) reduce(op string, x uint64, wide bool, n int, scale float64, dst *tensor, accumulate bool) {
	parts := (n + sumChunk - 1) / sumChunk
	part, done := b.scratch(op, uint64(8*parts))
	defer done()
	k := kernels.SumPartial
	if wide {
		k = kernels.SumPartialF64
	}
	b.launch(op, k, parts, new(args).addr(x).i64(n).i64(sumChunk).addr(part))
	acc := 0
	if accumulate {
		acc = 1
	}
	b.launch(op, kernels.SumFinal, 1, new(args).addr(part).i32(parts).f64(scale).ptr(dst).i32(acc))
}

// Sum writes the sum of all elements of x into dst[0], accumulated in
// double over fixed chunks whose sums are added in a fixed order.
func (b *Backend) Sum(x, dst backend.Tensor) {
	tx, td := b.tensor("Sum", x), b.tensor("Sum", dst)
	check.Scalar("Sum", "dst", td.shape)
	b.reduce("Sum", tx.ptr, false, tx.len(), 1, td, false)
}
