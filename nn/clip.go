package nn

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
)

// GradClipper rescales gradients by their global norm
// (torch.nn.utils.clip_grad_norm_): with the total 2-norm over every
// gradient of the parameters,
//
//	‖g‖ = √(Σ_p Σ_i g_p[i]²)
//
// each gradient is multiplied by MaxNorm/(‖g‖ + 10⁻⁶) when that factor is
// below 1, and left alone otherwise. Call Clip between the backward pass
// and the optimizer step. It keeps one scratch tensor per parameter, so
// that clipping allocates nothing after the first call, and reads the norm
// back to the host (a device sync) once per call. Create it with
// NewGradClipper.
type GradClipper struct {
	MaxNorm float64

	b           backend.Backend
	sq          map[*Param]backend.Tensor // squared gradients
	part, total backend.Tensor
	host        []float32
}

// NewGradClipper returns a clipper to norm maxNorm on b, or an error
// unless maxNorm is positive and finite.
func NewGradClipper(b backend.Backend, maxNorm float64) (*GradClipper, error) {
	if !(maxNorm > 0) || math.IsInf(maxNorm, 0) {
		return nil, fmt.Errorf("nn: NewGradClipper: max norm %g, want a positive number", maxNorm)
	}
	return &GradClipper{MaxNorm: maxNorm, b: b, sq: map[*Param]backend.Tensor{}, part: b.Alloc(1), total: b.Alloc(1), host: make([]float32, 1)}, nil
}

// Clip scales the gradients of params to total norm at most MaxNorm and
// returns their total norm before clipping (NaN or +Inf when a gradient
// holds one, in which case the gradients are scaled by 0 or NaN, as
// PyTorch does).
func (c *GradClipper) Clip(params []*Param) float64 {
	b := c.b
	b.Fill(c.total, 0)
	for _, p := range params {
		sq := c.sq[p]
		if sq == nil {
			sq = b.Alloc(p.Grad.Shape()...)
			c.sq[p] = sq
		}
		b.Mul(p.Grad, p.Grad, sq)
		b.Sum(sq, c.part)
		b.Add(c.total, c.part, c.total)
	}
	b.Download(c.host, c.total)
	norm := math.Sqrt(float64(c.host[0]))
	coef := c.MaxNorm / (norm + 1e-6)
	if coef < 1 || math.IsNaN(coef) {
		for _, p := range params {
			b.Scale(float32(coef), p.Grad)
		}
	}
	return norm
}

// Free releases the clipper's tensors.
func (c *GradClipper) Free() {
	for _, t := range c.sq {
		c.b.Free(t)
	}
	c.b.Free(c.part)
	c.b.Free(c.total)
	c.sq = map[*Param]backend.Tensor{}
}
