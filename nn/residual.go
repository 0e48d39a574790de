package nn

import (
	"errors"
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Residual is a residual block (He et al., "Deep Residual Learning for
// Image Recognition", 2015):
//
//	y = F(x) + P(x)
//
// where F applies the layers of Body in order and P applies those of Proj,
// or is the identity when Proj is empty. F(x) and P(x) must have the same
// shape: a body that changes the shape (a strided convolution, more
// channels) needs a projection such as a 1×1 Conv2D with the same stride.
// Backward sums the gradients of both paths: ∂L/∂x = F′ᵀ·dy + P′ᵀ·dy.
//
// Residual is a Container: the layers are named "body.<j>" and
// "proj.<j>", so its parameters load into a PyTorch module holding
// nn.Sequential attributes body and proj, whose forward is
// body(x) + proj(x) (or + x), with strict load_state_dict.
type Residual struct {
	Body []Layer // F, at least one layer
	Proj []Layer // P, empty for the identity

	b    backend.Backend
	in   []int
	body chain
	proj chain
	cur  *ioBufs
	bufs BatchCache[ioBufs]
}

// Build implements Layer.
func (r *Residual) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	if len(r.Body) == 0 {
		return nil, errors.New("Residual: Body has no layers")
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", r, err)
	}
	*r = Residual{Body: r.Body, Proj: r.Proj, b: b, in: append([]int(nil), in...),
		body: chain{layers: r.Body}, proj: chain{layers: r.Proj}}
	out, err := r.body.build(b, in, rng, "body.")
	if err != nil {
		return nil, err
	}
	skip, err := r.proj.build(b, in, rng, "proj.")
	if err != nil {
		return nil, err
	}
	if !backend.Shape(out).Equal(skip) {
		if len(r.Proj) == 0 {
			return nil, fmt.Errorf("%v: Body turns input %v into %v: add a Proj that makes the input %v too (a 1×1 Conv2D with the body's stride and channels)", r, in, out, out)
		}
		return nil, fmt.Errorf("%v: Body gives %v and Proj gives %v on input %v: want the same shape", r, out, skip, in)
	}
	return out, nil
}

// Forward implements Layer: y = F(x) + P(x).
func (r *Residual) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(r, x, r.in)
	fx := r.body.forward(x, train)
	px := r.proj.forward(x, train)
	r.cur = r.bufs.Get(n, func(n int) *ioBufs {
		return &ioBufs{y: r.b.Alloc(fx.Shape()...)}
	})
	r.b.Add(fx, px, r.cur.y)
	return r.cur.y
}

// Backward implements Layer: ∂L/∂x is the sum of the two paths' input
// gradients.
func (r *Residual) Backward(dy backend.Tensor) backend.Tensor {
	var y backend.Tensor
	if r.cur != nil {
		y = r.cur.y
	}
	CheckGrad(r, dy, y)
	if r.cur.dx == nil {
		r.cur.dx = r.b.Alloc(withBatch(dy.Shape()[0], r.in)...)
	}
	r.b.Add(r.body.backward(dy), r.proj.backward(dy), r.cur.dx)
	return r.cur.dx
}

// BackwardParams implements ParamGrader: the parameter gradients of both
// paths, each stopping at its first layer with parameters.
func (r *Residual) BackwardParams(dy backend.Tensor) {
	var y backend.Tensor
	if r.cur != nil {
		y = r.cur.y
	}
	CheckGrad(r, dy, y)
	r.body.backwardParams(dy)
	r.proj.backwardParams(dy)
}

// Params implements Layer: those of Body, then those of Proj.
func (r *Residual) Params() []*Param { return append(r.body.params(), r.proj.params()...) }

// Buffers implements Stateful: those of Body, then those of Proj.
func (r *Residual) Buffers() []*Param { return append(r.body.buffers(), r.proj.buffers()...) }

// Children implements Container: "body.<j>" and "proj.<j>".
func (r *Residual) Children() []Child {
	return append(children("body.", r.Body), children("proj.", r.Proj)...)
}

// childShape implements childShaper.
func (r *Residual) childShape(i int) []int {
	if i < len(r.body.shapes) {
		return r.body.shapes[i]
	}
	return r.proj.shapes[i-len(r.body.shapes)]
}

// String describes the block, e.g. "Residual(2 layers)" or
// "Residual(5 layers, projection 2)".
func (r *Residual) String() string {
	if len(r.Proj) == 0 {
		return fmt.Sprintf("Residual(%d layers)", len(r.Body))
	}
	return fmt.Sprintf("Residual(%d layers, projection %d)", len(r.Body), len(r.Proj))
}
