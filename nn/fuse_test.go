package nn_test

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// biasCounter counts the elements AddBias and BiasGrad go over, and the
// Conv2D calls, of the CPU backend seen through the core interface alone
// (so not a backend.ConvPooler).
type biasCounter struct {
	backend.Backend
	elems, convs int
}

func newBiasCounter(b *cpu.Backend) *biasCounter { return &biasCounter{Backend: b} }

func (c *biasCounter) Conv2D(x, w, y backend.Tensor, g backend.ConvGeom) {
	c.convs++
	c.Backend.Conv2D(x, w, y, g)
}

func (c *biasCounter) AddBias(y, b backend.Tensor) {
	c.elems += y.Shape().Len()
	c.Backend.AddBias(y, b)
}

func (c *biasCounter) BiasGrad(dy, db backend.Tensor) {
	c.elems += dy.Shape().Len()
	c.Backend.BiasGrad(dy, db)
}

// fusingCounter is a biasCounter that is also a backend.ConvPooler,
// counting the ConvPool calls.
type fusingCounter struct {
	*biasCounter
	cpu       *cpu.Backend
	convPools int
}

func newFusingCounter(b *cpu.Backend) *fusingCounter {
	return &fusingCounter{biasCounter: newBiasCounter(b), cpu: b}
}

func (c *fusingCounter) ConvPool(x, w, bias, y, argmax backend.Tensor, cg backend.ConvGeom, pg backend.PoolGeom, relu bool) {
	c.convPools++
	c.cpu.ConvPool(x, w, bias, y, argmax, cg, pg, relu)
}

func (c *fusingCounter) ConvPoolBackward(x, w, y, argmax, dy, dx, dw, db backend.Tensor, cg backend.ConvGeom, pg backend.PoolGeom, relu, reluX bool) {
	c.cpu.ConvPoolBackward(x, w, y, argmax, dy, dx, dw, db, cg, pg, relu, reluX)
}

// TestConvBiasAfterPool checks that a Conv2D followed by a MaxPool2D, on
// a backend that is not a backend.ConvPooler, whose bias the pool adds
// after pooling, gives the outputs and the gradients of
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
	b := cpu.New()
	defer b.Close()
	fc, ac := newBiasCounter(b), newBiasCounter(b)
	_, fusedOut, fusedGrads := build(fc, false)
	_, apartOut, apartGrads := build(ac, true)
	if !slices.Equal(fusedOut, apartOut) {
		t.Error("outputs differ with the bias added after pooling")
	}
	assertClose(t, "gradients", fusedGrads, wide(apartGrads), 1e-6, 1e-5)
	if 2*fc.elems > ac.elems {
		t.Errorf("AddBias and BiasGrad went over %d elements, %d without fusion: want fewer than half", fc.elems, ac.elems)
	}
}

// fuseCase builds layers on b for per-sample input in, with every
// parameter uniform in [−1, 1) (seed 6), and returns the model, an input
// of n samples (seed 7) and an output gradient of [n, 3] (seed 8): the
// same for two builds of layers that differ only by fusion.
func fuseCase(t *testing.T, b backend.Backend, in []int, n int, layers []nn.Layer) (*nn.Sequential, backend.Tensor, backend.Tensor) {
	t.Helper()
	m, err := nn.NewSequential(b, in, 5, layers...)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(6))
	for _, p := range m.Params() {
		b.Upload(p.Value, randSlice(rng, p.Value.Shape().Len(), -1, 1))
	}
	x := upload(b, randSlice(rand.New(rand.NewSource(7)), n*shapeLen(in), -2, 2), append([]int{n}, in...)...)
	dy := upload(b, randSlice(rand.New(rand.NewSource(8)), n*3, -1, 1), n, 3)
	return m, x, dy
}

// wide returns g in float64.
func wide(g []float32) []float64 {
	w := make([]float64, len(g))
	for i, v := range g {
		w[i] = float64(v)
	}
	return w
}

