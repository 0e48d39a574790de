package backend

import (
	"errors"
	"fmt"
)

// Optional op groups.
//
// Backend is the core every backend implements, and it never gains a
// method: a method added to an interface breaks every implementation
// written outside this module. New ops arrive instead as small optional
// interfaces (Viewer, Math, Reducer, Indexer, BatchMatMuler, Allocator,
// Recurrent, Shifter, ConvPooler, Reshaper, ConvActivator, …) that a
// backend implements when it can. Callers reach them through the
// package-level functions of the same names (backend.Slice(b, …),
// backend.Binary(b, …)), which find the group by a
// type assertion and otherwise run a fallback built from core ops (or
// other groups) or, where there is none, panic with an
// *UnimplementedError naming the op, the backend and the interface to
// implement. Lacks lists the groups a backend is missing.

// DType is the element type of a tensor.
type DType int

// The element types. Float32 is every core op's; Int32 tensors (token and
// label indices) come from Indexer.AllocInt32.
const (
	Float32 DType = iota
	Int32
)

// String returns "float32" or "int32".
func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int32:
		return "int32"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Typed is implemented by tensors that can hold another type than float32.
type Typed interface {
	DType() DType
}

// DTypeOf returns t's element type: t.DType() when t implements Typed,
// Float32 otherwise.
func DTypeOf(t Tensor) DType {
	if tt, ok := t.(Typed); ok {
		return tt.DType()
	}
	return Float32
}

// UnimplementedError is the panic value of an optional op called on a
// backend that lacks it and has no fallback.
type UnimplementedError struct {
	Op        string // the op called, e.g. "Gather"
	Backend   string // the backend's Name
	Interface string // the optional interface that provides it, e.g. "backend.Indexer"
}

func (e *UnimplementedError) Error() string {
	return fmt.Sprintf("backend: op %s is not implemented by backend %q (it implements %s to provide it)", e.Op, e.Backend, e.Interface)
}

// ErrOutOfMemory is wrapped by the error a backend returns (or panics
// with, from Alloc) when the device has no room for a tensor; test it with
// errors.Is.
var ErrOutOfMemory = errors.New("out of device memory")

// Viewer provides views: tensors that share the memory of a base tensor.
//
// A view is valid only while its base is: it dies with the base (Free or
// Close of the backend). Free of a view is a no-op; its memory belongs to
// the base. Views are usable as input or output of every op, and making
// one copies no data.
type Viewer interface {
	// Reshape returns a view of t with the given shape, which must have
	// t's length (torch.Tensor.view).
	Reshape(t Tensor, shape ...int) Tensor
	// Slice returns a view of rows [start, end) of t along its leading
	// axis: shape [end−start, t.Shape()[1:]…] (torch.Tensor.narrow(0,
	// start, end−start)). 0 ≤ start < end ≤ t.Shape()[0].
	Slice(t Tensor, start, end int) Tensor
	// SliceInto re-aims view, a tensor Slice returned, at rows
	// [start, end) of t without allocating: its shape becomes
	// [end−start, t.Shape()[1:]…]. Steady-state loops (one time step per
	// call) use it to allocate nothing.
	SliceInto(view, t Tensor, start, end int)
	// CopyRegion copies a box of up to four dimensions between two
	// tensors, strides in elements:
	//
	//	dst[dr.Offset + Σ_k i_k·dr.Strides[k]] = src[sr.Offset + Σ_k i_k·sr.Strides[k]]
	//	                                         (+ the old dst when accumulate)
	//
	// for every 0 ≤ i_k < size[k]. Slicing along any axis, Concat, Split and
	// the transpose of the last two axes are all one call. dst must not
	// overlap src, and the box must not write an element of dst twice.
	CopyRegion(dst Tensor, dr Region, src Tensor, sr Region, size [4]int, accumulate bool)
}

// Region addresses a strided box inside a tensor for CopyRegion: the
// element at box index (i0, i1, i2, i3) is Offset + Σ i_k·Strides[k].
type Region struct {
	Offset  int
	Strides [4]int
}

// BinaryOp is an elementwise binary operation for Binary.
type BinaryOp int

// The binary operations, with PyTorch's names.
const (
	OpAdd BinaryOp = iota // a + b (torch.add)
	OpSub                 // a − b (torch.sub)
	OpMul                 // a·b (torch.mul)
	OpDiv                 // a/b (torch.div)
	OpMax                 // max(a, b), NaN if either is NaN (torch.maximum)
	OpMin                 // min(a, b), NaN if either is NaN (torch.minimum)
)

var binaryNames = [...]string{"add", "sub", "mul", "div", "max", "min"}

// String returns the operation's lower-case name.
func (o BinaryOp) String() string {
	if o >= 0 && int(o) < len(binaryNames) {
		return binaryNames[o]
	}
	return fmt.Sprintf("BinaryOp(%d)", int(o))
}

// UnaryOp is an elementwise function for Unary.
type UnaryOp int

// The unary functions, with PyTorch's names.
const (
	OpExp        UnaryOp = iota // eˣ (torch.exp)
	OpLog                       // ln x, −Inf at 0, NaN below (torch.log)
	OpSqrt                      // √x (torch.sqrt)
	OpRsqrt                     // 1/√x (torch.rsqrt)
	OpAbs                       // |x| (torch.abs)
	OpSquare                    // x² (torch.square)
	OpReciprocal                // 1/x (torch.reciprocal)
	OpNeg                       // −x (torch.neg)
)

var unaryNames = [...]string{"exp", "log", "sqrt", "rsqrt", "abs", "square", "reciprocal", "neg"}

