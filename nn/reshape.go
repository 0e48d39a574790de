package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Reshape gives each sample a new shape with the same number of values,
// read in row-major order (torch.Tensor.reshape on the dimensions after
// the batch): Reshape{Shape: []int{28, 28}} turns MNIST's [1, 28, 28]
// images into sequences of 28 rows of 28 pixels for a recurrent layer.
// On a backend.Reshaper its output is a view of its input and its input
// gradient a view of the output gradient; elsewhere it copies them.
type Reshape struct {
	Shape []int // the per-sample output shape

	reshaping
}

// Build implements Layer.
func (r *Reshape) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", r, err)
	}
	if CheckShape(r.Shape) != nil || shapeLen(r.Shape) != shapeLen(in) {
		return nil, fmt.Errorf("%v: input shape %v (%d values) cannot be reshaped to %v", r, in, shapeLen(in), r.Shape)
	}
	*r = Reshape{Shape: append([]int(nil), r.Shape...), reshaping: newReshaping(b, in, r.Shape)}
	return append([]int(nil), r.Shape...), nil
}

// Forward implements Layer.
func (r *Reshape) Forward(x backend.Tensor, train bool) backend.Tensor { return r.forward(r, x) }

// Backward implements Layer: dy given the input shape back.
func (r *Reshape) Backward(dy backend.Tensor) backend.Tensor { return r.backward(r, dy) }

// reshaping is what Reshape and Flatten share: each batch given the shape
// out instead of in, through views on a backend.Reshaper (re-aimed every
// call, so that they follow an input that is itself a re-aimed view), by
// copies elsewhere.
type reshaping struct {
	in, out []int
	b       backend.Backend
	rs      backend.Reshaper // nil when b is not one
	cur     *reshapeBufs
	bufs    BatchCache[reshapeBufs]
}

// reshapeBufs are a reshaping layer's output and input gradient for one
// batch size (views, or tensors of their own), and their shapes.
type reshapeBufs struct {
	ioBufs
	yShape, dxShape []int
}

// newReshaping returns the reshaping of samples of shape in to out on b.
func newReshaping(b backend.Backend, in, out []int) reshaping {
	rs, _ := b.(backend.Reshaper)
	return reshaping{b: b, rs: rs, in: append([]int(nil), in...), out: append([]int(nil), out...)}
}

// forward returns x with each sample in the shape out, for layer l.
func (r *reshaping) forward(l Layer, x backend.Tensor) backend.Tensor {
	n := CheckInput(l, x, r.in)
	r.cur = r.bufs.Get(n, func(n int) *reshapeBufs {
		return &reshapeBufs{yShape: withBatch(n, r.out), dxShape: withBatch(n, r.in)}
	})
	r.cur.y = r.reshape(r.cur.y, x, r.cur.yShape)
	return r.cur.y
}

// backward returns dy with each sample in the shape in, for layer l.
func (r *reshaping) backward(l Layer, dy backend.Tensor) backend.Tensor {
	if r.cur == nil {
		panicNoForward(l)
	}
	CheckGrad(l, dy, r.cur.y)
	r.cur.dx = r.reshape(r.cur.dx, dy, r.cur.dxShape)
	return r.cur.dx
}

// reshape returns t in the given shape: dst, a view made the first time,
// re-aimed at t on a Reshaper; else t copied into dst, allocated the first
// time.
func (r *reshaping) reshape(dst, t backend.Tensor, shape []int) backend.Tensor {
	switch {
	case r.rs != nil && dst == nil:
		return r.rs.Reshape(t, shape...)
	case r.rs != nil:
		r.rs.ReshapeInto(dst, t, shape...)
		return dst
	case dst == nil:
		dst = r.b.Alloc(shape...)
	}
	r.b.Copy(dst, t)
	return dst
}

// Params implements Layer; Reshape has none.
func (r *Reshape) Params() []*Param { return nil }

// String returns e.g. "Reshape(28×28)".
func (r *Reshape) String() string {
	s := ""
	for i, d := range r.Shape {
		if i > 0 {
			s += "×"
		}
		s += fmt.Sprint(d)
	}
	return "Reshape(" + s + ")"
}
