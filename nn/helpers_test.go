package nn_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// newCPU returns a CPU backend that is closed when the test ends.
func newCPU(t testing.TB) backend.Backend {
	t.Helper()
	b := cpu.New()
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// upload returns a new tensor of the given shape holding data.
func upload(b backend.Backend, data []float32, shape ...int) backend.Tensor {
	x := b.Alloc(shape...)
	b.Upload(x, data)
	return x
}

// download returns the values of x.
func download(b backend.Backend, x backend.Tensor) []float32 {
	v := make([]float32, x.Shape().Len())
	b.Download(v, x)
	return v
}

// randSlice returns n values drawn uniformly from [lo, hi).
func randSlice(rng *rand.Rand, n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return v
}

// assertClose fails the test at the first element where got and want
// differ by more than atol + rtol·|want|.
func assertClose(t *testing.T, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g := float64(got[i])
		if math.IsNaN(g) || math.Abs(g-want[i]) > atol+rtol*math.Abs(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v (atol %g, rtol %g)", what, i, g, want[i], atol, rtol)
		}
	}
}

// mustPanic fails the test unless f panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", want)
		}
		if msg, _ := r.(string); !strings.Contains(msg, want) {
			t.Fatalf("panic %v, want one mentioning %q", r, want)
		}
	}()
	f()
}

// shapeLen returns the product of the dimensions of s.
func shapeLen(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
