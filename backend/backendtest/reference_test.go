package backendtest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// The suite is only as good as its references: these tests pin them, and
// the comparison helpers, to results worked out by hand.

// near fails t unless got and want agree to within tol at every index.
func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !(math.Abs(got[i]-want[i]) <= tol) {
			t.Errorf("%s: index %d: got %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestMatMulRef(t *testing.T) {
	// Aᵀ·B with A = [1 2 3; 4 5 6] and B = [1; 2] is [9 12 15]ᵀ; with
	// alpha 2, beta 0.5 and C all ones, 18.5, 24.5, 30.5.
	c := mmCase{m: 3, n: 1, k: 2, transA: true, alpha: 2, beta: 0.5}
	want, mag := matMulRef(c, []float64{1, 2, 3, 4, 5, 6}, []float64{1, 2}, []float64{1, 1, 1})
	near(t, "Aᵀ·B", want, []float64{18.5, 24.5, 30.5}, 0)
	near(t, "magnitude of Aᵀ·B", mag, []float64{18.5, 24.5, 30.5}, 0)

	// A·Bᵀ with A = [1 −2] and B = [1 0; 0 1; 1 1] is [1 −2 −1]; its
	// magnitude sums |terms|: [1 2 3]. Beta 0 ignores a NaN C.
	c = mmCase{m: 1, n: 3, k: 2, transB: true, alpha: 1}
	want, mag = matMulRef(c, []float64{1, -2}, []float64{1, 0, 0, 1, 1, 1}, []float64{math.NaN(), math.NaN(), math.NaN()})
	near(t, "A·Bᵀ", want, []float64{1, -2, -1}, 0)
	near(t, "magnitude of A·Bᵀ", mag, []float64{1, 2, 3}, 0)
}

func TestIm2ColRef(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9} // one 3×3 image
	g := conv(1, 1, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1)
	got := wide(im2colRef(x, g))
	near(t, "Im2Col 2×2", got, []float64{1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9}, 0)
	// Every element is read by as many windows as cover it.
	ones := constant(16, 1)
	near(t, "Col2Im 2×2 of ones", col2imRef(ones, g), []float64{1, 2, 1, 2, 4, 2, 1, 2, 1}, 0)

	// A 1×1 kernel with stride 2 and padding 1 sees only the centre.
	g = conv(1, 1, 3, 3, 1, 1, 2, 2, 1, 1, 1, 1)
	near(t, "Im2Col 1×1 stride 2 padding 1", wide(im2colRef(x, g)), []float64{0, 0, 0, 0, 5, 0, 0, 0, 0}, 0)

	// Dilation 2 spreads a 2×2 kernel over the corners.
	g = conv(1, 1, 3, 3, 2, 2, 1, 1, 0, 0, 2, 2)
	near(t, "Im2Col 2×2 dilation 2", wide(im2colRef(x, g)), []float64{1, 3, 7, 9}, 0)
}

func TestConvRefs(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	c := convCase{g: conv(1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1), f: 1}
	// All-ones filters with padding 1 sum each 3×3 neighbourhood.
	near(t, "Conv2D with ones", conv2dRef(c, x, constant(9, 1)),
		[]float64{12, 21, 16, 27, 45, 33, 24, 39, 28}, 0)
	// A single tap right of centre shifts the image left: cross-correlation,
	// not convolution.
	shift := []float64{0, 0, 0, 0, 0, 1, 0, 0, 0}
	near(t, "Conv2D with a shift", conv2dRef(c, x, shift), []float64{2, 3, 0, 5, 6, 0, 8, 9, 0}, 0)
	near(t, "Conv2DBackwardData of the shift", convDataRef(c, constant(9, 1), shift),
		[]float64{0, 1, 1, 0, 1, 1, 0, 1, 1}, 0)
	near(t, "Conv2DBackwardFilter with dy = 1", convFilterRef(c, x, constant(9, 1)),
		[]float64{12, 21, 16, 27, 45, 33, 24, 39, 28}, 0)
}

