package nn_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

// TestLayerNorm checks LayerNorm's output against a float64 reference
// (NaN-poisoned output, random γ and β) for groups over the last one, two
// and three per-sample dimensions, in training and evaluation.
func TestLayerNorm(t *testing.T) {
	b := newCPU(t)
	for _, c := range []struct {
		in   []int
		dims int
		eps  float32
	}{
		{[]int{7}, 0, 0},
		{[]int{3, 5}, 1, 1e-3},
		{[]int{2, 3, 4}, 2, 0},
		{[]int{2, 3, 4}, 3, 0.5},
	} {
		l := &nn.LayerNorm{Dims: c.dims, Eps: c.eps}
		m, err := nn.NewSequential(b, c.in, 1, l)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(int64(len(c.in) + c.dims)))
		p := setRandom(b, m, rng)
		gamma, beta := p[0], p[1]
		const n = 3
		x := randSlice(rng, n*shapeLen(c.in), -2, 3)
		dims := max(c.dims, 1)
		d := shapeLen(c.in[len(c.in)-dims:])
		eps := float64(c.eps)
		if eps == 0 {
			eps = 1e-5
		}
		want := make([]float64, len(x))
		for g := 0; g < len(x)/d; g++ {
			var mean, v float64
			for i := range d {
				mean += float64(x[g*d+i])
			}
			mean /= float64(d)
			for i := range d {
				v += (float64(x[g*d+i]) - mean) * (float64(x[g*d+i]) - mean)
			}
			v /= float64(d)
			for i := range d {
				want[g*d+i] = float64(gamma[i])*(float64(x[g*d+i])-mean)/math.Sqrt(v+eps) + float64(beta[i])
			}
		}
		tx := upload(b, x, append([]int{n}, c.in...)...)
		assertClose(t, l.String()+" evaluation", forwardTwice(b, m, tx), want, 1e-5, 1e-5)
		b.Fill(m.Forward(tx, true), float32(math.NaN()))
		assertClose(t, l.String()+" training", download(b, m.Forward(tx, true)), want, 1e-5, 1e-5)
		if got := m.Params()[0].Value.Shape(); !got.Equal(c.in[len(c.in)-dims:]) {
			t.Errorf("%v: weight shape %v, want %v", l, got, c.in[len(c.in)-dims:])
		}
	}
	for _, c := range []struct {
		l    *nn.LayerNorm
		in   []int
		want string
	}{
		{&nn.LayerNorm{Dims: 3}, []int{4, 5}, "Dims must be between 1 and the 2 dimensions"},
		{&nn.LayerNorm{Dims: -1}, []int{4, 5}, "Dims must be between"},
		{&nn.LayerNorm{}, []int{4, 1}, "gives β alone"},
		{&nn.LayerNorm{Eps: -1}, []int{4}, "Eps must not be negative"},
	} {
		if _, err := nn.NewSequential(b, c.in, 1, c.l); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v on %v: error %v, want one containing %q", c.l, c.in, err, c.want)
		}
	}
	if s := (&nn.LayerNorm{Dims: 2, Eps: 1e-3}).String(); s != "LayerNorm(dims 2, eps 0.001)" {
		t.Errorf("String() = %q", s)
	}
}

// TestGlobalAvgPool2D checks the output against a float64 reference and
// the shape errors.
func TestGlobalAvgPool2D(t *testing.T) {
	b := newCPU(t)
	in := []int{3, 4, 5}
	m, err := nn.NewSequential(b, in, 1, &nn.GlobalAvgPool2D{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(5))
	const n = 2
	x := randSlice(rng, n*60, -1, 1)
	want := make([]float64, n*3)
	for i := range want {
		for j := range 20 {
			want[i] += float64(x[i*20+j]) / 20
		}
	}
	assertClose(t, "GlobalAvgPool2D", forwardTwice(b, m, upload(b, x, n, 3, 4, 5)), want, 1e-6, 1e-6)
	if _, err := nn.NewSequential(b, []int{6}, 1, &nn.GlobalAvgPool2D{}); err == nil || !strings.Contains(err.Error(), "want [C H W]") {
		t.Errorf("GlobalAvgPool2D on [6]: error %v", err)
	}
}
