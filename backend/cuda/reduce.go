//go:build cuda

package cuda

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// axisSplit returns x's shape read as [outer, n, inner] around axis, which
// may count from the end when negative (as in PyTorch), and the axis.
func axisSplit(op string, x *tensor, axis int) (outer, n, inner int) {
	r := len(x.shape)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= max(r, 1) {
		panic(fmt.Sprintf("cuda: %s: axis %d of a tensor of shape %v", op, axis, x.shape))
	}
	if r == 0 {
		return 1, 1, 1
	}
	outer, inner = backend.Shape(x.shape[:axis]).Len(), backend.Shape(x.shape[axis+1:]).Len()
	return outer, x.shape[axis], inner
}

// rowsKernel reports whether an axis reduction of outputs outputs over n
// elements spaced inner apart runs one warp per output (the axis read by
// 32 lanes at once) rather than one thread per output: when the axis is
// contiguous, or when inner is too short for consecutive threads to read
// whole lines and the axis is long enough to give a warp's lanes work.
// Both kernels are correct for every shape; the choice depends only on the
// shape, so results repeat.
func rowsKernel(n, inner int) bool { return inner == 1 || (inner < 32 && n >= 32) }

// Reduce writes y = op over axis of x + beta·y (torch.sum, torch.mean,
// torch.amax with dim=axis; beta 0 ignores y's old contents, NaN
// included). y has x's length without the axis. Sums are taken in double
// in a fixed order and rounded once with the beta term, so results repeat
// bit for bit; the maximum is NaN where any element is. axis may be
// negative, counting from the end.
//
// x is read as [outer, n, inner]: with one output, sums go through the
// multi-block Sum kernels; otherwise one warp per output reduces a
// contiguous or short-strided axis, and one thread per output walks the
// axis in order when inner is 32 or more.
func (b *Backend) Reduce(op backend.ReduceOp, x backend.Tensor, axis int, y backend.Tensor, beta float32) {
	const name = "Reduce"
	tx, ty := b.tensor(name, x), b.tensor(name, y)
	if op < backend.ReduceSum || op > backend.ReduceMax {
		panic(fmt.Sprintf("cuda: Reduce: unknown reduction %v", op))
	}
	outer, n, inner := axisSplit(name, tx, axis)
	outputs := outer * inner
	if ty.len() != outputs {
		panic(fmt.Sprintf("cuda: Reduce %v: y has shape %v, want %d elements: x %v without axis %d", op, ty.shape, outputs, tx.shape, axis))
	}
	if ty.overlaps(tx) {
		panic(fmt.Sprintf("cuda: Reduce %v: y %v shares memory with x %v", op, ty.shape, tx.shape))
	}
	switch {
	case outputs == 1 && op != backend.ReduceMax:
		scale := 1.0
		if op == backend.ReduceMean {
			scale = 1 / float64(n)
		}
		b.reduce(name, tx.ptr, false, n, scale, ty.ptr, beta)
	case rowsKernel(n, inner):
		b.launch(name, kernels.ReduceRows, b.rowGrid(outputs), new(args).i32(int(op)).ptr(tx).ptr(ty).i64(outputs).i64(n).i64(inner).f32(beta))
	default:
		b.launch(name, kernels.ReduceCols, b.grid(outputs), new(args).i32(int(op)).ptr(tx).ptr(ty).i64(outputs).i64(n).i64(inner).f32(beta))
	}
}

// ArgMax writes, for each position of x with axis removed, the index
// along axis of the maximum into the int32 tensor indices and, unless
// values is nil, the maximum into values (torch.max(x, dim=axis)). Ties go
// to the first index; NaN counts as above every number (the first NaN
// wins), as in PyTorch. axis may be negative, counting from the end.
func (b *Backend) ArgMax(x backend.Tensor, axis int, values, indices backend.Tensor) {
	const name = "ArgMax"
	tx, ti := b.tensor(name, x), b.int32Tensor(name, indices)
	outer, n, inner := axisSplit(name, tx, axis)
	outputs := outer * inner
	if n > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: ArgMax: axis %d of x %v is longer than an int32 index reaches", axis, tx.shape))
	}
	if ti.len() != outputs {
		panic(fmt.Sprintf("cuda: ArgMax: indices has shape %v, want %d elements: x %v without axis %d", ti.shape, outputs, tx.shape, axis))
	}
	var vp uint64
	if values != nil {
		tv := b.tensor(name, values)
		if tv.len() != outputs {
			panic(fmt.Sprintf("cuda: ArgMax: values has shape %v, want %d elements: x %v without axis %d", tv.shape, outputs, tx.shape, axis))
		}
		if tv.overlaps(tx) || tv.overlaps(ti) {
			panic(fmt.Sprintf("cuda: ArgMax: values %v shares memory with x or indices", tv.shape))
		}
		vp = tv.ptr
	}
	if ti.overlaps(tx) {
		panic(fmt.Sprintf("cuda: ArgMax: indices %v shares memory with x %v", ti.shape, tx.shape))
	}
	k, grid := kernels.ArgmaxCols, b.grid(outputs)
	if rowsKernel(n, inner) {
		k, grid = kernels.ArgmaxRows, b.rowGrid(outputs)
	}
	b.launch(name, k, grid, new(args).ptr(tx).addr(vp).ptr(ti).i64(outputs).i32(n).i64(inner))
}
