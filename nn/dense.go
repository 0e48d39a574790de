package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Dense is a fully connected layer: y = x·Wᵀ + b for a batch x read as an
// N×in matrix (any per-sample input shape is flattened, following the
// backend's matrix rule), weight W [Units, in] (PyTorch's layout) and bias
// b [Units]. The output is [Units] per sample.
type Dense struct {
	Units  int         // output features, ≥ 1
	Init   Initializer // weight initialiser; nil means HeNormal
	NoBias bool        // leave out b

	b      backend.Backend
	in     []int
	weight *Param
	bias   *Param
	x      backend.Tensor // input of the last Forward
	cur    *ioBufs        // buffers of the last Forward
	bufs   BatchCache[ioBufs]
}

// Build implements Layer.
func (d *Dense) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	if d.Units < 1 {
		return nil, fmt.Errorf("%v: Units must be at least 1", d)
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", d, err)
	}
	inLen := shapeLen(in)
	init := d.Init
	if init == nil {
		init = HeNormal
	}
	*d = Dense{Units: d.Units, Init: d.Init, NoBias: d.NoBias, b: b, in: append([]int(nil), in...)}
	d.weight = NewParam(b, "weight", []int{d.Units, inLen}, init, rng)
	if !d.NoBias {
		d.bias = NewParam(b, "bias", []int{d.Units}, Zeros, nil)
	}
	return []int{d.Units}, nil
}

// Forward implements Layer.
func (d *Dense) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(d, x, d.in)
	d.cur = d.bufs.Get(n, func(n int) *ioBufs {
		return &ioBufs{y: d.b.Alloc(n, d.Units)}
	})
	d.x = x
	d.b.MatMul(false, true, 1, x, d.weight.Value, 0, d.cur.y)
	if d.bias != nil {
		d.b.AddBias(d.cur.y, d.bias.Value)
	}
	return d.cur.y
}

// Backward implements Layer: ∂L/∂W = dyᵀ·x, ∂L/∂b = Σ_n dy[n], and
// ∂L/∂x = dy·W.
func (d *Dense) Backward(dy backend.Tensor) backend.Tensor {
	d.BackwardParams(dy)
	if d.cur.dx == nil {
		d.cur.dx = d.b.Alloc(withBatch(d.x.Shape()[0], d.in)...)
	}
	d.b.MatMul(false, false, 1, dy, d.weight.Value, 0, d.cur.dx)
	return d.cur.dx
}

// BackwardParams implements ParamGrader: the weight and bias gradients
// for dy, without ∂L/∂x.
func (d *Dense) BackwardParams(dy backend.Tensor) {
	if d.cur == nil {
		panicNoForward(d)
	}
	CheckGrad(d, dy, d.cur.y)
	d.b.MatMul(true, false, 1, dy, d.x, 0, d.weight.Grad)
	if d.bias != nil {
		d.b.BiasGrad(dy, d.bias.Grad)
	}
}

// Params implements Layer: the weight, then the bias unless NoBias.
func (d *Dense) Params() []*Param {
	if d.weight == nil {
		return nil
	}
	if d.bias == nil {
		return []*Param{d.weight}
	}
	return []*Param{d.weight, d.bias}
}

// String describes the layer, e.g. "Dense(128)" or "Dense(10, no bias)".
func (d *Dense) String() string {
	if d.NoBias {
		return fmt.Sprintf("Dense(%d, no bias)", d.Units)
	}
	return fmt.Sprintf("Dense(%d)", d.Units)
}
