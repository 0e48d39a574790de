package cpu

import (
	"fmt"
	"unsafe"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// Views. A view made by Reshape or Slice is a tensor whose elements are a
// sub-slice of its base's: the tensor Alloc (or AllocInt32) made, also when
// the view is made from another view. Every op takes views as inputs and
// outputs, as it takes any tensor. A view is valid while its base is:
// after the base is freed or the backend closed, using the view panics
// (naming the view's and the base's shapes). Free of a view is a no-op. A
// view holds on to its base's memory as far as the garbage collector is
// concerned: a dead view that stays reachable keeps that memory alive.
// An op's output may be a view of the same base as an input only where the
// op allows the output to alias that input, and then only when the two
// cover the same elements: a partial overlap gives unspecified results.

var _ backend.Viewer = (*Backend)(nil)

// Reshape returns a view of t with the given shape, which must have as
// many elements as t (torch.Tensor.view; every dimension positive, none
// for a one-element tensor). It copies nothing, and allocates only the
// view's handle (one allocation, for up to four dimensions).
func (b *Backend) Reshape(t backend.Tensor, shape ...int) backend.Tensor {
	ct := b.anyTensor("Reshape", t)
	checkReshape("Reshape", ct, shape)
	v := b.newView(ct, len(shape))
	reshapeAim(v, ct, shape)
	return v
}

var _ backend.Reshaper = (*Backend)(nil)

// ReshapeInto re-aims view, a view Reshape or Slice returned, at all of t
// with the given shape, as Reshape(t, shape...) would make it
// (torch.Tensor.view). It copies nothing and allocates nothing when shape
// has at most four dimensions or no more than the view had. view may be
// dead (its old base freed); t must not be.
func (b *Backend) ReshapeInto(view, t backend.Tensor, shape ...int) {
	v := b.viewHandle("ReshapeInto", view)
	ct := b.anyTensor("ReshapeInto", t)
	checkReshape("ReshapeInto", ct, shape)
	v.setRank(len(shape))
	reshapeAim(v, ct, shape)
}

// checkReshape panics unless shape has t's number of elements, every
// dimension positive.
func checkReshape(op string, t *tensor, shape []int) {
	n := t.len()
	prod := 1
	for _, d := range shape {
		// prod ≤ n before each multiplication keeps it from overflowing.
		if d < 1 || prod > n {
			prod = -1
			break
		}
		prod *= d
	}
	if prod != n {
		panic(fmt.Sprintf("cpu: %s: tensor of shape %v (%d elements) to shape %v: want positive dimensions with %d elements in all", op, t.shape, n, backend.Shape(append([]int(nil), shape...)), n))
	}
}

// reshapeAim points v, whose shape has len(shape) dimensions, at all of t
// with that shape.
func reshapeAim(v, t *tensor, shape []int) {
	copy(v.shape, shape)
	v.rows, v.cols = v.shape.Rows(), v.shape.Cols()
	v.dtype, v.base = t.dtype, t.root()
	v.data, v.ints = t.data, t.ints
}

// Slice returns a view of rows [start, end) of t along its leading axis,
// of shape [end−start, t.Shape()[1:]…] (torch.Tensor.narrow(0, start,
// end−start)); 0 ≤ start < end ≤ t.Shape()[0]. It copies nothing, and
// allocates only the view's handle (one allocation, for up to four
// dimensions).
func (b *Backend) Slice(t backend.Tensor, start, end int) backend.Tensor {
	ct := b.anyTensor("Slice", t)
	checkSlice("Slice", ct, start, end)
	v := b.newView(ct, len(ct.shape))
	aim(v, ct, start, end)
	return v
}

// SliceInto re-aims view, a view Slice (or Reshape) returned, at rows
// [start, end) of t, as Slice(t, start, end) would make it: its shape,
// element type and base become those of the new slice. It copies nothing and allocates
// nothing when t has at most four dimensions or no more than the view had.
// view may be dead (its old base freed); t must not be.
func (b *Backend) SliceInto(view, t backend.Tensor, start, end int) {
	v := b.viewHandle("SliceInto", view)
	ct := b.anyTensor("SliceInto", t)
	checkSlice("SliceInto", ct, start, end)
	v.setRank(len(ct.shape))
	v.dtype = ct.dtype
	v.base = ct.root()
	aim(v, ct, start, end)
}

// viewHandle returns view as this backend's view handle, or panics for op
// when it is not one that Slice or Reshape returned.
func (b *Backend) viewHandle(op string, view backend.Tensor) *tensor {
	v, ok := view.(*tensor)
	if !ok || v == nil || v.owner != b || v.base == nil {
		panic(fmt.Sprintf("cpu: %s: view %T is not a view this backend's Slice or Reshape returned", op, view))
	}
	return v
}

// setRank gives the view handle v a shape of rank dimensions, in its own
// storage or in the shape it had when that holds enough, allocating only
// otherwise; the dimensions are for the caller to fill in.
func (v *tensor) setRank(rank int) {
	switch {
	case rank <= len(v.dims):
		v.shape = v.dims[:rank:rank]
	case cap(v.shape) >= rank: // not dims, which holds fewer
		v.shape = v.shape[:rank:rank]
	default:
		v.shape = make(backend.Shape, rank)
	}
}

// checkSlice panics unless [start, end) is a non-empty range of t's rows.
func checkSlice(op string, t *tensor, start, end int) {
	if len(t.shape) == 0 || start < 0 || start >= end || end > t.shape[0] {
		panic(fmt.Sprintf("cpu: %s: rows [%d, %d) of a tensor of shape %v: want 0 ≤ start < end ≤ Shape[0]", op, start, end, t.shape))
	}
}

// aim points v, whose shape has t's rank, at rows [start, end) of t.
func aim(v, t *tensor, start, end int) {
	copy(v.shape, t.shape)
	v.shape[0] = end - start
	v.rows, v.cols = end-start, t.cols
	lo, hi := start*t.cols, end*t.cols
	v.data, v.ints = nil, nil
	if t.dtype == backend.Int32 {
		v.ints = t.ints[lo:hi:hi]
	} else {
		v.data = t.data[lo:hi:hi]
	}
}

// newView returns a view handle of t's base and element type, with a shape
// of rank dimensions (stored in the handle itself when there are at most
// four) for the caller to fill in.
func (b *Backend) newView(t *tensor, rank int) *tensor {
	v := &tensor{dtype: t.dtype, owner: b, base: t.root()}
	if rank <= len(v.dims) {
		v.shape = v.dims[:rank:rank]
	} else {
		v.shape = make(backend.Shape, rank)
	}
	return v
}

// root returns the tensor that owns t's memory: t's base, or t itself.
func (t *tensor) root() *tensor {
	if t.base != nil {
		return t.base
	}
	return t
}

// overlap reports whether the float32 slices a and b share an element.
func overlap(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return a0 < b0+uintptr(len(b))*4 && b0 < a0+uintptr(len(a))*4
}

// len returns t's number of elements.
func (t *tensor) len() int {
	if t.dtype == backend.Int32 {
		return len(t.ints)
	}
	return len(t.data)
}

// CopyRegion copies a box of up to four dimensions from src to dst, both
// float32 or both int32, with strides in elements:
//
//	dst[dr.Offset + Σ_k i_k·dr.Strides[k]] = src[sr.Offset + Σ_k i_k·sr.Strides[k]]
//	                                         (+ the old dst when accumulate)
//
// for every 0 ≤ i_k < size[k] (a box with a zero size copies nothing;
// unused dimensions have size 1). Strides may be negative. dst must not
// overlap src, and the box must not write an element of dst twice; both
// are the caller's to ensure. It panics, naming the shapes, if a size is
// negative or the box reaches outside either tensor. Rows contiguous on
// both sides are copied (or added) as vectors, strided ones (as in a
// transpose) in tiles of 16×16 elements, in parallel for large boxes; the
// result does not depend on GOMAXPROCS.
func (b *Backend) CopyRegion(dst backend.Tensor, dr backend.Region, src backend.Tensor, sr backend.Region, size [4]int, accumulate bool) {
	td, ts := b.anyTensor("CopyRegion", dst), b.anyTensor("CopyRegion", src)
	if td.dtype != ts.dtype {
		panic(fmt.Sprintf("cpu: CopyRegion: dst %v holds %v, src %v holds %v: want one element type", td.shape, td.dtype, ts.shape, ts.dtype))
	}
	total := check.Region("CopyRegion", td.shape, dr, ts.shape, sr, size)
	if total == 0 {
		return
	}

	// Drop dimensions of size 1 and merge each dimension into the next
	// when the two are contiguous on both sides, so that, e.g., a box of
	// whole rows becomes one long row.
	var n, ds, ss [4]int
	k := 0
	for i := range 4 {
		if size[i] == 1 {
			continue
		}
		if k > 0 && ds[k-1] == size[i]*dr.Strides[i] && ss[k-1] == size[i]*sr.Strides[i] {
			n[k-1] *= size[i]
			ds[k-1], ss[k-1] = dr.Strides[i], sr.Strides[i]
			continue
		}
		n[k], ds[k], ss[k] = size[i], dr.Strides[i], sr.Strides[i]
		k++
	}
	// Right-align the k dimensions left, padding in front with size 1.
	var rt regionTask
	for i := range 4 {
		rt.n[i] = 1
	}
	copy(rt.n[4-k:], n[:k])
	copy(rt.ds[4-k:], ds[:k])
	copy(rt.ss[4-k:], ss[:k])
	inner := rt.n[3]
	rt.pieces, rt.tile = 1, 1
	items, cost := rt.n[0]*rt.n[1]*rt.n[2], inner // items and elements per item
	switch {
	case (rt.ds[3] != 1 || rt.ss[3] != 1) && rt.n[2] > 1 && inner > 1:
		// Strided rows, as in a transpose, go tile by tile: rows of a tile
		// read (or write) the same cache lines of the strided side.
		rt.tile = regionTile
		items = rt.n[0] * rt.n[1] * ((rt.n[2] + regionTile - 1) / regionTile)
		cost = regionTile * inner
	case inner >= 4*elemGrain:
		// Long rows are cut into pieces, so that a box of few rows still
		// spreads over the workers.
		rt.pieces = inner / (2 * elemGrain)
		items, cost = items*rt.pieces, inner/rt.pieces
	}
	rt.k = vec.For(b.level)
	rt.dOff, rt.sOff = dr.Offset, sr.Offset
	rt.acc = accumulate
	rt.d, rt.s, rt.di, rt.si = td.data, ts.data, td.ints, ts.ints
	t := regionTasks.Get()
	*t = rt
	parallelDo(items, max(1, elemGrain/cost), t)
	*t = regionTask{}
	regionTasks.Put(t)
}

// regionTile is the side of the tiles in which CopyRegion copies strided
// rows: a cache line of floats.
const regionTile = 16

// regionTask copies (or adds) the rows of a box: n[3] elements each, at
// strides ds[3] and ss[3], for every (i0, i1, i2) < (n[0], n[1], n[2]). A
// row is cut into pieces equal parts, and the task's items are the pieces
// in row-major order; or, with tile > 1, an item is a block of tile rows
// (i2), copied tile by tile elements at a time.
type regionTask struct {
	k          *vec.Kernels
	n, ds, ss  [4]int
	dOff, sOff int
	pieces     int
	tile       int
	acc        bool
	d, s       []float32
	di, si     []int32
}

var regionTasks freelist.List[regionTask]

func (t *regionTask) run(_, lo, hi int) {
	inner := t.n[3]
	if t.tile > 1 {
		blocks := (t.n[2] + t.tile - 1) / t.tile
		for u := lo; u < hi; u++ {
			plane, blk := u/blocks, u%blocks
			i1, i0 := plane%t.n[1], plane/t.n[1]
			d := t.dOff + i0*t.ds[0] + i1*t.ds[1]
			s := t.sOff + i0*t.ss[0] + i1*t.ss[1]
			r0, r1 := blk*t.tile, min((blk+1)*t.tile, t.n[2])
			for j0 := 0; j0 < inner; j0 += t.tile {
				m := min(t.tile, inner-j0)
				for i2 := r0; i2 < r1; i2++ {
					t.row(d+i2*t.ds[2]+j0*t.ds[3], s+i2*t.ss[2]+j0*t.ss[3], m)
				}
			}
		}
		return
	}
	for u := lo; u < hi; u++ {
		row, p := u/t.pieces, u%t.pieces
		i2 := row % t.n[2]
		i1 := row / t.n[2] % t.n[1]
		i0 := row / (t.n[2] * t.n[1])
		j0, j1 := p*inner/t.pieces, (p+1)*inner/t.pieces
		d := t.dOff + i0*t.ds[0] + i1*t.ds[1] + i2*t.ds[2] + j0*t.ds[3]
		s := t.sOff + i0*t.ss[0] + i1*t.ss[1] + i2*t.ss[2] + j0*t.ss[3]
		t.row(d, s, j1-j0)
	}
}

// row copies (or adds) m elements from s onwards in src to d onwards in
// dst, at the innermost strides.
func (t *regionTask) row(d, s, m int) {
	dst, sst := t.ds[3], t.ss[3]
	if t.d != nil {
		if dst == 1 && sst == 1 {
			if t.acc {
				t.k.Add(t.d[d:d+m], t.d[d:d+m], t.s[s:s+m])
			} else {
				copy(t.d[d:d+m], t.s[s:s+m])
			}
			return
		}
		stridedRow(t.d, t.s, d, s, dst, sst, m, t.acc)
		return
	}
	if dst == 1 && sst == 1 && !t.acc {
		copy(t.di[d:d+m], t.si[s:s+m])
		return
	}
	stridedRow(t.di, t.si, d, s, dst, sst, m, t.acc)
}

// stridedRow copies (or adds, with acc) m elements from src[s], src[s +
// ss], … to dst[d], dst[d + ds], ….
func stridedRow[E float32 | int32](dst, src []E, d, s, ds, ss, m int, acc bool) {
	if acc {
		for range m {
			dst[d] += src[s]
			d += ds
			s += ss
		}
		return
	}
	for range m {
		dst[d] = src[s]
		d += ds
		s += ss
	}
}
