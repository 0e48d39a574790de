package backend_test

import (
	"fmt"
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
	} {
		if got := panicMessage(tc.f); got != tc.want {
			t.Errorf("panic message %q, want %q", got, tc.want)
		}
	}
	if m, n, k := c.MatMul("MatMul", true, false, backend.Shape{3, 2}, backend.Shape{3, 5}, backend.Shape{2, 5}); m != 2 || n != 5 || k != 3 {
		t.Errorf("MatMul dims = %d, %d, %d, want 2, 5, 3", m, n, k)
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
