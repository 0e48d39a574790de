package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// softmaxRef returns the softmax of each row of x, x read as a matrix with
// the given number of columns.
func softmaxRef(x []float64, cols int) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < len(x); r += cols {
		row := x[r : r+cols]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		s := 0.0
		for k, v := range row {
			y[r+k] = math.Exp(v - m)
			s += y[r+k]
		}
		for k := range row {
			y[r+k] /= s
		}
	}
	return y
}

// softmaxInputs returns the inputs of the Softmax checks: ordinary rows,
// a tensor of rank 4, single-column rows, and rows of logits near ±1000
// that overflow exp unless the maximum is subtracted.
func softmaxInputs(rng *rand.Rand) []struct {
	shape []int
	x     []float32
} {
	mixed := []float32{1000, -1000, 0, 999, 1, -1}
	near := func(c float64, n int) []float32 { return uniform(rng, n, c-5, c+5) }
	return []struct {
		shape []int
		x     []float32
	}{
		{[]int{5, 10}, uniform(rng, 50, -3, 3)},
		{[]int{4, 3, 2, 2}, uniform(rng, 48, -5, 5)},
		{[]int{3, 1}, uniform(rng, 3, -2, 2)},
		{[]int{16, 100}, uniform(rng, 1600, -4, 4)},
		{[]int{3, 6}, append(append(near(1000, 6), near(-1000, 6)...), mixed...)},
	}
}

// checkSoftmax checks Softmax row by row against the reference.
func checkSoftmax(t *testing.T, b backend.Backend) {
	rng := newRand(14)
	for _, in := range softmaxInputs(rng) {
		cols := backend.Shape(in.shape).Cols()
		want := softmaxRef(wide(in.x), cols)
		// Each probability is exp of a difference divided by a sum of
		// cols terms: the sum's bound on top of exp's relative error.
		bound := relBounds(want, transRelTol+gamma(cols+2), constant(len(want), transAbsTol))
		ty := poisoned(t, b, in.shape...)
		b.Softmax(upload(t, b, in.x, in.shape...), ty)
		expectClose(t, fmt.Sprintf("Softmax of shape %v", in.shape), download(b, ty), want, bound)
	}
}

// softmaxBackRef returns y∘(dy − rowsum(dy∘y)) and the magnitude
// y∘(|dy| + rowsum(|dy∘y|)) of its terms.
func softmaxBackRef(y, dy []float64, cols int) (dx, mag []float64) {
	dx, mag = make([]float64, len(y)), make([]float64, len(y))
	for r := 0; r < len(y); r += cols {
		s, sa := 0.0, 0.0
		for k := r; k < r+cols; k++ {
			s += dy[k] * y[k]
			sa += math.Abs(dy[k] * y[k])
		}
		for k := r; k < r+cols; k++ {
			dx[k] = y[k] * (dy[k] - s)
			mag[k] = math.Abs(y[k]) * (math.Abs(dy[k]) + sa)
		}
	}
	return dx, mag
}

// checkSoftmaxBackward checks SoftmaxBackward against the reference and by
// central differences of L = Σ dy∘softmax(x).
func checkSoftmaxBackward(t *testing.T, b backend.Backend) {
	rng := newRand(15)
	for _, in := range softmaxInputs(rng) {
		cols := backend.Shape(in.shape).Cols()
		x := wide(in.x)
		y := narrow(softmaxRef(x, cols))
		dy := uniform(rng, len(y), -1, 1)
		tdx := poisoned(t, b, in.shape...)
		b.SoftmaxBackward(upload(t, b, y, in.shape...), upload(t, b, dy, in.shape...), tdx)
		got := download(b, tdx)
		want, mag := softmaxBackRef(wide(y), wide(dy), cols)
		what := fmt.Sprintf("SoftmaxBackward of shape %v", in.shape)
		bound := sumBounds(mag, cols+1)
		if !expectClose(t, what, got, want, bound) {
			continue
		}
		dy64 := wide(dy)
		loss := func(x []float64) float64 { return dot(dy64, softmaxRef(x, cols)) }
		idx := sample(rng, len(x), 4*fdSamples())
		expectGradient(t, what, got, idx, centralDiff(loss, x, idx), bound)
	}
}
