package backendtest

import (
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// newRand returns the random source of one check. Every check has its own
// fixed seed, so its inputs are the same on every run.
func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

// uniform returns n values drawn uniformly from [lo, hi).
func uniform(rng *rand.Rand, n int, lo, hi float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return x
}

// nans returns n NaNs.
func nans(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// upload allocates a tensor of the given shape on b and uploads data into
// it. It fails t if the tensor does not have the shape asked for.
func upload(t testing.TB, b backend.Backend, data []float32, shape ...int) backend.Tensor {
	t.Helper()
	x := b.Alloc(shape...)
	if !x.Shape().Equal(shape) {
		t.Fatalf("Alloc(%v) returned a tensor of shape %v", shape, x.Shape())
	}
	if len(data) != x.Shape().Len() {
		t.Fatalf("backendtest: %d values for shape %v", len(data), x.Shape())
	}
	b.Upload(x, data)
	return x
}

// poisoned allocates a tensor of the given shape on b and fills it with NaN
// through Upload, so that an op that leaves an element unwritten is caught.
func poisoned(t testing.TB, b backend.Backend, shape ...int) backend.Tensor {
	t.Helper()
	return upload(t, b, nans(backend.Shape(shape).Len()), shape...)
}

// download returns the contents of x.
func download(b backend.Backend, x backend.Tensor) []float32 {
	dst := make([]float32, x.Shape().Len())
	b.Download(dst, x)
	return dst
}

// wide returns x converted to float64.
func wide(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// narrow returns x rounded to float32.
func narrow(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// absAll returns |x| elementwise.
func absAll(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Abs(v)
	}
	return y
}

// maxAbs returns max |x[i]|, or 0 for an empty x.
func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// dot returns Σ x[i]·y[i].
func dot(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// sample returns up to n distinct indices in [0, length), always including
// the first and the last (the corners where index arithmetic goes wrong).
func sample(rng *rand.Rand, length, n int) []int {
	if length <= n {
		idx := make([]int, length)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := []int{0, length - 1}
	seen := map[int]bool{0: true, length - 1: true}
	for len(idx) < n {
		i := rng.Intn(length)
		if !seen[i] {
			seen[i] = true
			idx = append(idx, i)
		}
	}
	return idx
}