// String returns the function's lower-case name.
func (o UnaryOp) String() string {
	if o >= 0 && int(o) < len(unaryNames) {
		return unaryNames[o]
	}
	return fmt.Sprintf("UnaryOp(%d)", int(o))
}

// Math provides elementwise arithmetic beyond the core's Add and Mul.
type Math interface {
	// Binary writes c = a op b elementwise with PyTorch's broadcasting: the
	// shapes are aligned at their last dimension, and a dimension of size 1
	// (or a missing leading one) in a or b repeats along c's. c has the
	// broadcast shape, and may alias a or b when it has that operand's
	// shape. So a [1, D] row applies to every row of [N, D], a [C, 1, 1]
	// per-channel tensor to every plane of [N, C, H, W], and a one-element
	// tensor to everything (Binary(OpMul, x, s, x) scales x by the device
	// scalar s).
	Binary(op BinaryOp, a, b, c Tensor)
	// Unary writes y = op(x) elementwise; y may be x.
	Unary(op UnaryOp, x, y Tensor)
	// Affine writes y = alpha·x + beta elementwise; y may be x.
	Affine(alpha, beta float32, x, y Tensor)
	// Clamp writes y = min(max(x, lo), hi) elementwise (torch.clamp); y may
	// be x.
	Clamp(lo, hi float32, x, y Tensor)
}

// ReduceOp is a reduction for Reduce.
type ReduceOp int

// The reductions, with PyTorch's names.
const (
	ReduceSum  ReduceOp = iota // Σ (torch.sum)
	ReduceMean                 // Σ/n (torch.mean)
	ReduceMax                  // max, NaN if any is NaN (torch.amax)
)

var reduceNames = [...]string{"sum", "mean", "max"}

// String returns the reduction's lower-case name.
func (o ReduceOp) String() string {
	if o >= 0 && int(o) < len(reduceNames) {
		return reduceNames[o]
	}
	return fmt.Sprintf("ReduceOp(%d)", int(o))
}

// Reducer provides reductions along one axis, and accumulating forms of
// the core's gradient ops for backpropagation through time.
type Reducer interface {
	// Reduce writes y = op over axis of x, + beta·y (beta 0 ignores y's old
	// contents, NaN included). y has x's shape without that axis (or with
	// it as 1: only the length is checked); x with one axis reduces to a
	// one-element y. axis may count from the end when negative, as
	// PyTorch's dim does. PyTorch: torch.sum/mean/amax(x, dim=axis).
	Reduce(op ReduceOp, x Tensor, axis int, y Tensor, beta float32)
	// ArgMax writes, for each position of x with axis removed, the index
	// of the maximum along axis (the first on ties; a NaN counts as the
	// maximum, the first NaN winning; axis as in Reduce) into the int32 tensor
	// indices and, unless values is nil, the maximum into values
	// (torch.max(x, dim=axis)).
	ArgMax(x Tensor, axis int, values, indices Tensor)
	// BiasGradAdd writes db = Σ over n and space of dy[n, c, …] + beta·db
	// (BiasGrad with accumulation).
	BiasGradAdd(dy Tensor, beta float32, db Tensor)
	// ActivateBackwardAdd writes dx = dy·f′(x) + beta·dx
	// (ActivateBackward with accumulation); dx must not alias dy unless
	// beta is 0.
	ActivateBackwardAdd(a Activation, x, y, dy Tensor, beta float32, dx Tensor)
}

// Indexer provides int32 tensors and the ops that index with them.
// Int32 tensors are freed with Free; the float32 ops reject them.
type Indexer interface {
	// AllocInt32 returns a new int32 tensor of the given shape.
	AllocInt32(shape ...int) Tensor
	// UploadInt32 copies src into the int32 tensor dst.
	UploadInt32(dst Tensor, src []int32)
	// DownloadInt32 copies the int32 tensor src into dst.
	DownloadInt32(dst []int32, src Tensor)
	// Gather writes row i of out with row idx[i] of table, reading table
	// as a matrix [V, D] (see the package doc) and out as [len(idx), D]:
	// out[i, :] = table[idx[i], :] (torch.nn.functional.embedding,
	// torch.index_select(table, 0, idx)). An index outside [0, V) panics on
	// the CPU and is reported by Sync on a device.
	Gather(table, idx, out Tensor)
	// ScatterAdd is Gather's adjoint: table[idx[i], :] += src[i, :] for
	// every i (torch.Tensor.index_add_(0, idx, src)). Repeated indices sum
	// in the order of i, so the result is the same bits on every run.
	ScatterAdd(src, idx, table Tensor)
	// OneHot writes out [N, K] with out[n, k] = 1 where k = labels[n] and 0
	// elsewhere (torch.nn.functional.one_hot) for int32 labels [N].
	OneHot(labels, out Tensor)
	// CountCorrectLabels adds to count[0] the number of rows n of pred
	// [N, K] whose arg-max (the first on ties) equals the int32 labels[n].
	CountCorrectLabels(pred, labels, count Tensor)
}

// BatchMatMuler provides batched matrix products.
type BatchMatMuler interface {
	// BatchMatMul computes, for every b < B, C[b] = alpha·op(A[b])·op(B[b])
	// + beta·C[b] with A, B and C of three dimensions [B, …, …] and op as in
	// MatMul (torch.baddbmm). C must not share memory with A or B.
	BatchMatMul(transA, transB bool, alpha float32, a, b Tensor, beta float32, c Tensor)
}

// Allocator provides allocation that reports failure as an error.
type Allocator interface {
	// TryAlloc is Alloc, returning an error that wraps ErrOutOfMemory when
	// the device has no room (and the backend stays usable).
	TryAlloc(shape ...int) (Tensor, error)
}