// params2grads returns the gradients of every parameter of m, concatenated.
func params2grads(b backend.Backend, m *nn.Sequential) []float32 {
	var v []float32
	for _, p := range m.Params() {
		v = append(v, download(b, p.Grad)...)
	}
	return v
}

// TestConvPoolFused checks that on a backend.ConvPooler, Conv2D →
// MaxPool2D with a ReLU before the pool, after it or neither (then a Tanh
// follows) run as one ConvPool each, the first after a Conv2D and a ReLU
// whose backward pass it runs, and give the outputs of the same layers
// kept apart by an Identity after each fused Conv2D, and their parameter
// and input gradients up to the order of the sums, for a batch of 133.
func TestConvPoolFused(t *testing.T) {
	const n = 133
	in := []int{2, 14, 13}
	b := cpu.New()
	defer b.Close()
	build := func(apart bool) (*fusingCounter, *nn.Sequential, backend.Tensor, backend.Tensor) {
		c := newFusingCounter(b)
		layers := []nn.Layer{&nn.Conv2D{Filters: 5, KH: 3, KW: 3}, nn.ReLU(),
			&nn.Conv2D{Filters: 4, KH: 2, KW: 2, Pad: 1}, nn.ReLU(), &nn.MaxPool2D{Size: 2},
			&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1}, &nn.MaxPool2D{Size: 3, Stride: 2}, nn.ReLU(),
			&nn.Conv2D{Filters: 3, KH: 1, KW: 1}, &nn.MaxPool2D{Size: 2}, nn.Tanh(), &nn.Flatten{}, &nn.Dense{Units: 3}}
		if apart {
			for _, i := range []int{9, 6, 3} {
				layers = slices.Insert(layers, i, nn.Layer(nn.Identity()))
			}
		}
		m, x, dy := fuseCase(t, c, in, n, layers)
		return c, m, x, dy
	}
	fc, fused, fx, fdy := build(false)
	ac, apart, ax, ady := build(true)
	fy, ay := download(fc, fused.Forward(fx, true)), download(ac, apart.Forward(ax, true))
	if !slices.Equal(fy, ay) {
		t.Error("outputs differ when the convolutions, pools and ReLUs run fused")
	}
	if fc.convPools != 3 || fc.convs != 1 || ac.convPools != 0 || ac.convs != 4 {
		t.Errorf("ConvPool and Conv2D calls: %d and %d fused, %d and %d apart; want 3 and 1, 0 and 4", fc.convPools, fc.convs, ac.convPools, ac.convs)
	}
	fused.Backward(fdy)
	apart.Backward(ady)
	assertClose(t, "parameter gradients", params2grads(fc, fused), wide(params2grads(ac, apart)), 1e-5, 1e-4)
	fdx, adx := download(fc, fused.BackwardInput(fdy)), download(ac, apart.BackwardInput(ady))
	assertClose(t, "input gradient", fdx, wide(adx), 1e-6, 1e-5)
	assertClose(t, "parameter gradients after BackwardInput", params2grads(fc, fused), wide(params2grads(ac, apart)), 1e-5, 1e-4)
}

