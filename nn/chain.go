package nn

import (
	"fmt"
	"math/rand"
	"strconv"

	"github.com/myelin-go/myelin/backend"
)

// chain is a list of layers applied one after another: the body of
// Sequential, Residual and each branch of Concat. An empty chain is the
// identity.
type chain struct {
	layers []Layer
	shapes [][]int // per-sample output shape of each layer
	// first is the index of the first layer with parameters (len(layers)
	// when none has any): backwardParams stops there.
	first int
}

// build builds the layers in order for per-sample input shape in and
// returns the output shape. Errors name the layer's index (after prefix,
// e.g. "body.") and the shape it received.
func (c *chain) build(b backend.Backend, in []int, rng *rand.Rand, prefix string) ([]int, error) {
	c.shapes = c.shapes[:0]
	c.first = len(c.layers)
	shape := in
	for i, l := range c.layers {
		out, err := l.Build(b, shape, rng)
		if err != nil {
			return nil, fmt.Errorf("layer %s%d (%v) on input %v: %w", prefix, i, l, shape, err)
		}
		if len(l.Params()) > 0 && c.first == len(c.layers) {
			c.first = i
		}
		c.shapes = append(c.shapes, out)
		shape = out
	}
	return shape, nil
}

// forward runs the layers on x.
func (c *chain) forward(x backend.Tensor, train bool) backend.Tensor {
	for _, l := range c.layers {
		x = l.Forward(x, train)
	}
	return x
}

// backward propagates dy through every layer and returns ∂L/∂x.
func (c *chain) backward(dy backend.Tensor) backend.Tensor {
	for i := len(c.layers) - 1; i >= 0; i-- {
		dy = c.layers[i].Backward(dy)
	}
	return dy
}

// backwardParams propagates dy back to the first layer with parameters
// and computes the parameter gradients only, skipping that layer's input
// gradient where it is a ParamGrader.
func (c *chain) backwardParams(dy backend.Tensor) {
	if c.first == len(c.layers) {
		return
	}
	for i := len(c.layers) - 1; i > c.first; i-- {
		dy = c.layers[i].Backward(dy)
	}
	if l, ok := c.layers[c.first].(ParamGrader); ok {
		l.BackwardParams(dy)
	} else {
		c.layers[c.first].Backward(dy)
	}
}

// params returns the layers' parameters in order.
func (c *chain) params() []*Param {
	var ps []*Param
	for _, l := range c.layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// buffers returns the buffers of the Stateful layers in order.
func (c *chain) buffers() []*Param {
	var ps []*Param
	for _, l := range c.layers {
		if s, ok := l.(Stateful); ok {
			ps = append(ps, s.Buffers()...)
		}
	}
	return ps
}

// children returns layers as Children named prefix + their index.
func children(prefix string, layers []Layer) []Child {
	ch := make([]Child, len(layers))
	for i, l := range layers {
		ch[i] = Child{Name: prefix + strconv.Itoa(i), Layer: l}
	}
	return ch
}
