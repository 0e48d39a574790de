package nn_test

import (
	"fmt"
	"log"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// Standardize is a layer written outside nn with its kit: it normalises
// each sample's F features to zero mean and unit variance and multiplies
// them by a learned gain g ("weight", initially 1),
//
//	y = g∘(x − μ)/√(σ² + ε),  μ and σ² the mean and biased variance of the sample,
//
// which is nn.LayerNorm without its bias. The per-sample statistics come
// from the backend's batch normalisation: read as [1, N, F], the batch
// has one "channel" per sample.
type Standardize struct {
	b    backend.Backend
	in   []int
	gain *nn.Param
	ones backend.Tensor // [F] ones, the variance that leaves g∘x̂ unscaled
	zero backend.Tensor // [F] zeros
	cur  *standardizeBufs
	bufs nn.BatchCache[standardizeBufs] // one set of buffers per batch size
}

// standardizeBufs are the layer's tensors for one batch size N.
type standardizeBufs struct {
	x3, xhat, y         backend.Tensor // [1, N, F], [N, F], [N, F]
	mean, invStd, onesN backend.Tensor // [N]
	zerosN, scr1, scr2  backend.Tensor // [N]
	gx, dx, dgainPart   backend.Tensor // [N, F], allocated by the first Backward
}

// Build checks the input shape and makes the gain.
func (l *Standardize) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	if err := nn.CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", l, err)
	}
	if len(in) != 1 || in[0] < 2 {
		return nil, fmt.Errorf("%v: input shape %v, want [F] with F ≥ 2", l, in)
	}
	*l = Standardize{b: b, in: in, gain: nn.NewParam(b, "weight", in, nn.Ones, rng)}
	l.ones, l.zero = b.Alloc(in...), b.Alloc(in...)
	b.Fill(l.ones, 1)
	b.Fill(l.zero, 0)
	return in, nil
}

// Forward normalises x [N, F].
func (l *Standardize) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := nn.CheckInput(l, x, l.in)
	f := l.in[0]
	l.cur = l.bufs.Get(n, func(n int) *standardizeBufs {
		c := &standardizeBufs{x3: l.b.Alloc(1, n, f), xhat: l.b.Alloc(n, f), y: l.b.Alloc(n, f)}
		for _, t := range []*backend.Tensor{&c.mean, &c.invStd, &c.onesN, &c.zerosN, &c.scr1, &c.scr2} {
			*t = l.b.Alloc(n)
			l.b.Fill(*t, 0)
		}
		l.b.Fill(c.onesN, 1)
		return c
	})
	c := l.cur
	l.b.Copy(c.x3, x) // the same values, read as [1, N, F]
	l.b.BatchNormTrain(c.x3, c.onesN, c.zerosN, c.xhat, c.mean, c.invStd, c.scr1, c.scr2, 0, 1e-5)
	l.b.BatchNormInfer(c.xhat, l.gain.Value, l.zero, l.zero, l.ones, c.y, 0) // y = g∘x̂
	return c.y
}

// Backward: ∂L/∂g = Σ_n dy∘x̂, and ∂L/∂x is batch normalisation's input
// gradient for the gradient g∘dy of x̂.
func (l *Standardize) Backward(dy backend.Tensor) backend.Tensor {
	var y backend.Tensor
	if l.cur != nil {
		y = l.cur.y
	}
	nn.CheckGrad(l, dy, y)
	c := l.cur
	if c.dx == nil {
		s := dy.Shape()
		c.gx, c.dx, c.dgainPart = l.b.Alloc(s...), l.b.Alloc(s...), l.b.Alloc(s...)
	}
	l.b.Mul(dy, c.xhat, c.dgainPart)
	l.b.BiasGrad(c.dgainPart, l.gain.Grad)
	l.b.BatchNormInfer(dy, l.gain.Value, l.zero, l.zero, l.ones, c.gx, 0) // g∘dy
	l.b.BatchNormBackward(c.x3, c.gx, c.onesN, c.mean, c.invStd, c.dx, c.scr1, c.scr2)
	return c.dx
}

// Params returns the gain.
func (l *Standardize) Params() []*nn.Param { return []*nn.Param{l.gain} }

// String names the layer in errors and summaries.
func (l *Standardize) String() string { return "Standardize" }

// Example_customLayer writes a layer outside the package with nn's kit
// (NewParam, BatchCache, CheckShape, CheckInput, CheckGrad), uses it in a
// residual block, and checks its gradients with central differences.
func Example_customLayer() {
	b := cpu.New()
	defer b.Close()
	m, err := nn.NewSequential(b, []int{6}, 1,
		&nn.Dense{Units: 5},
		&nn.Residual{Body: []nn.Layer{&Standardize{}, nn.Tanh(), &nn.Dense{Units: 5}}},
		&Standardize{},
		&nn.Dense{Units: 3})
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewSource(2))
	for _, p := range m.Params() { // gains away from 1, biases away from 0
		v := make([]float32, p.Value.Shape().Len())
		for i := range v {
			v[i] = float32(rng.Float64()*2 - 0.5)
		}
		b.Upload(p.Value, v)
	}
	x := make([]float32, 4*6)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := nn.OneHot([]int{0, 2, 1, 2}, 3)
	res, err := nn.GradCheck(m, nn.NewSoftmaxCrossEntropy(b), x, y, 0)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res {
		fmt.Printf("%-16s match: %v\n", r.Name, r.RelDiff < 1e-3)
	}
	// Output:
	// 0.weight         match: true
	// 0.bias           match: true
	// 1.body.0.weight  match: true
	// 1.body.2.weight  match: true
	// 1.body.2.bias    match: true
	// 2.weight         match: true
	// 3.weight         match: true
	// 3.bias           match: true
	// input            match: true
}
