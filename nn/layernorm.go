package nn

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/myelin-go/myelin/backend"
)

// LayerNorm is layer normalisation (Ba, Kiros & Hinton, 2016) over the
// last Dims per-sample dimensions: each group of D values x (D the product
// of those dimensions, one group per sample and position of the leading
// dimensions) is normalised with its own mean and biased variance, and
// scaled and shifted elementwise by learned γ ("weight", initially 1) and
// β ("bias", initially 0) of the normalised shape:
//
//	μ = (1/D)·Σ x,  σ² = (1/D)·Σ (x − μ)²,  y = γ∘(x − μ)/√(σ² + ε) + β
//
// Training and evaluation compute the same thing. This is PyTorch's
// nn.LayerNorm(normalized_shape=in[len(in)−Dims:], eps) with
// elementwise_affine=True; on [T, F] per-sample inputs with Dims 1 it
// normalises every time step's features.
//
// It is built from the core batch-normalisation ops (each group is a
// channel of BatchNormTrain), so it runs on every backend.
type LayerNorm struct {
	Dims int     // trailing per-sample dimensions normalised, ≥ 1; 0 means 1
	Eps  float32 // ε; 0 means 1e-5

	b           backend.Backend
	in          []int
	d           int // values per group
	gamma, beta *Param
	zerosD      backend.Tensor // [D] zeros
	onesD       backend.Tensor // [D] ones
	cur         *lnBufs
	bufs        BatchCache[lnBufs]
}

// lnBufs are a LayerNorm layer's buffers for one batch size, with R groups.
type lnBufs struct {
	ioBufs
	x3          backend.Tensor    // the input as [1, R, D]: R channels for BatchNormTrain
	xhat        backend.Tensor    // (x − μ)/√(σ² + ε) as [R, D]
	mean        backend.Tensor    // [R] μ of each group
	invStd      backend.Tensor    // [R] 1/√(σ² + ε)
	onesR       backend.Tensor    // [R] ones
	zerosR      backend.Tensor    // [R] zeros
	scratch     [2]backend.Tensor // [R] running statistics and γ, β gradients, unread
	dy2, tmp, g backend.Tensor    // [R, D] for Backward
}

// dims returns the effective Dims: Dims, or 1 when it is 0.
func (l *LayerNorm) dims() int {
	if l.Dims == 0 {
		return 1
	}
	return l.Dims
}

// eps returns the effective ε: Eps, or 1e-5 when it is 0.
func (l *LayerNorm) eps() float32 {
	if l.Eps == 0 {
		return 1e-5
	}
	return l.Eps
}

// Build implements Layer.
func (l *LayerNorm) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", l, err)
	}
	switch {
	case l.Dims < 0 || l.dims() > len(in):
		return nil, fmt.Errorf("%v: Dims must be between 1 and the %d dimensions of the input %v", l, len(in), in)
	case !(l.Eps >= 0):
		return nil, fmt.Errorf("%v: Eps must not be negative", l)
	}
	shape := in[len(in)-l.dims():]
	if shapeLen(shape) < 2 {
		return nil, fmt.Errorf("%v: normalising groups of %v = 1 value gives β alone; normalise over more dimensions", l, shape)
	}
	*l = LayerNorm{Dims: l.Dims, Eps: l.Eps, b: b, in: append([]int(nil), in...), d: shapeLen(shape)}
	l.gamma = NewParam(b, "weight", shape, Ones, nil)
	l.beta = NewParam(b, "bias", shape, Zeros, nil)
	l.zerosD, l.onesD = b.Alloc(l.d), b.Alloc(l.d)
	b.Fill(l.zerosD, 0)
	b.Fill(l.onesD, 1)
	return append([]int(nil), in...), nil
}

// Forward implements Layer.
func (l *LayerNorm) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(l, x, l.in)
	l.cur = l.bufs.Get(n, func(n int) *lnBufs {
		r := n * shapeLen(l.in) / l.d
		c := &lnBufs{
			ioBufs: ioBufs{y: l.b.Alloc(withBatch(n, l.in)...)},
			x3:     l.b.Alloc(1, r, l.d), xhat: l.b.Alloc(r, l.d),
			mean: l.b.Alloc(r), invStd: l.b.Alloc(r), onesR: l.b.Alloc(r), zerosR: l.b.Alloc(r),
			scratch: [2]backend.Tensor{l.b.Alloc(r), l.b.Alloc(r)},
		}
		l.b.Fill(c.onesR, 1)
		l.b.Fill(c.zerosR, 0)
		l.b.Fill(c.scratch[0], 0)
		l.b.Fill(c.scratch[1], 1)
		return c
	})
	c := l.cur
	l.b.Copy(c.x3, x)
	// Momentum 0 leaves the scratch "running statistics" as they are.
	l.b.BatchNormTrain(c.x3, c.onesR, c.zerosR, c.xhat, c.mean, c.invStd, c.scratch[0], c.scratch[1], 0, l.eps())
	// y = γ∘x̂ + β: inference normalisation with mean 0, variance 1, ε 0.
	l.b.BatchNormInfer(c.xhat, l.gamma.Value, l.beta.Value, l.zerosD, l.onesD, c.y, 0)
	return c.y
}

// Backward implements Layer: with g = γ∘dy, sums over each group's D
// values,
//
//	∂L/∂x = (1/D)·(1/√(σ² + ε))·(D·g − Σ g − x̂·Σ g∘x̂)
//
// and ∂L/∂γ = Σ dy∘x̂, ∂L/∂β = Σ dy, sums over the groups.
func (l *LayerNorm) Backward(dy backend.Tensor) backend.Tensor {
	var y backend.Tensor
	if l.cur != nil {
		y = l.cur.y
	}
	CheckGrad(l, dy, y)
	c := l.cur
	if c.dx == nil {
		r := c.mean.Shape()[0]
		c.dx = l.b.Alloc(withBatch(dy.Shape()[0], l.in)...)
		c.dy2, c.tmp, c.g = l.b.Alloc(r, l.d), l.b.Alloc(r, l.d), l.b.Alloc(r, l.d)
	}
	l.b.Copy(c.dy2, dy)
	l.b.Mul(c.xhat, c.dy2, c.tmp)
	l.b.BiasGrad(c.tmp, l.gamma.Grad)
	l.b.BiasGrad(c.dy2, l.beta.Grad)
	l.b.BatchNormInfer(c.dy2, l.gamma.Value, l.zerosD, l.zerosD, l.onesD, c.g, 0)
	l.b.BatchNormBackward(c.x3, c.g, c.onesR, c.mean, c.invStd, c.dx, c.scratch[0], c.scratch[1])
	return c.dx
}

// Params implements Layer: γ ("weight") and β ("bias").
func (l *LayerNorm) Params() []*Param {
	if l.gamma == nil {
		return nil
	}
	return []*Param{l.gamma, l.beta}
}

// String describes the layer, e.g. "LayerNorm" or "LayerNorm(dims 2, eps
// 0.001)" when the defaults are changed.
func (l *LayerNorm) String() string {
	var parts []string
	if l.Dims != 0 {
		parts = append(parts, fmt.Sprintf("dims %d", l.Dims))
	}
	if l.Eps != 0 {
		parts = append(parts, fmt.Sprintf("eps %g", l.Eps))
	}
	if len(parts) == 0 {
		return "LayerNorm"
	}
	return "LayerNorm(" + strings.Join(parts, ", ") + ")"
}
