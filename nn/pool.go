package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// MaxPool2D takes the maximum of each Size×Size window of per-sample input
// [C, H, W], moving the window by Stride (0 means Size) over the input
// padded by Pad on each side (padding never wins). The output is
// [C, OH, OW] with OH = ⌊(H + 2·Pad − Size)/Stride⌋ + 1 and OW likewise.
// The gradient flows to the element each window chose.
type MaxPool2D struct {
	Size   int // window side, ≥ 1
	Stride int // 0 means Size
	Pad    int // 0 ≤ Pad < Size

	pool pool2D
	// bias, when set, is the bias of the Conv2D before this layer, which
	// this layer adds after pooling and whose gradient it computes (see
	// fuseConvPools).
	bias *Param
}

// Build implements Layer.
func (p *MaxPool2D) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	p.bias = nil
	return p.pool.build(p, b, in, p.Size, p.Stride, p.Pad, true)
}

// Forward implements Layer.
func (p *MaxPool2D) Forward(x backend.Tensor, train bool) backend.Tensor {
	c := p.pool.forward(p, x)
	p.pool.b.MaxPool(x, c.y, c.argmax, c.geom)
	if p.bias != nil {
		p.pool.b.AddBias(c.y, p.bias.Value)
	}
	return c.y
}

// Backward implements Layer.
func (p *MaxPool2D) Backward(dy backend.Tensor) backend.Tensor {
	c := p.pool.backward(p, dy)
	if p.bias != nil {
		p.pool.b.BiasGrad(dy, p.bias.Grad)
	}
	p.pool.b.MaxPoolBackward(dy, c.argmax, c.dx, c.geom)
	return c.dx
}

// fuseConvPools is where a Conv2D followed by a MaxPool2D in a chain
// (Sequential, Residual, a Concat branch) is found, with a ReLU between
// them or right after the pool or neither. On a backend that implements
// backend.ConvPooler, it returns the units (convPool) that run each such
// group of layers as one op, by the Conv2D's index; a unit after a ReLU
// layer of its own (not the last of another unit) also runs that ReLU's
// backward pass (convPool.reluX). On any other backend, it moves
// the bias of every Conv2D directly followed by a MaxPool2D to after the
// pooling: the pool adds it to its output and computes its gradient from
// its own output gradient, a quarter of the elements for 2×2 windows. The
// results are the same: rounding is monotonic, so max_i(x_i) + b =
// max_i(x_i + b) exactly (a window whose maximum ties only after adding b
// may route its gradient to another of the tied elements), and each
// window's gradient goes to exactly one element, so the sums of the bias
// gradient are the same terms in another order.
func fuseConvPools(b backend.Backend, layers []Layer) map[int]*convPool {
	_, fused := b.(backend.ConvPooler)
	var cps map[int]*convPool
	for i := 0; i+1 < len(layers); i++ {
		c, ok := layers[i].(*Conv2D)
		if !ok {
			continue
		}
		j, relu := i+1, false
		if fused && isReLU(layers[j]) && j+1 < len(layers) {
			if _, ok := layers[j+1].(*MaxPool2D); ok {
				j, relu = j+1, true
			}
		}
		p, ok := layers[j].(*MaxPool2D)
		if !ok {
			continue
		}
		if !fused {
			if c.bias != nil {
				c.biasLater = true
				p.bias = c.bias
			}
			continue
		}
		if !relu && j+1 < len(layers) && isReLU(layers[j+1]) {
			j, relu = j+1, true
		}
		if cps == nil {
			cps = map[int]*convPool{}
		}
		// The ReLU before the Conv2D, unless it ends the unit before.
		reluX := i > 0 && isReLU(layers[i-1]) && (cps[i-3] == nil || cps[i-3].span != 3)
		cps[i] = &convPool{conv: c, pool: p, relu: relu, span: j - i + 1, reluX: reluX}
		i = j
	}
	return cps
}

// Params implements Layer; pooling has none.
func (p *MaxPool2D) Params() []*Param { return nil }

// String describes the layer, e.g. "MaxPool2D(2×2, stride 2, pad 0)".
func (p *MaxPool2D) String() string { return poolString("MaxPool2D", p.Size, p.Stride, p.Pad) }

// AvgPool2D takes the mean of each Size×Size window of per-sample input
// [C, H, W], moving the window by Stride (0 means Size) over the input
// padded by Pad on each side. Padding counts as zeros and every window sum
// is divided by Size² (PyTorch's count_include_pad=True). The output shape
// is that of MaxPool2D.
type AvgPool2D struct {
	Size   int // window side, ≥ 1
	Stride int // 0 means Size
	Pad    int // 0 ≤ Pad < Size

	pool pool2D
}

// Build implements Layer.
func (p *AvgPool2D) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	return p.pool.build(p, b, in, p.Size, p.Stride, p.Pad, false)
}

