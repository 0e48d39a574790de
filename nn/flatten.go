package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Flatten reshapes per-sample input of any shape, e.g. [C, H, W], into one
// dimension [C·H·W], copying the values in row-major order.
type Flatten struct {
	in   []int
	b    backend.Backend
	cur  *ioBufs
	bufs BatchCache[ioBufs]
}

// Build implements Layer.
func (f *Flatten) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", f, err)
	}
	*f = Flatten{b: b, in: append([]int(nil), in...)}
	return []int{shapeLen(in)}, nil
}

// Forward implements Layer.
func (f *Flatten) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(f, x, f.in)
	f.cur = f.bufs.Get(n, func(n int) *ioBufs {
		return &ioBufs{y: f.b.Alloc(n, shapeLen(f.in))}
	})
	f.b.Copy(f.cur.y, x)
	return f.cur.y
}

// Backward implements Layer: dy reshaped back to the input shape.
func (f *Flatten) Backward(dy backend.Tensor) backend.Tensor {
	if f.cur == nil {
		panicNoForward(f)
	}
	CheckGrad(f, dy, f.cur.y)
	if f.cur.dx == nil {
		f.cur.dx = f.b.Alloc(withBatch(dy.Shape()[0], f.in)...)
	}
	f.b.Copy(f.cur.dx, dy)
	return f.cur.dx
}

// Params implements Layer; Flatten has none.
func (f *Flatten) Params() []*Param { return nil }

// String returns "Flatten".
func (f *Flatten) String() string { return "Flatten" }