func TestPoolRefs(t *testing.T) {
	// Both 2×2 windows of [1 3 3; 3 0 −1] hold three 3s; the first in
	// row-major window order is element 1 in each.
	g := pool(1, 1, 2, 3, 2, 2, 1, 1, 0, 0)
	y, arg := maxPoolRef(g, []float64{1, 3, 3, 3, 0, -1})
	near(t, "MaxPool with ties", y, []float64{3, 3}, 0)
	if !slices.Equal(arg, []int{1, 1}) {
		t.Errorf("MaxPool with ties: argmax %v, want [1 1]", arg)
	}
	near(t, "MaxPoolBackward with ties", maxPoolBackRef(g, []float64{0.5, 2}, arg), []float64{0, 2.5, 0, 0, 0, 0}, 0)

	// With padding 1 and stride 2 each window of a 2×2 image holds one
	// element: padding never wins, and averages still divide by 4.
	g = pool(1, 1, 2, 2, 2, 2, 2, 2, 1, 1)
	x := []float64{-1, -2, -3, -4}
	y, arg = maxPoolRef(g, x)
	near(t, "MaxPool with padding", y, x, 0)
	if !slices.Equal(arg, []int{0, 1, 2, 3}) {
		t.Errorf("MaxPool with padding: argmax %v, want [0 1 2 3]", arg)
	}
	near(t, "AvgPool with padding", avgPoolRef(g, x), []float64{-0.25, -0.5, -0.75, -1}, 0)
	near(t, "AvgPoolBackward with padding", avgPoolBackRef(g, []float64{4, 8, 4, 8}), []float64{1, 2, 1, 2}, 0)
}

func TestSoftmaxRefs(t *testing.T) {
	near(t, "softmax", softmaxRef([]float64{0, math.Log(3), 1000, 1000}, 2), []float64{0.25, 0.75, 0.5, 0.5}, 1e-15)
	// Uniform logits over 4 classes: loss log 4, gradient p − t.
	loss, _, grad := crossEntropyRef([]float64{7, 7, 7, 7}, []float64{0, 0, 1, 0}, 4)
	near(t, "cross-entropy", []float64{loss}, []float64{math.Log(4)}, 1e-15)
	near(t, "cross-entropy gradient", grad, []float64{0.25, 0.25, -0.75, 0.25}, 1e-15)
	// dx = y∘(dy − Σ dy∘y) with y = [0.25 0.75], dy = [1 0].
	dx, _ := softmaxBackRef([]float64{0.25, 0.75}, []float64{1, 0}, 2)
	near(t, "softmax backward", dx, []float64{0.1875, -0.1875}, 1e-15)
}

func TestActRef(t *testing.T) {
	for _, c := range []struct {
		a           backend.Activation
		x, f, deriv float64
	}{
		{backend.Activation{Kind: backend.Sigmoid}, 0, 0.5, 0.25},
		{backend.Activation{Kind: backend.Sigmoid}, -800, 0, 0},
		{backend.Activation{Kind: backend.Tanh}, 0, 0, 1},
		{backend.Activation{Kind: backend.ReLU}, 0, 0, 0},
		{backend.Activation{Kind: backend.LeakyReLU, Alpha: 0.5}, -2, -1, 0.5},
		{backend.Activation{Kind: backend.ELU, Alpha: 2}, -1, 2 * (math.Exp(-1) - 1), 2 * math.Exp(-1)},
		{backend.Activation{Kind: backend.ELU, Alpha: 2}, 3, 3, 1},
		{backend.Activation{Kind: backend.Softplus}, 0, math.Ln2, 0.5},
		{backend.Activation{Kind: backend.Softplus}, 800, 800, 1},
		{backend.Activation{Kind: backend.Softplus}, -800, 0, 0},
	} {
		what := fmt.Sprintf("%v at %g", c.a, c.x)
		near(t, what, []float64{actRef(c.a, c.x), actDerivRef(c.a, c.x)}, []float64{c.f, c.deriv}, 1e-15)
	}
}

