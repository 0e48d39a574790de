//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// These tests check the host-side planning of the kernels (broadcast
// collapsing, region bounds, argument packing); they need no GPU.

// TestCollapse checks the collapsed dimensions against an element-by-
// element walk of the broadcast: every element of c must read the same
// elements of a and b through the collapsed strides as through the
// original shapes.
func TestCollapse(t *testing.T) {
	for _, c := range []struct {
		a, b backend.Shape
		dims int // collapsed dimensions expected
	}{
		{backend.Shape{4, 3}, backend.Shape{4, 3}, 1},
		{backend.Shape{4, 3}, backend.Shape{1, 3}, 2},
		{backend.Shape{2, 5, 3, 3}, backend.Shape{5, 1, 1}, 3},
		{backend.Shape{1}, backend.Shape{2, 3, 4}, 1},
		{backend.Shape{3, 1}, backend.Shape{1, 4}, 2},
		{backend.Shape{1, 1}, backend.Shape{1}, 1},
		{backend.Shape{2, 1, 3, 1, 2}, backend.Shape{1, 3, 1, 2, 1}, 5},
		{backend.Shape{6, 1, 1, 7}, backend.Shape{6, 5, 4, 7}, 3},
		{backend.Shape{2, 3, 4}, backend.Shape{2, 1, 4}, 3},
	} {
		s, _ := backend.BroadcastShape(c.a, c.b)
		dims := collapse(s, c.a, c.b)
		if len(dims) != c.dims {
			t.Errorf("collapse(%v, %v, %v) = %v: %d dimensions, want %d", s, c.a, c.b, dims, len(dims), c.dims)
		}
		n := 1
		for _, d := range dims {
			n *= d.n
		}
		if n != s.Len() {
			t.Errorf("collapse(%v, %v, %v) = %v covers %d elements, want %d", s, c.a, c.b, dims, n, s.Len())
			continue
		}
		wantA, wantB := broadcastIndex(s, c.a), broadcastIndex(s, c.b)
		for i := range n {
			ia, ib, r := 0, 0, i
			for k := len(dims) - 1; k >= 0; k-- {
				j := r % dims[k].n
				r /= dims[k].n
				ia += j * dims[k].sa
				ib += j * dims[k].sb
			}
			if ia != wantA[i] || ib != wantB[i] {
				t.Errorf("collapse(%v, %v, %v) = %v: element %d reads a[%d], b[%d]; want a[%d], b[%d]", s, c.a, c.b, dims, i, ia, ib, wantA[i], wantB[i])
				break
			}
		}
	}
}

// broadcastIndex returns, for every element of the broadcast shape c (row
// major), the index of the element of an operand of shape x that it reads.
func broadcastIndex(c, x backend.Shape) []int {
	idx := make([]int, c.Len())
	for i := range idx {
		r, off, stride := i, 0, 1
		for k := len(c) - 1; k >= 0; k-- {
			j := r % c[k]
			r /= c[k]
			dx := dimFromEnd(x, len(c)-1-k)
			if dx != 1 {
				off += j * stride
			}
			stride *= dx
		}
		idx[i] = off
	}
	return idx
}

func TestArgsLongs(t *testing.T) {
	a := new(args).i32(7).longs(1, -2, 3).f32(1)
	if a.na != 3 || a.nw != 5 || a.start[1] != 1 || a.start[2] != 4 {
		t.Fatalf("args: %d parameters in %d words, starts %v; want 3 in 5, starts [0 1 4]", a.na, a.nw, a.start[:3])
	}
	if a.words[1] != 1 || int64(a.words[2]) != -2 || a.words[3] != 3 {
		t.Errorf("longs words %v, want [1 -2 3]", a.words[1:4])
	}
}

func TestRowsKernel(t *testing.T) {
	for _, c := range []struct {
		n, inner int
		want     bool
	}{{1, 1, true}, {5, 1, true}, {100, 4, true}, {5, 4, false}, {100, 32, false}, {1000, 1000, false}} {
		if got := rowsKernel(c.n, c.inner); got != c.want {
			t.Errorf("rowsKernel(%d, %d) = %v, want %v", c.n, c.inner, got, c.want)
		}
	}
}