// Forward implements Layer.
func (p *AvgPool2D) Forward(x backend.Tensor, train bool) backend.Tensor {
	c := p.pool.forward(p, x)
	p.pool.b.AvgPool(x, c.y, c.geom)
	return c.y
}

// Backward implements Layer.
func (p *AvgPool2D) Backward(dy backend.Tensor) backend.Tensor {
	c := p.pool.backward(p, dy)
	p.pool.b.AvgPoolBackward(dy, c.dx, c.geom)
	return c.dx
}

// Params implements Layer; pooling has none.
func (p *AvgPool2D) Params() []*Param { return nil }

// String describes the layer, e.g. "AvgPool2D(2×2, stride 2, pad 0)".
func (p *AvgPool2D) String() string { return poolString("AvgPool2D", p.Size, p.Stride, p.Pad) }

// pool2D is the state both pooling layers share: the backend, the input
// shape, the geometry and the buffers per batch size.
type pool2D struct {
	b          backend.Backend
	in         []int
	geom       backend.PoolGeom // with N = 1; forward sets the batch size
	withArgmax bool             // keep an arg-max tensor (max pooling)
	cur        *poolBufs
	bufs       BatchCache[poolBufs]
}

// poolBufs are a pooling layer's buffers for one batch size.
type poolBufs struct {
	ioBufs
	geom   backend.PoolGeom
	argmax backend.Tensor // max pooling only
}

// build validates the layer l's configuration against per-sample input in,
// resets the state for backend b and returns the output shape.
func (p *pool2D) build(l Layer, b backend.Backend, in []int, size, stride, pad int, withArgmax bool) ([]int, error) {
	g, out, err := poolGeom(l, size, stride, pad, in)
	if err != nil {
		return nil, err
	}
	*p = pool2D{b: b, in: append([]int(nil), in...), geom: g, withArgmax: withArgmax}
	return out, nil
}

// forward checks x against the input shape and returns the buffers of its
// batch size, allocating them on first use.
func (p *pool2D) forward(l Layer, x backend.Tensor) *poolBufs {
	return p.buffers(CheckInput(l, x, p.in))
}

// buffers makes the buffers of batch size n the current ones, allocating
// them on first use, and returns them.
func (p *pool2D) buffers(n int) *poolBufs {
	p.cur = p.bufs.Get(n, func(n int) *poolBufs {
		g := p.geom
		g.N = n
		c := &poolBufs{ioBufs: ioBufs{y: p.b.Alloc(n, g.C, g.OutH(), g.OutW())}, geom: g}
		if p.withArgmax {
			c.argmax = p.b.Alloc(n, g.C, g.OutH(), g.OutW())
		}
		return c
	})
	return p.cur
}

// backward checks dy against the last forward's output and returns its
// buffers with dx allocated.
func (p *pool2D) backward(l Layer, dy backend.Tensor) *poolBufs {
	if p.cur == nil {
		panicNoForward(l)
	}
	CheckGrad(l, dy, p.cur.y)
	if p.cur.dx == nil {
		p.cur.dx = p.b.Alloc(withBatch(p.cur.geom.N, p.in)...)
	}
	return p.cur
}

// poolGeom validates a pooling layer l's configuration against per-sample
// input in and returns its geometry (with N = 1) and output shape.
func poolGeom(l Layer, size, stride, pad int, in []int) (backend.PoolGeom, []int, error) {
	switch {
	case size < 1:
		return backend.PoolGeom{}, nil, fmt.Errorf("%v: Size must be at least 1", l)
	case stride < 0:
		return backend.PoolGeom{}, nil, fmt.Errorf("%v: Stride must not be negative", l)
	case pad < 0 || pad >= size:
		return backend.PoolGeom{}, nil, fmt.Errorf("%v: Pad must be at least 0 and below Size", l)
	}
	if err := CheckShape(in); err != nil {
		return backend.PoolGeom{}, nil, fmt.Errorf("%v: %w", l, err)
	}
	if len(in) != 3 {
		return backend.PoolGeom{}, nil, fmt.Errorf("%v: input shape %v, want [C H W]", l, in)
	}
	if stride == 0 {
		stride = size
	}
	g := backend.PoolGeom{
		N: 1, C: in[0], H: in[1], W: in[2],
		KH: size, KW: size,
		StrideH: stride, StrideW: stride,
		PadH: pad, PadW: pad,
	}
	if g.OutH() < 1 || g.OutW() < 1 {
		return backend.PoolGeom{}, nil, fmt.Errorf("%v: window %d×%d does not fit input %v padded by %d", l, size, size, in, pad)
	}
	return g, []int{g.C, g.OutH(), g.OutW()}, nil
}

// poolString describes a pooling layer, e.g. "MaxPool2D(2×2, stride 2, pad 0)".
func poolString(name string, size, stride, pad int) string {
	if stride == 0 {
		stride = size
	}
	return fmt.Sprintf("%s(%d×%d, stride %d, pad %d)", name, size, size, stride, pad)
}
