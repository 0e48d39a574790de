package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Flatten reshapes per-sample input of any shape, e.g. [C, H, W], into one
// dimension [C·H·W], in row-major order (torch.nn.Flatten). On a
// backend.Reshaper its output is a view of its input and its input
// gradient a view of the output gradient; elsewhere it copies them.
type Flatten struct {
	reshaping
}

// Build implements Layer.
func (f *Flatten) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", f, err)
	}
	out := []int{shapeLen(in)}
	*f = Flatten{reshaping: newReshaping(b, in, out)}
	return out, nil
}

// Forward implements Layer.
func (f *Flatten) Forward(x backend.Tensor, train bool) backend.Tensor { return f.forward(f, x) }

// Backward implements Layer: dy reshaped back to the input shape.
func (f *Flatten) Backward(dy backend.Tensor) backend.Tensor { return f.backward(f, dy) }

// Params implements Layer; Flatten has none.
func (f *Flatten) Params() []*Param { return nil }

// String returns "Flatten".
func (f *Flatten) String() string { return "Flatten" }
