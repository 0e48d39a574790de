package nn

import (
	"errors"
	"fmt"
	"math/rand"
	"strconv"

	"github.com/myelin-go/myelin/backend"
)

// Concat runs several branches on the same input and concatenates their
// outputs along the first per-sample dimension (the channels of [C, H, W],
// the features of [F]), as torch.cat(dim=1) of the branches' outputs in an
// Inception block:
//
//	y = [B₁(x), B₂(x), …]
//
// Each branch applies its layers in order; an empty branch passes x
// through (a DenseNet-style concatenation of the input). The branches'
// outputs must agree in every dimension but the first. Backward splits dy
// into the branches' parts and sums their input gradients.
//
// Concat is a Container: layer j of branch k is named "branches.<k>.<j>",
// as in a PyTorch module holding an nn.ModuleList of nn.Sequential named
// branches. It needs a backend that implements backend.Viewer
// (CopyRegion).
type Concat struct {
	Branches [][]Layer // at least one branch

	b      backend.Backend
	in     []int
	chains []chain
	widths []int // the first per-sample dimension of each branch's output
	rest   int   // the product of the other output dimensions
	out    []int
	cur    *concatBufs
	bufs   BatchCache[concatBufs]
}

// concatBufs are a Concat layer's buffers for one batch size: its output
// and input gradient and the branches' parts of dy.
type concatBufs struct {
	ioBufs
	dys []backend.Tensor
}

// Build implements Layer.
func (c *Concat) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	if len(c.Branches) == 0 {
		return nil, errors.New("Concat: no Branches")
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", c, err)
	}
	if _, ok := b.(backend.Viewer); !ok {
		return nil, fmt.Errorf("%v: backend %s does not implement backend.Viewer, whose CopyRegion concatenates", c, b.Name())
	}
	*c = Concat{Branches: c.Branches, b: b, in: append([]int(nil), in...)}
	var outs [][]int
	for k, layers := range c.Branches {
		c.chains = append(c.chains, chain{layers: layers})
		out, err := c.chains[k].build(b, in, rng, "branches."+strconv.Itoa(k)+".")
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
	}
	c.out = append([]int{0}, outs[0][1:]...)
	for k, out := range outs {
		if len(out) != len(c.out) || !backend.Shape(out[1:]).Equal(c.out[1:]) {
			return nil, fmt.Errorf("%v: branch 0 gives %v and branch %d gives %v on input %v: want the same shape but for the first dimension", c, outs[0], k, out, in)
		}
		c.widths = append(c.widths, out[0])
		c.out[0] += out[0]
	}
	c.rest = shapeLen(c.out[1:])
	return append([]int(nil), c.out...), nil
}

// Forward implements Layer.
func (c *Concat) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(c, x, c.in)
	c.cur = c.bufs.Get(n, func(n int) *concatBufs {
		return &concatBufs{ioBufs: ioBufs{y: c.b.Alloc(withBatch(n, c.out)...)}}
	})
	off := 0
	for k := range c.chains {
		c.copy(c.cur.y, off, c.chains[k].forward(x, train), c.widths[k], n, false)
		off += c.widths[k]
	}
	return c.cur.y
}

// copy copies between the whole of part [n, w, rest…] and the slab of
// whole [n, out…] that starts at position off of the first per-sample
// dimension: into whole when toPart is false, out of it otherwise.
func (c *Concat) copy(whole backend.Tensor, off int, part backend.Tensor, w, n int, toPart bool) {
	wr := backend.Region{Offset: off * c.rest, Strides: [4]int{c.out[0] * c.rest, 1}}
	pr := backend.Region{Strides: [4]int{w * c.rest, 1}}
	size := [4]int{n, w * c.rest, 1, 1}
	if toPart {
		backend.CopyRegion(c.b, part, pr, whole, wr, size, false)
	} else {
		backend.CopyRegion(c.b, whole, wr, part, pr, size, false)
	}
}

// split checks dy and copies the branches' parts of it into their buffers.
func (c *Concat) split(dy backend.Tensor) {
	var y backend.Tensor
	if c.cur != nil {
		y = c.cur.y
	}
	CheckGrad(c, dy, y)
	n := dy.Shape()[0]
	if c.cur.dys == nil {
		for _, w := range c.widths {
			c.cur.dys = append(c.cur.dys, c.b.Alloc(withBatch(n, append([]int{w}, c.out[1:]...))...))
		}
	}
	off := 0
	for k, w := range c.widths {
		c.copy(dy, off, c.cur.dys[k], w, n, true)
		off += w
	}
}

// Backward implements Layer: each branch's part of dy goes back through
// it, and ∂L/∂x is the sum of the branches' input gradients.
func (c *Concat) Backward(dy backend.Tensor) backend.Tensor {
	c.split(dy)
	if c.cur.dx == nil {
		c.cur.dx = c.b.Alloc(withBatch(dy.Shape()[0], c.in)...)
	}
	for k := range c.chains {
		dx := c.chains[k].backward(c.cur.dys[k])
		if k == 0 {
			c.b.Copy(c.cur.dx, dx)
		} else {
			c.b.Axpy(1, dx, c.cur.dx)
		}
	}
	return c.cur.dx
}

// BackwardParams implements ParamGrader: the parameter gradients of every
// branch, each stopping at its first layer with parameters.
func (c *Concat) BackwardParams(dy backend.Tensor) {
	c.split(dy)
	for k := range c.chains {
		c.chains[k].backwardParams(c.cur.dys[k])
	}
}

// Params implements Layer: those of the branches in order.
func (c *Concat) Params() []*Param {
	var ps []*Param
	for k := range c.chains {
		ps = append(ps, c.chains[k].params()...)
	}
	return ps
}

// Buffers implements Stateful: those of the branches in order.
func (c *Concat) Buffers() []*Param {
	var ps []*Param
	for k := range c.chains {
		ps = append(ps, c.chains[k].buffers()...)
	}
	return ps
}

// Children implements Container: layer j of branch k is "branches.<k>.<j>".
func (c *Concat) Children() []Child {
	var ch []Child
	for k, layers := range c.Branches {
		ch = append(ch, children("branches."+strconv.Itoa(k)+".", layers)...)
	}
	return ch
}

// childShape implements childShaper.
func (c *Concat) childShape(i int) []int {
	for k := range c.chains {
		if i < len(c.chains[k].shapes) {
			return c.chains[k].shapes[i]
		}
		i -= len(c.chains[k].shapes)
	}
	return nil
}

// String describes the layer, e.g. "Concat(3 branches)".
func (c *Concat) String() string { return fmt.Sprintf("Concat(%d branches)", len(c.Branches)) }