// TestConvPoolInResidual checks that a Conv2D → MaxPool2D pair inside a
// container's chain (a Residual's body, beside a strided projection) is
// fused like one in a Sequential: for a batch of 70 the outputs equal
// those of the layers kept apart by an Identity, and the gradients agree
// up to the order of the sums.
func TestConvPoolInResidual(t *testing.T) {
	const n = 70
	in := []int{2, 8, 10}
	b := cpu.New()
	defer b.Close()
	build := func(apart bool) (*fusingCounter, *nn.Sequential, backend.Tensor, backend.Tensor) {
		c := newFusingCounter(b)
		body := []nn.Layer{&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1}, &nn.MaxPool2D{Size: 2}}
		if apart {
			body = slices.Insert(body, 1, nn.Layer(nn.Identity()))
		}
		res := &nn.Residual{Body: body, Proj: []nn.Layer{&nn.Conv2D{Filters: 3, KH: 1, KW: 1, Stride: 2, NoBias: true}}}
		m, x, dy := fuseCase(t, c, in, n, []nn.Layer{res, nn.Tanh(), &nn.Flatten{}, &nn.Dense{Units: 3}})
		return c, m, x, dy
	}
	fc, fused, fx, fdy := build(false)
	ac, apart, ax, ady := build(true)
	fy, ay := download(fc, fused.Forward(fx, true)), download(ac, apart.Forward(ax, true))
	if !slices.Equal(fy, ay) {
		t.Error("outputs differ when the pair inside the Residual is fused")
	}
	if fc.convPools != 1 || fc.convs != 1 || ac.convPools != 0 || ac.convs != 2 {
		t.Errorf("ConvPool and Conv2D calls: %d and %d fused, %d and %d apart; want 1 and 1 (the projection), 0 and 2", fc.convPools, fc.convs, ac.convPools, ac.convs)
	}
	fdx, adx := download(fc, fused.BackwardInput(fdy)), download(ac, apart.BackwardInput(ady))
	assertClose(t, "input gradient", fdx, wide(adx), 1e-6, 1e-5)
	assertClose(t, "parameter gradients", params2grads(fc, fused), wide(params2grads(ac, apart)), 1e-5, 1e-4)
}

// convActCounter is the CPU backend, every optional group included,
// counting the ConvAct calls.
type convActCounter struct {
	*cpu.Backend
	convActs int
}

func (c *convActCounter) ConvAct(x, w, bias, y backend.Tensor, g backend.ConvGeom, relu bool) {
	c.convActs++
	c.Backend.ConvAct(x, w, bias, y, g, relu)
}

// TestConvReLUFused checks that on a backend.ConvActivator each Conv2D
// followed by a ReLU and no pooling (with and without bias) runs as one
// ConvAct, and that the outputs and the parameter and input gradients are
// bit for bit those of the same layers kept apart by an Identity after
// each such Conv2D, with a ConvPool unit between them that runs the first
// ReLU's backward pass, for a batch of 67.
func TestConvReLUFused(t *testing.T) {
	const n = 67
	in := []int{2, 14, 13}
	build := func(apart bool) (*convActCounter, *nn.Sequential, backend.Tensor, backend.Tensor) {
		c := &convActCounter{Backend: cpu.New()}
		layers := []nn.Layer{&nn.Conv2D{Filters: 5, KH: 3, KW: 3}, nn.ReLU(),
			&nn.Conv2D{Filters: 4, KH: 3, KW: 3}, nn.ReLU(), &nn.MaxPool2D{Size: 2},
			&nn.Conv2D{Filters: 3, KH: 1, KW: 1, NoBias: true}, nn.ReLU(), &nn.Flatten{}, &nn.Dense{Units: 3}}
		if apart {
			for _, i := range []int{6, 1} {
				layers = slices.Insert(layers, i, nn.Layer(nn.Identity()))
			}
		}
		m, x, dy := fuseCase(t, c, in, n, layers)
		return c, m, x, dy
	}
	fc, fused, fx, fdy := build(false)
	defer fc.Close()
	ac, apart, ax, ady := build(true)
	defer ac.Close()
	if !slices.Equal(download(fc, fused.Forward(fx, true)), download(ac, apart.Forward(ax, true))) {
		t.Error("outputs differ when the convolutions and their ReLUs run fused")
	}
	if fc.convActs != 2 || ac.convActs != 0 {
		t.Errorf("ConvAct calls: %d fused, %d apart; want 2 and 0", fc.convActs, ac.convActs)
	}
	fused.Backward(fdy)
	apart.Backward(ady)
	if !slices.Equal(params2grads(fc, fused), params2grads(ac, apart)) {
		t.Error("parameter gradients differ when the convolutions and their ReLUs run fused")
	}
	if !slices.Equal(download(fc, fused.BackwardInput(fdy)), download(ac, apart.BackwardInput(ady))) {
		t.Error("input gradients differ when the convolutions and their ReLUs run fused")
	}
}
