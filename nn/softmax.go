package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Softmax turns each sample's values into probabilities:
// y[n, k] = e^x[n,k] / Σ_j e^x[n,j], over all of the sample's values (any
// per-sample shape is read flattened). A classifier trained with
// SoftmaxCrossEntropy ends in its logits instead; Softmax is for models
// whose output itself should be a distribution.
type Softmax struct {
	in   []int
	b    backend.Backend
	cur  *ioBufs
	bufs BatchCache[ioBufs]
}

// Build implements Layer.
func (s *Softmax) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", s, err)
	}
	*s = Softmax{b: b, in: append([]int(nil), in...)}
	return append([]int(nil), in...), nil
}

// Forward implements Layer.
func (s *Softmax) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(s, x, s.in)
	s.cur = s.bufs.Get(n, func(n int) *ioBufs {
		return &ioBufs{y: s.b.Alloc(withBatch(n, s.in)...)}
	})
	s.b.Softmax(x, s.cur.y)
	return s.cur.y
}

// Backward implements Layer: dx = y∘(dy − Σ_k dy[k]·y[k]) per sample.
func (s *Softmax) Backward(dy backend.Tensor) backend.Tensor {
	if s.cur == nil {
		panicNoForward(s)
	}
	CheckGrad(s, dy, s.cur.y)
	if s.cur.dx == nil {
		s.cur.dx = s.b.Alloc(withBatch(dy.Shape()[0], s.in)...)
	}
	s.b.SoftmaxBackward(s.cur.y, dy, s.cur.dx)
	return s.cur.dx
}

// Params implements Layer; Softmax has none.
func (s *Softmax) Params() []*Param { return nil }

// String returns "Softmax".
func (s *Softmax) String() string { return "Softmax" }
