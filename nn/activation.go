package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Activation applies an elementwise activation function (see
// backend.ActKind for the formulas) to per-sample input of any shape; the
// output has the same shape.
type Activation struct {
	Act backend.Activation

	in   []int
	b    backend.Backend
	x    backend.Tensor // input of the last Forward
	cur  *ioBufs
	bufs BatchCache[ioBufs]
	// fused holds, per batch size, the gradient buffer of the passes
	// whose output applied recorded (y is the layer before's).
	fused BatchCache[ioBufs]
}

// ReLU returns an Activation layer computing max(0, x).
func ReLU() *Activation { return &Activation{Act: backend.Activation{Kind: backend.ReLU}} }

// Sigmoid returns an Activation layer computing 1/(1+e^−x).
func Sigmoid() *Activation { return &Activation{Act: backend.Activation{Kind: backend.Sigmoid}} }

// Tanh returns an Activation layer computing tanh x.
func Tanh() *Activation { return &Activation{Act: backend.Activation{Kind: backend.Tanh}} }

// LeakyReLU returns an Activation layer computing x for x > 0 and alpha·x
// otherwise.
func LeakyReLU(alpha float32) *Activation {
	return &Activation{Act: backend.Activation{Kind: backend.LeakyReLU, Alpha: alpha}}
}

// ELU returns an Activation layer computing x for x > 0 and
// alpha·(e^x − 1) otherwise.
func ELU(alpha float32) *Activation {
	return &Activation{Act: backend.Activation{Kind: backend.ELU, Alpha: alpha}}
}

// Softplus returns an Activation layer computing log(1 + e^x).
func Softplus() *Activation { return &Activation{Act: backend.Activation{Kind: backend.Softplus}} }

// Identity returns an Activation layer passing its input through unchanged.
func Identity() *Activation { return &Activation{Act: backend.Activation{Kind: backend.Identity}} }

// Build implements Layer.
func (a *Activation) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if a.Act.Kind < backend.Identity || a.Act.Kind > backend.Softplus {
		return nil, fmt.Errorf("%v: unknown activation kind", a)
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", a, err)
	}
	*a = Activation{Act: a.Act, b: b, in: append([]int(nil), in...)}
	return append([]int(nil), in...), nil
}

// Forward implements Layer.
func (a *Activation) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(a, x, a.in)
	a.cur = a.bufs.Get(n, func(n int) *ioBufs {
		return &ioBufs{y: a.b.Alloc(withBatch(n, a.in)...)}
	})
	a.x = x
	a.b.Activate(a.Act, x, a.cur.y)
	return a.cur.y
}

// applied records y, which the layer before has already passed through
// this ReLU in place (see convReLU), as the output of a forward pass of
// its own: the backward pass reads f′ from y, which is positive exactly
// where x is.
func (a *Activation) applied(y backend.Tensor) backend.Tensor {
	n := CheckInput(a, y, a.in)
	a.cur = a.fused.Get(n, func(int) *ioBufs { return &ioBufs{} })
	a.cur.y, a.x = y, y
	return y
}

// Backward implements Layer: dx = dy·f′(x).
func (a *Activation) Backward(dy backend.Tensor) backend.Tensor {
	if a.cur == nil {
		panicNoForward(a)
	}
	CheckGrad(a, dy, a.cur.y)
	if a.cur.dx == nil {
		a.cur.dx = a.b.Alloc(withBatch(dy.Shape()[0], a.in)...)
	}
	a.b.ActivateBackward(a.Act, a.x, a.cur.y, dy, a.cur.dx)
	return a.cur.dx
}

// Params implements Layer; activations have none.
func (a *Activation) Params() []*Param { return nil }

// String names the activation, with α where it has one: "ReLU",
// "LeakyReLU(0.01)", "ELU(1)".
func (a *Activation) String() string {
	names := [...]string{"Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "Softplus"}
	k := a.Act.Kind
	if k < 0 || int(k) >= len(names) {
		return fmt.Sprintf("Activation(%v)", k)
	}
	if k == backend.LeakyReLU || k == backend.ELU {
		return fmt.Sprintf("%s(%g)", names[k], a.Act.Alpha)
	}
	return names[k]
}
