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
	// pools runs each Conv2D that a MaxPool2D follows, with a ReLU next to
	// the pool, as one op, by the Conv2D's index (see fuseConvPools).
	pools map[int]*convPool
	// poolEnd maps the index of the last layer of each of pools' units to
	// the unit, for the backward passes.
	poolEnd map[int]*convPool
	// relus runs each other Conv2D that a ReLU follows, with the ReLU, as
	// one op in the forward pass, by the Conv2D's index (see
	// fuseConvReLUs).
	relus map[int]*convReLU
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
	c.relus = fuseConvReLUs(b, c.layers, c.pools)
	c.poolEnd = nil
	for i, cp := range c.pools {
		if c.poolEnd == nil {
			c.poolEnd = map[int]*convPool{}
		}
		c.poolEnd[i+cp.span-1] = cp
	}
	return shape, nil
}

// forward runs the layers on x.
func (c *chain) forward(x backend.Tensor, train bool) backend.Tensor {
	for i := 0; i < len(c.layers); i++ {
		if cp := c.pools[i]; cp != nil {
			x = cp.forward(x)
			i += cp.span - 1 // the unit's other layers ran too
			continue
		}
		if u := c.relus[i]; u != nil {
			x = u.forward(x)
			i++ // the ReLU ran too
			continue
		}
		x = c.layers[i].Forward(x, train)
	}
	return x
}

// backward propagates dy through every layer and returns ∂L/∂x.
func (c *chain) backward(dy backend.Tensor) backend.Tensor {
	for i := len(c.layers) - 1; i >= 0; i-- {
		if cp := c.poolEnd[i]; cp != nil {
			dy = cp.backward(dy, true)
			i -= cp.span - 1 // the unit's other layers ran too
			if cp.reluX {
				i-- // and the ReLU before it
			}
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
		switch cp := c.poolEnd[i]; {
		case cp != nil && i-cp.span+1 >= first:
			dy = cp.backward(dy, i-cp.span+1 > first)
			i -= cp.span - 1 // the unit's other layers ran too
			if cp.reluX {
				i-- // and the ReLU before it
			}
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
