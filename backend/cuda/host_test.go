//go:build cuda

package cuda

import (
	"fmt"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// These tests check the host-side planning of the kernels (broadcast
// collapsing, region bounds, argument packing); they need no GPU.

func TestBroadcastShape(t *testing.T) {
	for _, c := range []struct {
		a, b, want backend.Shape
		ok         bool
	}{
		{backend.Shape{4, 3}, backend.Shape{4, 3}, backend.Shape{4, 3}, true},
		{backend.Shape{4, 3}, backend.Shape{1, 3}, backend.Shape{4, 3}, true},
		{backend.Shape{4, 3}, backend.Shape{3}, backend.Shape{4, 3}, true},
		{backend.Shape{2, 5, 3, 3}, backend.Shape{5, 1, 1}, backend.Shape{2, 5, 3, 3}, true},
		{backend.Shape{1}, backend.Shape{2, 3, 4}, backend.Shape{2, 3, 4}, true},
		{backend.Shape{3, 1}, backend.Shape{1, 4}, backend.Shape{3, 4}, true},
		{backend.Shape{4, 3}, backend.Shape{4}, nil, false},
		{backend.Shape{2, 3}, backend.Shape{3, 3}, nil, false},
	} {
		got, ok := broadcastShape(c.a, c.b)
		if ok != c.ok || (ok && !got.Equal(c.want)) {
			t.Errorf("broadcastShape(%v, %v) = %v, %v; want %v, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}

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
		s, _ := broadcastShape(c.a, c.b)
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

func TestCheckRegion(t *testing.T) {
	x := &tensor{shape: backend.Shape{4, 5}}
	ok := []struct {
		r    backend.Region
		size [4]int
	}{
		{backend.Region{Offset: 0, Strides: [4]int{0, 0, 5, 1}}, [4]int{1, 1, 4, 5}},
		{backend.Region{Offset: 19, Strides: [4]int{0, 0, -5, -1}}, [4]int{1, 1, 4, 5}},
		{backend.Region{Offset: 2, Strides: [4]int{0, 0, 1, 5}}, [4]int{1, 1, 3, 4}},
	}
	for _, c := range ok {
		checkRegion("x", x, c.r, c.size)
	}
	bad := []struct {
		r    backend.Region
		size [4]int
	}{
		{backend.Region{Offset: 1, Strides: [4]int{0, 0, 5, 1}}, [4]int{1, 1, 4, 5}},
		{backend.Region{Offset: 18, Strides: [4]int{0, 0, -5, -1}}, [4]int{1, 1, 4, 5}},
		{backend.Region{Offset: -1, Strides: [4]int{0, 0, 0, 1}}, [4]int{1, 1, 1, 2}},
	}
	for _, c := range bad {
		mustPanic(t, "reaches elements", func() { checkRegion("x", x, c.r, c.size) })
	}
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
