package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Layer is one stage of a model. Shapes passed to Build exclude the batch
// dimension; tensors passed to Forward and Backward include it.
//
// A Layer value serves one place in one model: building it again rebinds
// it and drops its previous parameters, and NewSequential refuses a model
// that holds the same layer value twice. Writing a layer of one's own
// takes the pieces the built-in layers use: NewParam and NewBuffer for its
// tensors, a BatchCache for its per-batch-size buffers, CheckShape,
// CheckInput and CheckGrad for its arguments, and optionally Stateful,
// Counted, Container and ParamGrader (see the package documentation and
// the LayerNorm-style example).
type Layer interface {
	// Build binds the layer to b for per-sample input shape in, validates
	// it (an error naming the layer and shapes when it does not fit),
	// creates and initialises new parameters from rng, and returns the
	// per-sample output shape.
	Build(b backend.Backend, in []int, rng *rand.Rand) (out []int, err error)
	// Forward computes the output for a batch x [N, in...]. The returned
	// tensor belongs to the layer and stays valid until the next Forward.
	// train selects training behaviour for the layers that differ:
	// Dropout drops values and BatchNorm uses and updates batch statistics
	// only in training. Forward must not modify x.
	Forward(x backend.Tensor, train bool) backend.Tensor
	// Backward takes dy = ∂L/∂y for the last Forward, stores parameter
	// gradients in Params' Grad (overwriting), and returns ∂L/∂x (owned by
	// the layer). Backward must not modify dy.
	Backward(dy backend.Tensor) backend.Tensor
	// Params returns the trainable parameters (nil for none), for a
	// container those of the layers inside it too.
	Params() []*Param
	// String describes the layer, e.g. "Conv2D(32, 3×3, stride 1, pad 0)".
	String() string
}

// Stateful is implemented by layers that keep tensors beyond their
// parameters that checkpoints must save.
type Stateful interface {
	// Buffers returns the layer's non-trainable tensors (Grad nil), named
	// like Params ("running_mean", "running_var"); a container returns
	// those of the layers inside it too.
	Buffers() []*Param
}

// ParamGrader is implemented by layers that can compute their parameters'
// gradients without their input gradient. A model's Backward calls
// BackwardParams instead of Backward on its first layer with parameters,
// whose input gradient nothing reads (for Dense and Conv2D that saves a
// matrix product or a transposed convolution per step).
type ParamGrader interface {
	// BackwardParams is Backward without ∂L/∂x: it stores the parameter
	// gradients for dy and returns nothing.
	BackwardParams(dy backend.Tensor)
}

// ioBufs are a layer's output y and input gradient dx for one batch size;
// dx is allocated by the first Backward, so that evaluation never pays for it.
type ioBufs struct {
	y, dx backend.Tensor
}

// BatchCache holds a layer's buffers for each batch size it has seen, so
// that the steady state of training allocates no tensors: training uses
// at most a few sizes (the batch size, the last partial batch, the
// evaluation batch). T is the layer's own struct of tensors for one batch
// size. The zero value is an empty cache; a layer resets it in Build
// (the old tensors stay allocated until the backend closes).
type BatchCache[T any] map[int]*T

// Get returns the buffers for batch size n, making them with alloc the
// first time n is seen.
func (c *BatchCache[T]) Get(n int, alloc func(n int) *T) *T {
	if *c == nil {
		*c = make(BatchCache[T])
	}
	bufs, ok := (*c)[n]
	if !ok {
		bufs = alloc(n)
		(*c)[n] = bufs
	}
	return bufs
}

// withBatch returns the shape [n, s...] in a new slice.
func withBatch(n int, s []int) []int {
	return append([]int{n}, s...)
}

// shapeLen returns the product of the dimensions of s.
func shapeLen(s []int) int {
	return backend.Shape(s).Len()
}

// CheckShape returns an error unless the per-sample shape s has at least
// one dimension and every dimension is positive. Build calls it first.
func CheckShape(s []int) error {
	if len(s) == 0 {
		return fmt.Errorf("empty input shape")
	}
	for _, d := range s {
		if d < 1 {
			return fmt.Errorf("input shape %v has a dimension below 1", s)
		}
	}
	return nil
}

// CheckInput returns the batch size of x after checking that x is
// [N, in...], in being the per-sample input shape given to l's Build. It
// panics with a message naming l otherwise, or when l was never built (in
// is nil). Forward calls it first.
func CheckInput(l Layer, x backend.Tensor, in []int) int {
	if in == nil {
		panic(fmt.Sprintf("nn: %v: Forward before Build", l))
	}
	s := x.Shape()
	if len(s) != len(in)+1 || !backend.Shape(s[1:]).Equal(in) {
		panic(fmt.Sprintf("nn: %v: Forward input shape %v, want [N %s]", l, s, dims(in)))
	}
	return s[0]
}

// CheckGrad panics with a message naming l unless dy has the shape of y,
// the output of l's last Forward; y nil means there was no Forward.
// Backward calls it first.
func CheckGrad(l Layer, dy, y backend.Tensor) {
	if y == nil {
		panicNoForward(l)
	}
	if !dy.Shape().Equal(y.Shape()) {
		panic(fmt.Sprintf("nn: %v: Backward gradient shape %v, want the output shape %v", l, dy.Shape(), y.Shape()))
	}
}

// panicNoForward panics with a message naming the layer, for a Backward
// that comes before any Forward.
func panicNoForward(l Layer) {
	panic(fmt.Sprintf("nn: %v: Backward before Forward", l))
}

// dims formats the dimensions of s separated by spaces, without brackets.
func dims(s []int) string {
	str := fmt.Sprint(s)
	return str[1 : len(str)-1]
}
