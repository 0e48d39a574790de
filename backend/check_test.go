package backend_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// panicMessage returns the message f panics with, or "" when it returns.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func TestCheckMessages(t *testing.T) {
	const c = backend.Check("dev")
	g := backend.PoolGeom{N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	s := func(dims ...int) backend.Shape { return dims }
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { c.SameLen("Add", []string{"a", "b"}, backend.Shape{2, 3}, backend.Shape{5}) }, "dev: Add: b has shape [5], want 6 elements like a [2 3]"},
		{func() { c.SameLen("Add", []string{"a", "b"}, backend.Shape{2, 3}, backend.Shape{6}) }, ""},
		{func() { c.SameShape("Softmax", []string{"x", "y"}, backend.Shape{2, 3}, backend.Shape{3, 2}) }, "dev: Softmax: y has shape [3 2], want the shape [2 3] of x"},
		{func() { c.Scalar("Sum", "dst", backend.Shape{2}) }, "dev: Sum: dst has shape [2], want one element"},
		{func() { c.Channels("AddBias", "y", backend.Shape{4}) }, "dev: AddBias: y has shape [4], want [N, C, spatial…] with at least 2 dimensions"},
		{func() { c.Channels("AddBias", "y", backend.Shape{4, 3, 2}, backend.Shape{2}) }, "dev: AddBias: y has shape [4 3 2] (C = 3) but a per-channel operand has shape [2]"},
		{func() { c.MatMul("MatMul", false, true, backend.Shape{2, 3}, backend.Shape{4, 5}, backend.Shape{2, 4}) }, "dev: MatMul: op(A) 2×3 (A [2 3], transA false), op(B) 5×4 (B [4 5], transB true), C [2 4]: want C 2×4 and equal inner dimensions"},
		{func() { backend.CheckGeomShape(c, "MaxPool", "y", backend.Shape{1, 1, 3, 3}, g, 1, 1, 2, 2) }, "dev: MaxPool: y has shape [1 1 3 3], want [1 1 2 2] for geometry " + fmt.Sprintf("%+v", g)},
		{func() { c.ShiftImages("ShiftImages", backend.Shape{2, 9}, backend.Shape{2, 2}, backend.Shape{2, 9}) }, "dev: ShiftImages: x has shape [2 9], want [N, C, H, W]"},
		{func() {
			c.ShiftImages("ShiftImages", backend.Shape{2, 1, 3, 3}, backend.Shape{2, 2}, backend.Shape{2, 1, 9})
		}, "dev: ShiftImages: y has shape [2 1 9], want the shape [2 1 3 3] of x"},
		{func() {
			c.ShiftImages("ShiftImages", backend.Shape{2, 1, 3, 3}, backend.Shape{4}, backend.Shape{2, 1, 3, 3})
		}, "dev: ShiftImages: shifts has shape [4], want [2, 2] (dy, dx) for x [2 1 3 3]"},
		{func() { c.GRUCell("GRUCell", s(2, 9), s(2, 8), s(9), s(2, 3), s(2, 3)) }, "dev: GRUCell: gh has shape [2 8], want [2 9] for h [2 3]"},
		{func() { c.GRUCell("GRUCell", s(2, 9), s(2, 9), s(6), s(2, 3), s(2, 3)) }, "dev: GRUCell: bhh has shape [6], want 9 elements for h [2 3]"},
		{func() { c.GRUCell("GRUCell", s(2, 9), s(2, 9), s(9), s(2, 3), s(3, 2)) }, "dev: GRUCell: hNew has shape [3 2], want the shape [2 3] of h"},
		{func() {
			c.GRUCellBackward("GRUCellBackward", s(2, 9), s(2, 9), s(2, 3), s(2, 3), s(2, 9), s(3, 9), s(2, 3))
		}, "dev: GRUCellBackward: dgh has shape [3 9], want [2 9] for h [2 3]"},
		{func() {
			c.GRUCellBackward("GRUCellBackward", s(2, 9), s(2, 9), s(2, 3), s(2, 3), s(2, 9), s(2, 9), s(2, 4))
		}, "dev: GRUCellBackward: dh has shape [2 4], want the shape [2 3] of h"},
		{func() { c.LSTMCell("LSTMCell", s(2, 9), s(2, 3), s(2, 3), s(2, 3)) }, "dev: LSTMCell: gates has shape [2 9], want [2 12] for c [2 3]"},
		{func() { c.LSTMCell("LSTMCell", s(2, 12), s(2, 3), s(2, 3), s(6)) }, "dev: LSTMCell: hNew has shape [6], want the shape [2 3] of c"},
		{func() {
			c.LSTMCellBackward("LSTMCellBackward", s(2, 12), s(2, 3), s(2, 3), s(2, 3), s(2, 3), s(2, 11))
		}, "dev: LSTMCellBackward: dgates has shape [2 11], want [2 12] for c [2 3]"},
		{func() {
			c.LSTMCellBackward("LSTMCellBackward", s(2, 12), s(2, 3), s(2, 3), s(1, 3), s(2, 3), s(2, 12))
		}, "dev: LSTMCellBackward: dhNew has shape [1 3], want the shape [2 3] of c"},
	} {
		if got := panicMessage(tc.f); got != tc.want {
			t.Errorf("panic message %q, want %q", got, tc.want)
		}
	}
	if m, n, k := c.MatMul("MatMul", true, false, backend.Shape{3, 2}, backend.Shape{3, 5}, backend.Shape{2, 5}); m != 2 || n != 5 || k != 3 {
		t.Errorf("MatMul dims = %d, %d, %d, want 2, 5, 3", m, n, k)
	}
	if n, ch, h, w := c.ShiftImages("ShiftImages", backend.Shape{4, 3, 5, 7}, backend.Shape{4, 2}, backend.Shape{4, 3, 5, 7}); n != 4 || ch != 3 || h != 5 || w != 7 {
		t.Errorf("ShiftImages dims = %d, %d, %d, %d, want 4, 3, 5, 7", n, ch, h, w)
	}
	if n, h := c.GRUCell("GRUCell", s(4, 15), s(4, 15), s(15), s(4, 5), s(4, 5)); n != 4 || h != 5 {
		t.Errorf("GRUCell dims = %d, %d, want 4, 5", n, h)
	}
	if n, h := c.LSTMCellBackward("LSTMCellBackward", s(3, 8), s(3, 2), s(3, 2), s(3, 2), s(3, 2), s(3, 8)); n != 3 || h != 2 {
		t.Errorf("LSTMCellBackward dims = %d, %d, want 3, 2", n, h)
	}
	if n, ch, sp := c.Channels("BiasGrad", "dy", backend.Shape{4, 3, 2, 5}, backend.Shape{3}); n != 4 || ch != 3 || sp != 10 {
		t.Errorf("Channels = %d, %d, %d, want 4, 3, 10", n, ch, sp)
	}
}