// mustPanic fails t unless f panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("no panic, want one saying %q", want)
			return
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Errorf("panic %q, want one saying %q", msg, want)
		}
	}()
	f()
}

// hostBackend returns a Backend with no device, enough for the ops that
// only keep books (views, Free), and a live float32 tensor of the given
// shape at a made-up device address.
func hostBackend(shape ...int) (*Backend, *tensor) {
	b := &Backend{cache: cache{free: map[uint64][]uint64{}}, live: map[*tensor]struct{}{}}
	t := &tensor{shape: shape, ptr: 0x10000, size: sizeClass(uint64(4 * backend.Shape(shape).Len())), owner: b}
	b.live[t] = struct{}{}
	b.cache.inUse = t.size
	return b, t
}

// TestViewBookkeeping checks, without a GPU, the addresses and shapes of
// views, that SliceInto allocates nothing, that Free of a view is a no-op
// and that views die with their base.
func TestViewBookkeeping(t *testing.T) {
	b, x := hostBackend(5, 3, 2)
	r := b.Reshape(x, 10, 3).(*tensor)
	s := b.Slice(r, 4, 9).(*tensor)
	ss := b.Slice(s, 1, 3).(*tensor)
	for _, c := range []struct {
		v     *tensor
		shape backend.Shape
		ptr   uint64
	}{{r, backend.Shape{10, 3}, 0x10000}, {s, backend.Shape{5, 3}, 0x10000 + 4*12}, {ss, backend.Shape{2, 3}, 0x10000 + 4*15}} {
		if !c.v.shape.Equal(c.shape) || c.v.ptr != c.ptr || c.v.base != x {
			t.Errorf("view: shape %v at %#x, base %p; want %v at %#x, base %p", c.v.shape, c.v.ptr, c.v.base, c.shape, c.ptr, x)
		}
	}
	if n := testing.AllocsPerRun(100, func() { b.SliceInto(s, x, 1, 4) }); n != 0 {
		t.Errorf("SliceInto: %v allocations, want 0", n)
	}
	if !s.shape.Equal(backend.Shape{3, 3, 2}) || s.ptr != 0x10000+4*6 {
		t.Errorf("SliceInto(x, 1, 4): shape %v at %#x, want [3 3 2] at %#x", s.shape, s.ptr, 0x10000+4*6)
	}
	mustPanic(t, "not a view", func() { b.SliceInto(x, x, 0, 1) })
	mustPanic(t, "want 0 ≤ start < end ≤ 5", func() { b.Slice(x, 3, 6) })
	mustPanic(t, "to shape [7]", func() { b.Reshape(x, 7) })
	mustPanic(t, "to shape", func() { b.Reshape(x, 1<<40, 1<<40, 30) })
	b.Free(s) // a no-op
	if x.ptr == 0 || len(b.live) != 1 {
		t.Fatal("Free of a view freed its base")
	}
	b.Free(x)
	mustPanic(t, "used after its base [5 3 2] was freed", func() { b.Slice(ss, 0, 1) })
	mustPanic(t, "used after its base", func() { b.Reshape(r, 30) })
	b.Free(r) // still a no-op
	mustPanic(t, "freed twice", func() { b.Free(x) })
	i32 := &tensor{shape: backend.Shape{4}, ptr: 0x20000, size: 256, dtype: backend.Int32, owner: b}
	b.live[i32] = struct{}{}
	if v := b.Slice(i32, 1, 3); backend.DTypeOf(v) != backend.Int32 {
		t.Errorf("Slice of an int32 tensor holds %v", backend.DTypeOf(v))
	}
	mustPanic(t, "holds int32, want float32", func() { b.tensor("Fill", i32) })
}

// TestTryAllocTooLarge checks, without a GPU, that a shape whose bytes
// overflow is out of memory, not a small allocation.
func TestTryAllocTooLarge(t *testing.T) {
	b, _ := hostBackend(1)
	for _, shape := range [][]int{{1 << 40, 1 << 40}, {1 << 20, 1 << 20, 1 << 20, 1 << 20}, {1 << 62}} {
		if x, err := b.TryAlloc(shape...); !errors.Is(err, backend.ErrOutOfMemory) {
			t.Errorf("TryAlloc(%v) = %v, %v; want an error wrapping ErrOutOfMemory", shape, x, err)
		}
	}
	mustPanic(t, "non-positive dimension", func() { b.TryAlloc(3, 0) })
}

