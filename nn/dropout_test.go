package nn_test

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

// TestDropout checks inverted dropout: in training every value is either
// dropped (0) or scaled by 1/(1−P), about a fraction P dropped, Backward
// multiplies by the same mask, and Step counts the training Forwards; in
// evaluation it is the identity both ways.
func TestDropout(t *testing.T) {
	const p, n, k = 0.25, 50, 40
	b := newCPU(t)
	d := &nn.Dropout{P: p}
	m, err := nn.NewSequential(b, []int{k}, 3, d)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(4))
	xs := randSlice(rng, n*k, 0.5, 1.5) // never 0, so that a drop is visible
	x := upload(b, xs, n, k)
	ys := download(b, m.Forward(x, true))
	dys := randSlice(rng, n*k, -1, 1)
	dxs := download(b, m.Layers()[0].Backward(upload(b, dys, n, k)))
	dropped := 0
	for i, y := range ys {
		scale := float64(y) / float64(xs[i])
		switch {
		case y == 0:
			dropped++
			if dxs[i] != 0 {
				t.Fatalf("element %d dropped forward but dx = %v", i, dxs[i])
			}
		case math.Abs(scale-1/(1-p)) > 1e-6:
			t.Fatalf("element %d: y/x = %v, want 0 or %v", i, scale, 1/(1-p))
		case math.Abs(float64(dxs[i])-float64(dys[i])/(1-p)) > 1e-6:
			t.Fatalf("element %d kept forward: dx = %v, want dy/(1−P) = %v", i, dxs[i], dys[i]/(1-p))
		}
	}
	// Binomial(2000, 0.25): mean 500, standard deviation 19.4; allow 5.
	if mean, sd := float64(n*k)*p, math.Sqrt(n*k*p*(1-p)); math.Abs(float64(dropped)-mean) > 5*sd {
		t.Errorf("%d of %d dropped, want %g ± %.0f", dropped, n*k, mean, 5*sd)
	}
	if d.Step != 1 {
		t.Errorf("Step = %d after one training Forward", d.Step)
	}
	if second := download(b, m.Forward(x, true)); slices.Equal(second, ys) {
		t.Error("the second training Forward drew the same mask as the first")
	}

	if got := download(b, m.Forward(x, false)); !slices.Equal(got, xs) {
		t.Error("evaluation Forward is not the identity")
	}
	if got := download(b, m.Layers()[0].Backward(upload(b, dys, n, k))); !slices.Equal(got, dys) {
		t.Error("Backward after an evaluation Forward is not the identity")
	}
	if d.Step != 2 {
		t.Errorf("Step = %d after two training Forwards and one evaluation", d.Step)
	}
}

// TestDropoutResume checks that the masks are a function of the model seed
// and Step alone: a new model with the same seed whose Step is set to 2
// draws the third mask of the first.
func TestDropoutResume(t *testing.T) {
	b := newCPU(t)
	xs := randSlice(rand.New(rand.NewSource(5)), 8*30, 0.5, 1.5)
	x := upload(b, xs, 8, 30)
	build := func(seed int64) (*nn.Sequential, *nn.Dropout) {
		d := &nn.Dropout{P: 0.5}
		m, err := nn.NewSequential(b, []int{30}, seed, d)
		if err != nil {
			t.Fatal(err)
		}
		return m, d
	}
	m1, _ := build(7)
	var third []float32
	for range 3 {
		third = download(b, m1.Forward(x, true))
	}
	m2, d2 := build(7)
	d2.Step = 2
	if got := download(b, m2.Forward(x, true)); !slices.Equal(got, third) {
		t.Error("same seed, Step 2: the mask differs from the third of the first model")
	}
	m3, d3 := build(8)
	d3.Step = 2
	if got := download(b, m3.Forward(x, true)); slices.Equal(got, third) {
		t.Error("another seed drew the same mask")
	}
}

func TestDropoutZeroAndErrors(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{6}, 1, &nn.Dropout{})
	if err != nil {
		t.Fatal(err)
	}
	xs := randSlice(rand.New(rand.NewSource(6)), 12, -1, 1)
	if got := download(b, m.Forward(upload(b, xs, 2, 6), true)); !slices.Equal(got, xs) {
		t.Error("P = 0 in training is not the identity")
	}
	for _, p := range []float32{-0.1, 1, 2} {
		if _, err := nn.NewSequential(b, []int{6}, 1, &nn.Dropout{P: p}); err == nil || !strings.Contains(err.Error(), "P must be in [0, 1)") {
			t.Errorf("P = %g: error %v, want one saying P must be in [0, 1)", p, err)
		}
	}
	if got := (&nn.Dropout{P: 0.5}).String(); got != "Dropout(0.5)" {
		t.Errorf("String() = %q", got)
	}
}
