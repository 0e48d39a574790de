package nn_test

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// biasCounter counts the elements AddBias and BiasGrad go over.
type biasCounter struct {
	backend.Backend
	elems int
}

func (c *biasCounter) AddBias(y, b backend.Tensor) {
	c.elems += y.Shape().Len()
	c.Backend.AddBias(y, b)
}

func (c *biasCounter) BiasGrad(dy, db backend.Tensor) {
	c.elems += dy.Shape().Len()
	c.Backend.BiasGrad(dy, db)
}

// TestConvBiasAfterPool checks that a Conv2D followed by a MaxPool2D, whose
// bias the pool adds after pooling, gives the outputs and the gradients of
// the same layers kept apart by an Identity, on an awkward shape (odd
// sizes, a padded 3×3 window with stride 2), over a quarter or less of
// the elements.
func TestConvBiasAfterPool(t *testing.T) {
	const n = 3
	in := []int{2, 9, 11}
	build := func(c *biasCounter, apart bool) (*nn.Sequential, []float32, []float32) {
		layers := []nn.Layer{&nn.Conv2D{Filters: 5, KH: 3, KW: 2}, &nn.MaxPool2D{Size: 3, Stride: 2, Pad: 1}, nn.Tanh(), &nn.Flatten{}, &nn.Dense{Units: 4}}
		if apart {
			layers = slices.Insert(layers, 1, nn.Layer(nn.Identity()))
		}
		m, err := nn.NewSequential(c, in, 5, layers...)
		if err != nil {
			t.Fatal(err)
		}
		// Non-zero biases, so that moving them matters.
		rng := rand.New(rand.NewSource(6))
		for _, p := range m.Params() {
			c.Upload(p.Value, randSlice(rng, p.Value.Shape().Len(), -1, 1))
		}
		x := upload(c, randSlice(rand.New(rand.NewSource(7)), n*shapeLen(in), -2, 2), append([]int{n}, in...)...)
		c.elems = 0
		y := m.Forward(x, true)
		out := download(c, y)
		dy := upload(c, randSlice(rand.New(rand.NewSource(8)), y.Shape().Len(), -1, 1), y.Shape()...)
		m.Backward(dy)
		return m, out, params2grads(c, m)
	}
	b := newCPU(t)
	fc, ac := &biasCounter{Backend: b}, &biasCounter{Backend: b}
	_, fusedOut, fusedGrads := build(fc, false)
	_, apartOut, apartGrads := build(ac, true)
	if !slices.Equal(fusedOut, apartOut) {
		t.Error("outputs differ with the bias added after pooling")
	}
	want := make([]float64, len(apartGrads))
	for i, g := range apartGrads {
		want[i] = float64(g)
	}
	assertClose(t, "gradients", fusedGrads, want, 1e-6, 1e-5)
	if 2*fc.elems > ac.elems {
		t.Errorf("AddBias and BiasGrad went over %d elements, %d without fusion: want fewer than half", fc.elems, ac.elems)
	}
}

// params2grads returns the gradients of every parameter of m, concatenated.
func params2grads(b backend.Backend, m *nn.Sequential) []float32 {
	var v []float32
	for _, p := range m.Params() {
		v = append(v, download(b, p.Grad)...)
	}
	return v
}
