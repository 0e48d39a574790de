package nn_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

// TestPredictDense checks Predict and Probabilities of a Dense model
// against float64 references computed from its weights, for one sample
// and for several, and the errors for inputs that are not whole samples.
func TestPredictDense(t *testing.T) {
	b := newCPU(t)
	const in, out, n = 5, 3, 4
	m, err := nn.NewSequential(b, []int{in}, 7, &nn.Dense{Units: out})
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params() // 0.weight [out, in], 0.bias [out]
	w, bias := download(b, ps[0].Value), download(b, ps[1].Value)
	rng := rand.New(rand.NewSource(1))
	x := randSlice(rng, n*in, -2, 2)
	logits := make([]float64, n*out)
	probs := make([]float64, n*out)
	for s := 0; s < n; s++ {
		var sum float64
		for k := 0; k < out; k++ {
			z := float64(bias[k])
			for j := 0; j < in; j++ {
				z += float64(w[k*in+j]) * float64(x[s*in+j])
			}
			logits[s*out+k] = z
		}
		hi := math.Max(logits[s*out], math.Max(logits[s*out+1], logits[s*out+2]))
		for k := 0; k < out; k++ {
			sum += math.Exp(logits[s*out+k] - hi)
		}
		for k := 0; k < out; k++ {
			probs[s*out+k] = math.Exp(logits[s*out+k]-hi) / sum
		}
	}
	got, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "Predict of 4 samples", got, logits, 1e-5, 1e-5)
	one, err := m.Predict(x[in : 2*in])
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "Predict of sample 1", one, logits[out:2*out], 1e-5, 1e-5)
	p, err := m.Probabilities(x)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "Probabilities", p, probs, 1e-6, 1e-5)
	for _, bad := range [][]float32{nil, make([]float32, in-1), make([]float32, 2*in+1)} {
		if _, err := m.Predict(bad); err == nil || !strings.Contains(err.Error(), "want a positive multiple of the 5 of one sample of shape [5]") {
			t.Errorf("Predict of %d values: %v, want an error about whole samples", len(bad), err)
		}
		if _, err := m.Probabilities(bad); err == nil {
			t.Errorf("Probabilities of %d values: no error", len(bad))
		}
	}
}

// TestProbabilitiesAfterSoftmax checks that a model ending in a Softmax
// layer gets its outputs back, not a softmax of probabilities, and that
// large logits do not overflow.
func TestProbabilitiesAfterSoftmax(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{2}, 3, &nn.Dense{Units: 4}, &nn.Softmax{})
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{0.3, -1.2}
	want, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Probabilities(x)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "Probabilities after a Softmax layer", got, want)

	big, err := nn.NewSequential(b, []int{2}, 3, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := big.Probabilities([]float32{1e30, 1e30})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p {
		if math.IsNaN(float64(v)) || v < 0 || v > 1 {
			t.Errorf("probabilities of huge logits %v, want values in [0, 1]", p)
		}
	}
}

// TestArgMax checks ArgMax against torch.argmax's results: the first of
// equal maxima, and the first NaN as the maximum.
func TestArgMax(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		row  []float32
		want int
	}{
		{[]float32{3}, 0},
		{[]float32{1, 3, 2}, 1},
		{[]float32{-5, -1, -3}, 1},
		{[]float32{2, 5, 5}, 1},
		{[]float32{1, nan, 3, nan}, 1},
		{[]float32{nan, 9}, 0},
		{[]float32{1, inf, inf}, 1},
		{[]float32{0, 0, 0, 0}, 0},
	} {
		if got := nn.ArgMax(c.row); got != c.want {
			t.Errorf("ArgMax(%v) = %d, want %d", c.row, got, c.want)
		}
	}
	mustPanic(t, "empty row", func() { nn.ArgMax(nil) })
}
