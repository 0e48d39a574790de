package nn_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// gradCheck compares the gradients that backpropagation computes for
// L = loss(m(x), y), of every parameter and of the input x [n, InShape...],
// with central differences (L(θ+h) − L(θ−h))/2h evaluated through the
// model on the backend in float32. An element passes when the two differ
// by at most atol + rtol·max(|numeric|, |analytic|).
//
// With h = 1e-2 the truncation error of a central difference is about
// h²/6·|L‴| ≈ 2e-5·|L‴|, and float32 rounding of a loss near 1 (a few ulps,
// 1e-7 each) adds about 1e-7/h ≈ 1e-5 of noise, so rtol = 1e-2 and
// atol = 1e-4 leave a wide margin while still catching any wrong term.
//
// A step of h can cross a kink of L (two max-pool candidates within h of
// each other, a LeakyReLU input within h of 0), where no difference
// quotient of that width matches the derivative. An element that fails at
// h is therefore tried again at h/4 (noise 4e-5); it fails the test only if
// it fails there too, and at most 5% of the elements may need the retry.
func gradCheck(t *testing.T, b backend.Backend, m *nn.Sequential, loss nn.Loss, xs, ys []float32, n int, h, atol, rtol float64) {
	t.Helper()
	x := upload(b, xs, append([]int{n}, m.InShape()...)...)
	y := upload(b, ys, append([]int{n}, m.OutShape()...)...)
	lossAt := func() float64 {
		l, _ := loss.Loss(m.Forward(x, true), y)
		return float64(download(b, l)[0])
	}

	_, g := loss.Loss(m.Forward(x, true), y)
	params := m.Params()
	for _, p := range params {
		b.Fill(p.Grad, float32(math.NaN())) // Backward must overwrite every element
	}
	layers := m.Layers()
	dy := g
	for i := len(layers) - 1; i >= 0; i-- {
		dy = layers[i].Backward(dy)
	}
	dx := download(b, dy)

	checked, retried := 0, 0
	check := func(what string, analytic []float32, values []float32, set func([]float32)) {
		t.Helper()
		central := func(i int, h float64) float64 {
			v := values[i]
			values[i] = v + float32(h)
			set(values)
			lp := lossAt()
			values[i] = v - float32(h)
			set(values)
			lm := lossAt()
			values[i] = v
			set(values)
			return (lp - lm) / (2 * h)
		}
		ok := func(num, ana float64) bool {
			return math.Abs(num-ana) <= atol+rtol*math.Max(math.Abs(num), math.Abs(ana))
		}
		for i := range values {
			checked++
			ana := float64(analytic[i])
			if num := central(i, h); !ok(num, ana) {
				retried++
				if num4 := central(i, h/4); !ok(num4, ana) {
					t.Fatalf("%v: ∂L/∂%s[%d]: backprop %g, central difference %g (step %g), %g (step %g)",
						loss, what, i, ana, num, h, num4, h/4)
				}
			}
		}
	}
	for _, p := range params {
		values := download(b, p.Value)
		check(p.Name, download(b, p.Grad), values, func(v []float32) { b.Upload(p.Value, v) })
	}
	check("x", dx, append([]float32(nil), xs...), func(v []float32) { b.Upload(x, v) })
	t.Logf("%v: %d gradient elements checked, %d needed the smaller step", loss, checked, retried)
	if retried > checked/20 {
		t.Fatalf("%v: %d of %d elements needed the smaller step, want at most 5%%", loss, retried, checked)
	}
}

// gradCheckCNN returns the layers of a small CNN that exercises every layer
// type and every smooth activation, for input [2, 7, 7].
func gradCheckCNN(head *nn.Activation) []nn.Layer {
	return []nn.Layer{
		&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1}, // [3 7 7]
		nn.Tanh(),
		&nn.MaxPool2D{Size: 2}, // [3 3 3]
		&nn.Conv2D{Filters: 4, KH: 3, KW: 2, Stride: 2, Pad: 1}, // [4 2 3]
		nn.ELU(0.7),
		&nn.AvgPool2D{Size: 2, Stride: 1, Pad: 1}, // [4 3 4]
		&nn.Flatten{}, // [48]
		&nn.Dense{Units: 6},
		head,
		&nn.Dense{Units: 3},
	}
}

func TestGradCheck(t *testing.T) {
	const n = 3
	for _, tc := range []struct {
		head *nn.Activation
		loss func(backend.Backend) nn.Loss
	}{
		{nn.Sigmoid(), nn.NewSoftmaxCrossEntropy},
		{nn.Softplus(), nn.NewMSE},
		{nn.LeakyReLU(0.2), nn.NewSoftmaxCrossEntropy},
	} {
		t.Run(fmt.Sprintf("%v/%v", tc.head, tc.loss(newCPU(t))), func(t *testing.T) {
			b := newCPU(t)
			m, err := nn.NewSequential(b, []int{2, 7, 7}, 11, gradCheckCNN(tc.head)...)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(12))
			setRandom(b, m, rng) // non-zero biases
			xs := randSlice(rng, n*2*7*7, -1, 1)
			var ys []float32
			if tc.loss(b).String() == "MSE" {
				ys = randSlice(rng, n*3, -1, 1)
			} else {
				ys = nn.OneHot([]int{2, 0, 1}, 3)
			}
			gradCheck(t, b, m, tc.loss(b), xs, ys, n, 1e-2, 1e-4, 1e-2)
		})
	}
}

// TestGradCheckSoftmaxNoBias checks a model without biases that ends in a
// Softmax layer, trained with MSE on the probabilities.
func TestGradCheckSoftmaxNoBias(t *testing.T) {
	const n = 2
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{1, 5, 5}, 13,
		&nn.Conv2D{Filters: 2, KH: 3, KW: 3, NoBias: true}, // [2 3 3]
		nn.Sigmoid(),
		&nn.Flatten{},
		&nn.Dense{Units: 4, NoBias: true},
		&nn.Softmax{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(m.Params()); got != 2 {
		t.Fatalf("%d params, want the two weights", got)
	}
	rng := rand.New(rand.NewSource(14))
	xs := randSlice(rng, n*25, -1, 1)
	gradCheck(t, b, m, nn.NewMSE(b), xs, []float32{0.1, 0.2, 0.3, 0.4, 0.7, 0.1, 0.1, 0.1}, n, 1e-2, 1e-4, 1e-2)
}