// TestLacks checks that the backend implements every optional op group of
// package backend, so that every op of a cuda program runs its kernel,
// not a fallback of core ops.
func TestLacks(t *testing.T) {
	if got := backend.Lacks(new(Backend)); len(got) != 0 {
		t.Errorf("Lacks(cuda) = %v, want []", got)
	}
}

// TestCellMisuse checks, without a GPU, that the recurrent cells reject
// shapes that do not fit and outputs that share memory with another
// operand (their kernels would race), naming both, before any launch.
func TestCellMisuse(t *testing.T) {
	b, base := hostBackend(1000)
	next := 0
	// at returns a view of the given shape at the next free part of base.
	at := func(shape ...int) backend.Tensor {
		n := backend.Shape(shape).Len()
		v := b.Reshape(b.Slice(base, next, next+n), shape...)
		next += n
		return v
	}
	// over returns a view of the given shape starting k elements into v.
	over := func(v backend.Tensor, k int, shape ...int) backend.Tensor {
		p := v.(*tensor).ptr - base.ptr
		return b.Reshape(b.Slice(base, int(p/4)+k, int(p/4)+k+backend.Shape(shape).Len()), shape...)
	}
	gx, gh, bhh, h, hNew := at(2, 9), at(2, 9), at(9), at(2, 3), at(2, 3)
	dhNew, dgx, dgh, dh := at(2, 3), at(2, 9), at(2, 9), at(2, 3)
	gates, c, cNew, dc, dgates := at(2, 12), at(2, 3), at(2, 3), at(2, 3), at(2, 12)
	mustPanic(t, "cuda: GRUCell: gx has shape [2 8], want [2 9] for h [2 3]", func() { b.GRUCell(at(2, 8), gh, bhh, h, hNew) })
	mustPanic(t, "cuda: GRUCell: bhh has shape [6], want 9 elements for h [2 3]", func() { b.GRUCell(gx, gh, at(6), h, hNew) })
	mustPanic(t, "cuda: GRUCell: hNew [2 3] shares memory with h [2 3]", func() { b.GRUCell(gx, gh, bhh, h, over(h, 2, 2, 3)) })
	mustPanic(t, "cuda: GRUCell: gx [2 9] shares memory with gh [2 9]", func() { b.GRUCell(gx, over(gx, 9, 2, 9), bhh, h, hNew) })
	mustPanic(t, "cuda: GRUCellBackward: dgh has shape [3 9], want [2 9]", func() { b.GRUCellBackward(gx, gh, h, dhNew, dgx, at(3, 9), dh) })
	mustPanic(t, "cuda: GRUCellBackward: dh [2 3] shares memory with dhNew [2 3]", func() { b.GRUCellBackward(gx, gh, h, dhNew, dgx, dgh, dhNew) })
	mustPanic(t, "cuda: GRUCellBackward: dgx [2 9] shares memory with dgh [2 9]", func() { b.GRUCellBackward(gx, gh, h, dhNew, dgx, over(dgx, 17, 2, 9), dh) })
	mustPanic(t, "cuda: LSTMCell: gates has shape [2 9], want [2 12] for c [2 3]", func() { b.LSTMCell(gx, c, cNew, hNew) })
	mustPanic(t, "cuda: LSTMCell: cNew [2 3] shares memory with gates [2 12]", func() { b.LSTMCell(gates, c, over(gates, 20, 2, 3), hNew) })
	mustPanic(t, "cuda: LSTMCell: cNew [2 3] shares memory with hNew [2 3]", func() { b.LSTMCell(gates, c, cNew, over(cNew, 5, 2, 3)) })
	mustPanic(t, "cuda: LSTMCellBackward: dc has shape [3 3], want", func() { b.LSTMCellBackward(gates, c, cNew, dhNew, at(3, 3), dgates) })
	mustPanic(t, "cuda: LSTMCellBackward: dgates [2 12] shares memory with dc [2 3]", func() { b.LSTMCellBackward(gates, c, cNew, dhNew, dc, over(dc, 3, 2, 12)) })
	mustPanic(t, "cuda: LSTMCellBackward: dc [2 3] shares memory with c [2 3]", func() { b.LSTMCellBackward(gates, c, cNew, dhNew, c, dgates) })
}

