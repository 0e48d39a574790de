package nn

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// TimeDense is a fully connected layer applied at every position of a
// sequence (torch.nn.Linear on the last dimension): for x [N, T, F],
// y[n, t, :] = W·x[n, t, :] + b with weight W [Units, F] and bias b
// [Units], so the output is [T, Units] per sample. It is one MatMul over
// the N·T rows; a recurrent layer with Sequence set feeds it, e.g. to
// predict the next token at every step. The weight is initialised like
// PyTorch's Linear, from U(−1/√F, 1/√F), and so is the bias.
type TimeDense struct {
	Units int // output features, ≥ 1

	b            backend.Backend
	in           []int // [T, F]
	weight, bias *Param
	cur          *timeDenseBufs
	bufs         BatchCache[timeDenseBufs]
}

// timeDenseBufs are a TimeDense's tensors for one batch size, and views of
// them and of the last input as [N·T, features] matrices.
type timeDenseBufs struct {
	y, dx       backend.Tensor // [N, T, Units], [N, T, F]
	y2, dx2     backend.Tensor // views [N·T, Units], [N·T, F]
	x, x2       backend.Tensor // the last input and its view [N·T, F]
	dyBase, dy2 backend.Tensor // the last gradient and its view [N·T, Units]
}

// Build implements Layer for per-sample input [T, F].
func (d *TimeDense) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	if d.Units < 1 {
		return nil, fmt.Errorf("%v: Units must be at least 1", d)
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", d, err)
	}
	if len(in) != 2 {
		return nil, fmt.Errorf("%v: input shape %v, want [T F] (time steps, features) per sample", d, in)
	}
	*d = TimeDense{Units: d.Units, b: b, in: append([]int(nil), in...)}
	init := Uniform(1 / math.Sqrt(float64(in[1])))
	d.weight = NewParam(b, "weight", []int{d.Units, in[1]}, init, rng)
	d.bias = NewParam(b, "bias", []int{d.Units}, init, rng)
	return []int{in[0], d.Units}, nil
}

// view returns the [rows, cols] view of t, reusing *v when it was made for
// the same base tensor *base.
func (d *TimeDense) view(v, base *backend.Tensor, t backend.Tensor, rows, cols int) backend.Tensor {
	if *base != t || *v == nil {
		*base, *v = t, backend.Reshape(d.b, t, rows, cols)
	}
	return *v
}

// Forward implements Layer.
func (d *TimeDense) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(d, x, d.in)
	T, F := d.in[0], d.in[1]
	s := d.bufs.Get(n, func(n int) *timeDenseBufs {
		y := d.b.Alloc(n, T, d.Units)
		return &timeDenseBufs{y: y, y2: backend.Reshape(d.b, y, n*T, d.Units)}
	})
	d.cur = s
	x2 := d.view(&s.x2, &s.x, x, n*T, F)
	d.b.MatMul(false, true, 1, x2, d.weight.Value, 0, s.y2)
	d.b.AddBias(s.y2, d.bias.Value)
	return s.y
}

// Backward implements Layer: with X and dY the [N·T, ·] matrices,
// ∂L/∂W = dYᵀ·X, ∂L/∂b = Σ rows of dY and ∂L/∂x = dY·W.
func (d *TimeDense) Backward(dy backend.Tensor) backend.Tensor {
	dy2 := d.backwardParams2(dy)
	s := d.cur
	if s.dx == nil {
		n := s.y.Shape()[0]
		s.dx = d.b.Alloc(n, d.in[0], d.in[1])
		s.dx2 = backend.Reshape(d.b, s.dx, n*d.in[0], d.in[1])
	}
	d.b.MatMul(false, false, 1, dy2, d.weight.Value, 0, s.dx2)
	return s.dx
}

func (d *TimeDense) backwardParams(dy backend.Tensor) { d.backwardParams2(dy) }

// backwardParams2 writes the parameters' gradients and returns dy's
// matrix view.
func (d *TimeDense) backwardParams2(dy backend.Tensor) backend.Tensor {
	s := d.cur
	if s == nil {
		panicNoForward(d)
	}
	CheckGrad(d, dy, s.y)
	rows := s.y.Shape()[0] * d.in[0]
	dy2 := d.view(&s.dy2, &s.dyBase, dy, rows, d.Units)
	d.b.MatMul(true, false, 1, dy2, s.x2, 0, d.weight.Grad)
	d.b.BiasGrad(dy2, d.bias.Grad)
	return dy2
}

// Params implements Layer: the weight, then the bias.
func (d *TimeDense) Params() []*Param {
	if d.weight == nil {
		return nil
	}
	return []*Param{d.weight, d.bias}
}

// String returns e.g. "TimeDense(96)".
func (d *TimeDense) String() string { return fmt.Sprintf("TimeDense(%d)", d.Units) }
