package nn

import "github.com/myelin-go/myelin/backend"

// convPool runs a Conv2D, the MaxPool2D after it and a ReLU just before
// or just after the pool, all in a chain, as one backend.ConvPool on a
// backend that implements backend.ConvPooler: the convolution's output
// then stays in the backend's cache instead of going through memory for
// the bias, the ReLU and the pooling, each pass of its own. The ReLU and
// the bias commute with the maximum, so the outputs are those of the
// layers run apart, with the ReLU anywhere in the chain of three; the
// gradients differ by the order of their sums (and, where a window's
// maximum ties only after adding the bias, by which tied element gets the
// gradient).
type convPool struct {
	conv *Conv2D
	pool *MaxPool2D
	relu bool // a ReLU layer before or after the pool belongs to the unit
	span int  // layers of the chain the unit stands for: 2, or 3 with the ReLU
	// reluX: the layer before the Conv2D is a ReLU whose backward pass the
	// unit's runs (backend.ConvPoolBackward's reluX), so that the chain
	// skips it there.
	reluX bool
	// x is the input and n the batch size of the last forward.
	x  backend.Tensor
	n  int
	dx BatchCache[backend.Tensor] // input gradients per batch size
}

// isReLU reports whether l is a ReLU activation layer.
func isReLU(l Layer) bool {
	a, ok := l.(*Activation)
	return ok && a.Act.Kind == backend.ReLU
}

// geoms returns the convolution's and the pooling's geometries for batch
// size n.
func (cp *convPool) geoms(n int) (backend.ConvGeom, backend.PoolGeom) {
	cg := cp.conv.geom
	cg.N = n
	pg := cp.pool.pool.buffers(n).geom
	return cg, pg
}

// forward runs the unit on x [N, C, H, W] and returns its output, the
// pool's output buffer.
func (cp *convPool) forward(x backend.Tensor) backend.Tensor {
	c := cp.conv
	n := CheckInput(c, x, c.in)
	cp.x, cp.n = x, n
	cg, pg := cp.geoms(n)
	pb := cp.pool.pool.cur
	var bias backend.Tensor
	if c.bias != nil {
		bias = c.bias.Value
	}
	backend.ConvPool(c.b, x, c.weight.Value, bias, pb.y, pb.argmax, cg, pg, cp.relu)
	return pb.y
}

// backward takes dy, the gradient of the output of the last forward,
// writes the convolution's parameter gradients and returns the gradient
// of its input when withDx is set (else nil): with reluX, of the input of
// the ReLU before the unit.
func (cp *convPool) backward(dy backend.Tensor, withDx bool) backend.Tensor {
	c, p := cp.conv, cp.pool
	if cp.x == nil {
		panicNoForward(c)
	}
	pb := p.pool.cur
	CheckGrad(p, dy, pb.y)
	b := c.b
	var dx, db backend.Tensor
	if withDx {
		dx = *cp.dx.Get(cp.n, func(n int) *backend.Tensor {
			t := b.Alloc(withBatch(n, c.in)...)
			return &t
		})
	}
	if c.bias != nil {
		db = c.bias.Grad
	}
	cg, pg := c.geom, pb.geom
	cg.N = cp.n
	backend.ConvPoolBackward(b, cp.x, c.weight.Value, pb.y, pb.argmax, dy, dx, c.weight.Grad, db, cg, pg, cp.relu, cp.reluX)
	return dx
}
