//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// Reshape returns a view of t with the given shape, which must have t's
// length (torch.Tensor.view): the same device memory, no copy. The view
// keeps t's element type and lives as long as the tensor that owns the
// memory.
func (b *Backend) Reshape(t backend.Tensor, shape ...int) backend.Tensor {
	ct := b.anyTensor("Reshape", t)
	checkReshape("Reshape", ct, shape)
	return &tensor{shape: append(backend.Shape(nil), shape...), ptr: ct.ptr, dtype: ct.dtype, base: ct.root(), owner: b}
}

var _ backend.Reshaper = (*Backend)(nil)

// ReshapeInto re-aims view, a view Reshape or Slice returned, at all of t
// with the given shape, as Reshape(t, shape...) would make it
// (torch.Tensor.view): no copy, and no allocation when the view's shape
// had room for as many dimensions.
func (b *Backend) ReshapeInto(view, t backend.Tensor, shape ...int) {
	v := b.handle("ReshapeInto", view)
	if v.base == nil {
		panic(fmt.Sprintf("cuda: ReshapeInto: tensor of shape %v is not a view; pass one that Reshape or Slice returned", v.shape))
	}
	ct := b.anyTensor("ReshapeInto", t)
	checkReshape("ReshapeInto", ct, shape)
	v.shape = append(v.shape[:0], shape...)
	v.ptr, v.dtype, v.base = ct.ptr, ct.dtype, ct.root()
}

// checkReshape panics for op unless shape has t's number of elements,
// every dimension positive.
func checkReshape(op string, t *tensor, shape []int) {
	n := 1
	for _, d := range shape {
		if d < 1 {
			panic(fmt.Sprintf("cuda: %s: non-positive dimension in shape %v", op, shape))
		}
		if n <= t.len() { // so that n cannot overflow
			n *= d
		}
	}
	if n != t.len() {
		panic(fmt.Sprintf("cuda: %s: tensor of shape %v (%d elements) to shape %v (%d elements)", op, t.shape, t.len(), shape, n))
	}
}

// Slice returns a view of rows [start, end) of t along its leading axis
// (torch.Tensor.narrow(0, start, end−start)): its address is t's plus
// start rows, no copy.
func (b *Backend) Slice(t backend.Tensor, start, end int) backend.Tensor {
	ct := b.anyTensor("Slice", t)
	v := &tensor{owner: b}
	aim("Slice", v, ct, start, end)
	return v
}

// SliceInto re-aims view, a view that Slice or Reshape returned, at rows
// [start, end) of t, as Slice(t, start, end) would make it, without
// allocating (view's shape slice is reused when it has room).
func (b *Backend) SliceInto(view, t backend.Tensor, start, end int) {
	v := b.handle("SliceInto", view)
	if v.base == nil {
		panic(fmt.Sprintf("cuda: SliceInto: tensor of shape %v is not a view; pass one that Slice returned", v.shape))
	}
	aim("SliceInto", v, b.anyTensor("SliceInto", t), start, end)
}

// aim points view v at rows [start, end) of t, checking them for op.
func aim(op string, v, t *tensor, start, end int) {
	if len(t.shape) == 0 || start < 0 || start >= end || end > t.shape[0] {
		panic(fmt.Sprintf("cuda: %s: rows [%d, %d) of a tensor of shape %v, want 0 ≤ start < end ≤ %d", op, start, end, t.shape, t.shape.Rows()))
	}
	v.shape = append(append(v.shape[:0], end-start), t.shape[1:]...)
	v.ptr = t.ptr + 4*uint64(start*t.shape.Cols())
	v.dtype = t.dtype
	v.base = t.root()
}

// CopyRegion copies a box of up to four dimensions from src to dst, or
// adds it to dst's elements when accumulate is set, with one kernel:
//
//	dst[dr.Offset + Σ_k i_k·dr.Strides[k]] (+)= src[sr.Offset + Σ_k i_k·sr.Strides[k]]
//
// for 0 ≤ i_k < size[k]. Both tensors are float32, or both int32 (then
// accumulate adds integers). Every element the box reaches must lie inside
// its tensor; strides may be negative or 0 in src. dst must not overlap
// src and the box must not reach an element of dst twice (not checked:
// such a copy has an unspecified result).
func (b *Backend) CopyRegion(dst backend.Tensor, dr backend.Region, src backend.Tensor, sr backend.Region, size [4]int, accumulate bool) {
	const op = "CopyRegion"
	td, ts := b.anyTensor(op, dst), b.anyTensor(op, src)
	if td.dtype != ts.dtype {
		panic(fmt.Sprintf("cuda: CopyRegion: dst %v holds %v, src %v holds %v", td.shape, td.dtype, ts.shape, ts.dtype))
	}
	n := check.Region(op, td.shape, dr, ts.shape, sr, size)
	if n == 0 {
		return
	}
	if td.overlaps(ts) {
		panic(fmt.Sprintf("cuda: CopyRegion: dst %v and src %v share memory", td.shape, ts.shape))
	}
	mode := 0 // BOX_COPY
	if accumulate {
		mode = 1 // BOX_ADD_F32
		if td.dtype == backend.Int32 {
			mode = 2 // BOX_ADD_I32
		}
	}
	g := new(args).ptr(td).ptr(ts).i64(n).longs(
		size[0], size[1], size[2], size[3],
		dr.Strides[0], dr.Strides[1], dr.Strides[2], dr.Strides[3],
		sr.Strides[0], sr.Strides[1], sr.Strides[2], sr.Strides[3],
		dr.Offset, sr.Offset).i32(mode)
	b.launch(op, kernels.CopyRegion, b.grid(n), g)
}
