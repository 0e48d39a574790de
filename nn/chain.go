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
	// pools runs each Conv2D that a MaxPool2D follows together with it in
	// chunks of images, by the Conv2D's index (see fuseConvPools).
	pools map[int]*convPool
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
	c.pools = fuseConvPools(b, c.layers)
	return shape, nil
}

// forward runs the layers on x.
func (c *chain) forward(x backend.Tensor, train bool) backend.Tensor {
	for i := 0; i < len(c.layers); i++ {
		if cp := c.pools[i]; cp != nil {
			if y, ok := cp.forward(x); ok {
				x = y
				i++ // the pool ran too
				continue
			}
		}
		x = c.layers[i].Forward(x, train)
	}
	return x
}

// activePair returns the convPool of layers i and i+1 when the last
// forward ran them in chunks, else nil.
func (c *chain) activePair(i int) *convPool {
	if cp := c.pools[i]; cp != nil && cp.active {
		return cp
	}
	return nil
}

// backward propagates dy through every layer and returns ∂L/∂x.
func (c *chain) backward(dy backend.Tensor) backend.Tensor {
	for i := len(c.layers) - 1; i >= 0; i-- {
		if cp := c.activePair(i - 1); cp != nil {
			dy = cp.backward(dy, true)
			i-- // the convolution ran too
			continue
		}
		dy = c.layers[i].Backward(dy)
	}
	return dy
}

// backwardParams propagates dy back to the first layer with parameters
// and computes the parameter gradients only, skipping that layer's input
// gradient where it is a ParamGrader.
func (c *chain) backwardParams(dy backend.Tensor) {
	first := c.first
	for i := len(c.layers) - 1; i >= first; i-- {
		switch cp := c.activePair(i - 1); {
		case cp != nil && i-1 >= first:
			dy = cp.backward(dy, i-1 > first)
			i-- // the convolution ran too
		case i > first:
			dy = c.layers[i].Backward(dy)
		default:
			if l, ok := c.layers[first].(ParamGrader); ok {
				l.BackwardParams(dy)
			} else {
				c.layers[first].Backward(dy)
			}
		}
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
