package nn_test

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// regression returns n samples of y = x·w + 0.5 + noise with x of dim
// normal features.
func regression(n, dim int, seed int64) nn.Dataset {
	rng := rand.New(rand.NewSource(seed))
	w := randSlice(rng, dim, -2, 2)
	d := nn.Dataset{X: make([]float32, n*dim), XShape: []int{dim}, Y: make([]float32, n), YShape: []int{1}}
	for i := range n {
		y := 0.5 + 0.1*rng.NormFloat64()
		for j := range dim {
			x := rng.NormFloat64()
			d.X[i*dim+j] = float32(x)
			y += x * float64(w[j])
		}
		d.Y[i] = float32(y)
	}
	return d
}

// criticalLR returns 2/λmax for the mean squared error of a linear model
// with a bias on d, full batch: above it gradient descent diverges. The
// Hessian is (2/N)·AᵀA with A = [X 1]; λmax comes from power iteration.
func criticalLR(d nn.Dataset) float64 {
	n, dim := d.Len(), d.XShape[0]
	h := make([][]float64, dim+1)
	for r := range h {
		h[r] = make([]float64, dim+1)
	}
	row := make([]float64, dim+1)
	for i := range n {
		for j := range dim {
			row[j] = float64(d.X[i*dim+j])
		}
		row[dim] = 1
		for r := range row {
			for c := range row {
				h[r][c] += 2 * row[r] * row[c] / float64(n)
			}
		}
	}
	v := make([]float64, dim+1)
	v[0] = 1
	var lambda float64
	for range 500 {
		next := make([]float64, dim+1)
		for r := range h {
			for c := range h {
				next[r] += h[r][c] * v[c]
			}
		}
		norm := 0.0
		for _, x := range next {
			norm += x * x
		}
		lambda = math.Sqrt(norm) // v has norm 1
		for i := range v {
			v[i] = next[i] / lambda
		}
	}
	return 2 / lambda
}

// TestFindLR runs the range test on linear regression with full-batch
// gradient descent, where the stable rates are known: below 2/λmax of the
// loss's Hessian. The suggestion must lie within two orders of magnitude
// below that bound, and 30 steps with it must bring the loss down to the
// noise floor (the noise variance 0.01) within a factor 2.
func TestFindLR(t *testing.T) {
	b := newCPU(t)
	data := regression(64, 4, 40)
	crit := criticalLR(data)
	m, err := nn.NewSequential(b, []int{4}, 1, &nn.Dense{Units: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr := &nn.Trainer{Model: m, Loss: nn.NewMSE(b), Optimizer: nn.NewSGD(b, backend.SGD{LR: 0.5}), BatchSize: 64}
	before := params(b, m)
	c, err := tr.FindLR(data, nn.LRFinder{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("2/λmax = %.4f; %d steps; loss minimum at %.4g, suggested %.4g", crit, len(c.LR), c.MinLR, c.Suggested)
	if len(c.LR) < 50 || len(c.LR) == 100 || len(c.Loss) != len(c.LR) || len(c.Smoothed) != len(c.LR) {
		t.Errorf("curve of %d rates, %d losses, %d smoothed: want a stop on divergence after at least 50 steps", len(c.LR), len(c.Loss), len(c.Smoothed))
	}
	if c.LR[0] != 1e-5 || math.Abs(float64(c.LR[1])/1e-5-math.Pow(1e6, 1.0/99)) > 1e-5 {
		t.Errorf("rates start %v, want 1e-5 growing by (10/1e-5)^(1/99) per step", c.LR[:2])
	}
	if !(float64(c.Suggested) > crit/100 && float64(c.Suggested) < crit) || c.Suggested != c.MinLR/10 {
		t.Errorf("suggested rate %g (minimum at %g), want MinLR/10 in (%g, %g)", c.Suggested, c.MinLR, crit/100, crit)
	}
	if got := params(b, m); !slices.Equal(got, before) {
		t.Error("FindLR did not restore the weights")
	}
	if tr.Optimizer.LR() != 0.5 {
		t.Errorf("learning rate after FindLR %g, want 0.5 restored", tr.Optimizer.LR())
	}
	start, _, _ := tr.Evaluate(data)
	tr.Optimizer.SetLR(c.Suggested)
	if _, err := tr.Fit(data, 30, nil); err != nil {
		t.Fatal(err)
	}
	end, _, _ := tr.Evaluate(data)
	if !(end < 0.02) {
		t.Errorf("30 steps at the suggested rate took the loss from %g to %g, want below 0.02", start, end)
	}
}

// TestFindLRRestores checks that a run after FindLR is the run without it,
// bit for bit, with an optimizer that has state (Adam) and a model with
// Dropout and BatchNorm (counters and running statistics).
func TestFindLRRestores(t *testing.T) {
	data := blobs(40, 4, 3, 41)
	run := func(find bool) []float32 {
		b := newCPU(t)
		m, err := nn.NewSequential(b, []int{4}, 2, &nn.Dense{Units: 8}, &nn.BatchNorm{}, nn.ReLU(), &nn.Dropout{P: 0.2}, &nn.Dense{Units: 3})
		if err != nil {
			t.Fatal(err)
		}
		tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.01)), BatchSize: 8, Seed: 5}
		if find {
			if _, err := tr.FindLR(data, nn.LRFinder{Steps: 20}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tr.Fit(data, 2, nil); err != nil {
			t.Fatal(err)
		}
		v := params(b, m)
		for _, p := range m.Buffers() {
			v = append(v, download(b, p.Value)...)
		}
		return v
	}
	if !slices.Equal(run(true), run(false)) {
		t.Error("training after FindLR differs from training without it")
	}
}

func TestFindLRErrors(t *testing.T) {
	b := newCPU(t)
	tr := newTrainer(t, b, 1, 1)
	data := blobs(8, 4, 3, 42)
	for _, tc := range []struct {
		f    nn.LRFinder
		want string
	}{
		{nn.LRFinder{Min: 1, Max: 0.1}, "want 0 < Min < Max"},
		{nn.LRFinder{Steps: 1}, "Steps = 1"},
		{nn.LRFinder{Smoothing: 1}, "Smoothing = 1"},
		{nn.LRFinder{Diverge: 0.5}, "Diverge = 0.5"},
	} {
		if _, err := tr.FindLR(data, tc.f); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FindLR(%+v): %v, want an error containing %q", tc.f, err, tc.want)
		}
	}
	if _, err := tr.FindLR(nn.Dataset{X: data.X, XShape: []int{2}}, nn.LRFinder{}); err == nil || !strings.Contains(err.Error(), "training set") {
		t.Errorf("FindLR with bad data: %v", err)
	}
}