// TestConvPoolMisuse checks, without a GPU, that ConvPool and
// ConvPoolBackward reject a pooling that does not fit the convolution's
// output and tensors of the wrong shapes, naming them, before any launch.
func TestConvPoolMisuse(t *testing.T) {
	b, base := hostBackend(4000)
	next := 0
	at := func(shape ...int) backend.Tensor {
		n := backend.Shape(shape).Len()
		v := b.Reshape(b.Slice(base, next, next+n), shape...)
		next += n
		return v
	}
	// x [2, 3, 6, 6], w [4, 3, 3, 3]: the convolution's output is
	// [2, 4, 4, 4], pooled 2×2 to [2, 4, 2, 2].
	cg := backend.ConvGeom{N: 2, C: 3, H: 6, W: 6, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	pg := backend.PoolGeom{N: 2, C: 4, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	x, w, bias, y, arg, dy := at(2, 3, 6, 6), at(4, 3, 3, 3), at(4), at(2, 4, 2, 2), at(2, 4, 2, 2), at(2, 4, 2, 2)
	dx, dw, db := at(2, 3, 6, 6), at(4, 3, 3, 3), at(4)
	wide := pg
	wide.W = 5
	mustPanic(t, "cuda: ConvPool: pooling geometry N 2, C 4, 4×5 does not pool the convolution's output [2, 4, 4, 4]", func() { b.ConvPool(x, w, bias, y, arg, cg, wide, true) })
	fewer := pg
	fewer.C = 3
	mustPanic(t, "cuda: ConvPoolBackward: pooling geometry N 2, C 3, 4×4 does not pool", func() { b.ConvPoolBackward(x, w, y, arg, dy, dx, dw, db, cg, fewer, true, false) })
	mustPanic(t, "cuda: ConvPool: bias has shape [3], want [4]", func() { b.ConvPool(x, w, at(3), y, arg, cg, pg, false) })
	mustPanic(t, "cuda: ConvPool: argmax has shape [2 4 4 4], want [2 4 2 2]", func() { b.ConvPool(x, w, nil, y, at(2, 4, 4, 4), cg, pg, false) })
	mustPanic(t, "cuda: ConvPool: x has shape [2 3 6 5], want [2 3 6 6]", func() { b.ConvPool(at(2, 3, 6, 5), w, nil, y, arg, cg, pg, false) })
	mustPanic(t, "cuda: ConvPoolBackward: dy has shape [2 4 2 1], want [2 4 2 2]", func() { b.ConvPoolBackward(x, w, y, arg, at(2, 4, 2, 1), dx, dw, db, cg, pg, true, true) })
	mustPanic(t, "cuda: ConvPoolBackward: dw has shape [4 3 3 2], want [4 3 3 3]", func() { b.ConvPoolBackward(x, w, y, arg, dy, dx, at(4, 3, 3, 2), db, cg, pg, true, true) })
	mustPanic(t, "cuda: ConvPoolBackward: dx has shape [2 3 6 6 1], want [2 3 6 6]", func() { b.ConvPoolBackward(x, w, y, arg, dy, at(2, 3, 6, 6, 1), dw, nil, cg, pg, false, true) })
	mustPanic(t, "cuda: ConvPoolBackward: db has shape [5], want [4]", func() { b.ConvPoolBackward(x, w, y, arg, dy, nil, dw, at(5), cg, pg, false, false) })
	// A 4097×4097 plane has more elements than float32 indices hold exactly.
	huge := backend.ConvGeom{N: 1, C: 1, H: 4097, W: 4097, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	hp := backend.PoolGeom{N: 1, C: 1, H: 4097, W: 4097, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	hb, hx := hostBackend(1, 1, 4097, 4097)
	flat := hb.Reshape(hx, 4097*4097)
	hw := hb.Reshape(hb.Slice(flat, 0, 1), 1, 1, 1, 1)
	hy := hb.Reshape(hb.Slice(flat, 0, 2048*2048), 1, 1, 2048, 2048)
	mustPanic(t, "cuda: ConvPool: 4097×4097 planes are too large for float32 argmax indices", func() { hb.ConvPool(hx, hw, nil, hy, hy, huge, hp, false) })
}