func TestOptimizerRefs(t *testing.T) {
	// g ← 0.5 + 0.1·1, v ← 0.9·0.2 + 0.6, p ← 1 − 0.1·(0.6 + 0.9·0.78).
	p, v := []float64{1}, []float64{0.2}
	sgdRef(backend.SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 0.1, Nesterov: true}, p, []float64{0.5}, v)
	near(t, "Nesterov SGD", append(p, v...), []float64{0.8698, 0.78}, 1e-7)

	// s ← 0.1·2², p ← −0.01·2/√0.4.
	p, s := []float64{0}, []float64{0}
	rmspropRef(backend.RMSprop{LR: 0.01, Rho: 0.9}, p, []float64{2}, s)
	near(t, "RMSprop", append(p, s...), []float64{-0.02 / math.Sqrt(0.4), 0.4}, 1e-7)

	// The first Adam step moves p by η against the sign of g; AdamW also
	// shrinks p by η·λ·p first.
	h := backend.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Step: 1, WeightDecay: 0.1, Decoupled: true}
	p, m, v := []float64{1}, []float64{0}, []float64{0}
	adamRef(h, p, []float64{-0.3}, m, v)
	near(t, "AdamW", append(p, m[0], v[0]), []float64{1 - 0.001 + 0.01, -0.03, 0.00009}, 1e-7)
}

// recorder is a testing.TB that records the failures reported to it.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestExpectClose(t *testing.T) {
	r := &recorder{}
	if !expectClose(r, "ok", []float32{1, 2.5}, []float64{1, 2}, []float64{0, 0.5}) || len(r.failures) != 0 {
		t.Errorf("values within their bounds failed: %v", r.failures)
	}
	got := []float32{1, float32(math.NaN()), 3.5, float32(math.Inf(1))}
	if expectClose(r, "op", got, []float64{1, 2, 3, 4}, []float64{0, 100, 0.1, 100}) {
		t.Error("NaN, Inf and an error beyond its bound passed")
	}
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], "3 of 4") ||
		!strings.Contains(r.failures[0], "index 1: got NaN, want 2") {
		t.Errorf("failure report %q, want one naming 3 of 4 elements and the first, index 1", r.failures)
	}
	r = &recorder{}
	if expectExact(r, "op", []float32{0, 2}, []float32{float32(math.Copysign(0, -1)), 3}) ||
		len(r.failures) != 1 || !strings.Contains(r.failures[0], "index 1: got 2, want 3") {
		t.Errorf("expectExact report %q, want one failure at index 1 (and −0 equal to 0)", r.failures)
	}
}

func TestCentralDiff(t *testing.T) {
	f := func(x []float64) float64 { return x[0]*x[0]*x[1] + math.Sin(x[1]) }
	x := []float64{1.5, -0.5}
	near(t, "central differences", centralDiff(f, x, []int{0, 1}), []float64{2 * 1.5 * -0.5, 1.5*1.5 + math.Cos(-0.5)}, 1e-7)
	near(t, "x after centralDiff", x, []float64{1.5, -0.5}, 0)
}

func TestSample(t *testing.T) {
	rng := newRand(1)
	idx := sample(rng, 100, 10)
	if len(idx) != 10 || idx[0] != 0 || idx[1] != 99 {
		t.Errorf("sample(100, 10) = %v, want 10 indices starting 0, 99", idx)
	}
	seen := map[int]bool{}
	for _, i := range idx {
		if i < 0 || i >= 100 || seen[i] {
			t.Errorf("sample(100, 10) = %v: %d out of range or repeated", idx, i)
		}
		seen[i] = true
	}
	if got := sample(rng, 3, 10); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("sample(3, 10) = %v, want [0 1 2]", got)
	}
}