func TestCheckAllocatesNothing(t *testing.T) {
	const c = backend.Check("dev")
	a, b := backend.Shape{64, 128}, backend.Shape{128, 10}
	out := backend.Shape{64, 10}
	g := backend.PoolGeom{N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	y := backend.Shape{1, 1, 2, 2}
	allocs := testing.AllocsPerRun(100, func() {
		c.SameLen("Add", []string{"a", "b"}, a, a)
		c.MatMul("MatMul", false, false, a, b, out)
		backend.CheckGeomShape(c, "MaxPool", "y", y, g, 1, 1, g.OutH(), g.OutW())
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run of passing checks, want 0", allocs)
	}
}

func TestCheckRegion(t *testing.T) {
	const c = backend.Check("dev")
	x := backend.Shape{4, 5}
	for _, tc := range []struct {
		r    backend.Region
		size [4]int
		ok   bool
	}{
		{backend.Region{Offset: 0, Strides: [4]int{0, 0, 5, 1}}, [4]int{1, 1, 4, 5}, true},
		{backend.Region{Offset: 19, Strides: [4]int{0, 0, -5, -1}}, [4]int{1, 1, 4, 5}, true}, // reversed
		{backend.Region{Offset: 2, Strides: [4]int{0, 0, 1, 5}}, [4]int{1, 1, 3, 4}, true},    // transposed
		{backend.Region{Offset: 1, Strides: [4]int{0, 0, 5, 1}}, [4]int{1, 1, 4, 5}, false},
		{backend.Region{Offset: 18, Strides: [4]int{0, 0, -5, -1}}, [4]int{1, 1, 4, 5}, false},
		{backend.Region{Offset: -1, Strides: [4]int{0, 0, 0, 1}}, [4]int{1, 1, 1, 2}, false},
		{backend.Region{Offset: 0, Strides: [4]int{0, 0, 1 << 62, 1}}, [4]int{1, 1, 3, 1}, false}, // would overflow
	} {
		whole := backend.Region{Strides: [4]int{0, 0, 5, 1}}
		msg := panicMessage(func() { c.Region("CopyRegion", x, whole, x, tc.r, tc.size) })
		if tc.ok != (msg == "") {
			t.Errorf("src region %+v, box %v: panic %q, want ok %v", tc.r, tc.size, msg, tc.ok)
		}
		if !tc.ok && !strings.Contains(msg, "dev: CopyRegion: src region") {
			t.Errorf("src region %+v: message %q does not name the op and the src region", tc.r, msg)
		}
	}
	if n := c.Region("CopyRegion", x, backend.Region{Offset: 99}, x, backend.Region{Offset: -7}, [4]int{1, 0, 3, 1}); n != 0 {
		t.Errorf("an empty box: %d elements, want 0 (and no bounds check)", n)
	}
	if msg := panicMessage(func() { c.Region("CopyRegion", x, backend.Region{}, x, backend.Region{}, [4]int{1, -1, 1, 1}) }); !strings.Contains(msg, "negative box size") {
		t.Errorf("a negative size: panic %q, want one about the negative box size", msg)
	}
}

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
		got, ok := backend.BroadcastShape(c.a, c.b)
		if ok != c.ok || (ok && !got.Equal(c.want)) {
			t.Errorf("backend.BroadcastShape(%v, %v) = %v, %v; want %v, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}
