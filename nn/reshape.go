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
// It copies the values, like Flatten.
type Reshape struct {
	Shape []int // the per-sample output shape

	in   []int
	b    backend.Backend
	cur  *ioBufs
	bufs BatchCache[ioBufs]
}

// Build implements Layer.
func (r *Reshape) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", r, err)
	}
	if CheckShape(r.Shape) != nil || shapeLen(r.Shape) != shapeLen(in) {
		return nil, fmt.Errorf("%v: input shape %v (%d values) cannot be reshaped to %v", r, in, shapeLen(in), r.Shape)
	}
	*r = Reshape{Shape: append([]int(nil), r.Shape...), b: b, in: append([]int(nil), in...)}
	return append([]int(nil), r.Shape...), nil
}

// Forward implements Layer.
func (r *Reshape) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(r, x, r.in)
	r.cur = r.bufs.Get(n, func(n int) *ioBufs {
		return &ioBufs{y: r.b.Alloc(withBatch(n, r.Shape)...)}
	})
	r.b.Copy(r.cur.y, x)
	return r.cur.y
}

// Backward implements Layer: dy given the input shape back.
func (r *Reshape) Backward(dy backend.Tensor) backend.Tensor {
	if r.cur == nil {
		panicNoForward(r)
	}
	CheckGrad(r, dy, r.cur.y)
	if r.cur.dx == nil {
		r.cur.dx = r.b.Alloc(withBatch(dy.Shape()[0], r.in)...)
	}
	r.b.Copy(r.cur.dx, dy)
	return r.cur.dx
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
