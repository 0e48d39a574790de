package backendtest_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// coreOnly hides every optional op of the backend it wraps: it is what a
// backend written against the core Backend interface alone looks like.
type coreOnly struct{ backend.Backend }

func TestLacks(t *testing.T) {
	b := coreOnly{cpu.New()}
	defer b.Close()
	want := []string{"backend.Viewer", "backend.Math", "backend.Reducer", "backend.Indexer", "backend.BatchMatMuler", "backend.Allocator", "backend.Recurrent", "backend.Shifter", "backend.ConvPooler", "backend.Reshaper", "backend.ConvActivator"}
	if got := backend.Lacks(b); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Lacks(core only) = %v, want %v", got, want)
	}
	if got := backend.Lacks(b.Backend); got != nil {
		t.Errorf("Lacks(cpu) = %v, want none", got)
	}
}

// expectUnimplemented runs f and checks that it panics with an
// *UnimplementedError naming op, the backend and the interface.
func expectUnimplemented(t *testing.T, op, iface string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		err, ok := r.(error)
		var ue *backend.UnimplementedError
		if !ok || !errors.As(err, &ue) {
			t.Fatalf("%s: panic value %v (%T), want *backend.UnimplementedError", op, r, r)
		}
		msg := ue.Error()
		for _, s := range []string{"op " + op + " ", `"cpu"`, iface} {
			if !strings.Contains(msg, s) {
				t.Errorf("%s: message %q does not contain %q", op, msg, s)
			}
		}
	}()
	f()
}

func TestUnimplementedOps(t *testing.T) {
	b := coreOnly{cpu.New()}
	defer b.Close()
	x, y := b.Alloc(2, 3), b.Alloc(2, 3)
	expectUnimplemented(t, "Binary(sub)", "backend.Math", func() { backend.Binary(b, backend.OpSub, x, x, y) })
	expectUnimplemented(t, "Slice", "backend.Viewer", func() { backend.Slice(b, x, 0, 1) })
	expectUnimplemented(t, "Gather", "backend.Indexer", func() { backend.Gather(b, x, x, y) })
	expectUnimplemented(t, "Reduce", "backend.Reducer", func() { backend.Reduce(b, backend.ReduceSum, x, 0, y, 0) })
	expectUnimplemented(t, "BatchMatMul", "backend.BatchMatMuler", func() { backend.BatchMatMul(b, false, false, 1, x, x, 0, y) })
	expectUnimplemented(t, "TryAlloc", "backend.Allocator", func() { backend.TryAlloc(b, 2) })
	expectUnimplemented(t, "ShiftImages", "backend.Shifter", func() { backend.ShiftImages(b, x, x, y, 0) })
	expectUnimplemented(t, "BiasGradAdd with beta ≠ 0", "backend.Reducer", func() { backend.BiasGradAdd(b, x, 1, b.Alloc(3)) })
}

// TestCoreFallbacks checks the optional ops that fall back to core ops on
// a backend without their group, against float64 references.
func TestCoreFallbacks(t *testing.T) {
	b := coreOnly{cpu.New()}
	defer b.Close()
	xs := []float32{1.5, -2, 0.25, 3, -0.5, 7}
	ys := []float32{-1, 4, 2.5, 0.5, -3, 1}
	x, y, z := b.Alloc(2, 3), b.Alloc(2, 3), b.Alloc(2, 3)
	b.Upload(x, xs)
	b.Upload(y, ys)
	got := make([]float32, 6)
	check := func(what string, want func(i int) float64) {
		t.Helper()
		b.Download(got, z)
		for i := range got {
			if w := want(i); math.Abs(float64(got[i])-w) > 1e-6*math.Max(1, math.Abs(w)) {
				t.Errorf("%s[%d] = %g, want %g", what, i, got[i], w)
			}
		}
	}
	b.Fill(z, float32(math.NaN()))
	backend.Binary(b, backend.OpAdd, x, y, z)
	check("Binary(add)", func(i int) float64 { return float64(xs[i]) + float64(ys[i]) })
	b.Fill(z, float32(math.NaN()))
	backend.Binary(b, backend.OpMul, x, y, z)
	check("Binary(mul)", func(i int) float64 { return float64(xs[i]) * float64(ys[i]) })
	b.Fill(z, float32(math.NaN()))
	backend.Affine(b, -1.5, 0.75, x, z)
	check("Affine", func(i int) float64 { return -1.5*float64(xs[i]) + 0.75 })
	b.Copy(z, x)
	backend.Affine(b, 3, 0, z, z)
	check("Affine in place", func(i int) float64 { return 3 * float64(xs[i]) })
	b.Fill(z, float32(math.NaN()))
	relu := backend.Activation{Kind: backend.ReLU}
	backend.ActivateBackwardAdd(b, relu, x, x, y, 0, z)
	check("ActivateBackwardAdd", func(i int) float64 {
		if xs[i] > 0 {
			return float64(ys[i])
		}
		return 0
	})
	db := b.Alloc(3)
	b.Fill(db, float32(math.NaN()))
	backend.BiasGradAdd(b, x, 0, db)
	sums := make([]float32, 3)
	b.Download(sums, db)
	for c := range sums {
		if w := float64(xs[c]) + float64(xs[3+c]); math.Abs(float64(sums[c])-w) > 1e-6 {
			t.Errorf("BiasGradAdd[%d] = %g, want %g", c, sums[c], w)
		}
	}
}
