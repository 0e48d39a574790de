package nn

import "github.com/myelin-go/myelin/backend"

// convPoolChunk is the number of images a convPool runs through its
// convolution and pooling at a time. The fast model's first convolution
// makes 55 KB of output per image; in chunks of 16 to 64 images the
// output stays in cache between the two ops (1 MiB of L2 per core here).
// A training step of that model at batch 256 took, against 28.3 ms whole,
// 24.9 ms in chunks of 16 or 32 and 25.6 ms in chunks of 64 on one thread,
// and against 14.4 ms whole 13.5, 13.4 and 13.1 ms on two threads, where
// each thread gets half a chunk. The chunk does not depend on the number
// of threads, so that results do not either.
const convPoolChunk = 64

// convPool runs a Conv2D and the MaxPool2D after it in a chain over a
// batch in chunks of convPoolChunk images, on the CPU backend: the
// convolution's output of a chunk goes into a chunk-sized buffer that the
// pooling reads while it is still in cache, instead of a batch-sized one
// written and read through memory; the backward pass likewise routes the
// pooled gradient of a chunk into a chunk-sized buffer that the filter
// and data gradients read at once, and sums the chunks' filter gradients.
// The outputs are those of the two layers run apart; the weight gradient
// differs by the order of its sums. The convolution's bias, if any, is the
// pool's to add (fuseConvPools moves it there for every such pair).
type convPool struct {
	conv *Conv2D
	pool *MaxPool2D
	vw   backend.Viewer
	// active: the last Forward ran in chunks, so Backward must too.
	active bool
	n      int // batch size of the last chunked Forward
	// yc is a chunk of the convolution's output, and in the backward pass
	// of its gradient; dwt a chunk's weight gradient.
	yc, dwt backend.Tensor
	// Views re-aimed at each chunk: of the input, the pooled output and
	// its arg-max, the pooled gradient, the input gradient and yc.
	xv, pyv, pav, dpv, dxv, ycv backend.Tensor
	dx                          BatchCache[backend.Tensor] // input gradients per batch size
}

// newConvPool returns the chunked runner of c and p on b, or nil when b
// is not the CPU backend or has no views. Chunks trade more, smaller ops
// for cache locality: a good trade on the CPU, but on a GPU they would
// only multiply the kernel launches.
func newConvPool(b backend.Backend, c *Conv2D, p *MaxPool2D) *convPool {
	vw, ok := b.(backend.Viewer)
	if !ok || b.Name() != "cpu" {
		return nil
	}
	return &convPool{conv: c, pool: p, vw: vw}
}

// view re-aims v (nil the first time) at rows [i, j) of t and returns it.
func (cp *convPool) view(v, t backend.Tensor, i, j int) backend.Tensor {
	if v == nil {
		return cp.vw.Slice(t, i, j)
	}
	cp.vw.SliceInto(v, t, i, j)
	return v
}

// forward runs both layers on x [N, C, H, W] and returns the pooled output,
// in chunks when N is above convPoolChunk; it reports false, doing
// nothing, when N is not.
func (cp *convPool) forward(x backend.Tensor) (backend.Tensor, bool) {
	c, p := cp.conv, cp.pool
	n := CheckInput(c, x, c.in)
	cp.active = n > convPoolChunk
	if !cp.active {
		return nil, false
	}
	b := c.b
	cp.n = n
	c.x = x
	pb := p.pool.buffers(n)
	if cp.yc == nil {
		g := c.geom
		cp.yc = b.Alloc(convPoolChunk, c.Filters, g.OutH(), g.OutW())
	}
	for i := 0; i < n; i += convPoolChunk {
		j := min(i+convPoolChunk, n)
		cg, pg := c.geom, pb.geom
		cg.N, pg.N = j-i, j-i
		cp.xv = cp.view(cp.xv, x, i, j)
		cp.ycv = cp.view(cp.ycv, cp.yc, 0, j-i)
		cp.pyv = cp.view(cp.pyv, pb.y, i, j)
		cp.pav = cp.view(cp.pav, pb.argmax, i, j)
		b.Conv2D(cp.xv, c.weight.Value, cp.ycv, cg)
		b.MaxPool(cp.ycv, cp.pyv, cp.pav, pg)
	}
	if p.bias != nil {
		b.AddBias(pb.y, p.bias.Value)
	}
	return pb.y, true
}

// backward takes dy, the gradient of the pooled output of the last
// (chunked) forward, writes the layers' parameter gradients and returns
// the gradient of the convolution's input when withDx is set (else nil).
func (cp *convPool) backward(dy backend.Tensor, withDx bool) backend.Tensor {
	c, p := cp.conv, cp.pool
	pb := p.pool.cur
	CheckGrad(p, dy, pb.y)
	b := c.b
	if p.bias != nil {
		b.BiasGrad(dy, p.bias.Grad)
	}
	var dx backend.Tensor
	if withDx {
		dx = *cp.dx.Get(cp.n, func(n int) *backend.Tensor {
			t := b.Alloc(withBatch(n, c.in)...)
			return &t
		})
	}
	if cp.dwt == nil {
		cp.dwt = b.Alloc(c.weight.Grad.Shape()...)
	}
	for i := 0; i < cp.n; i += convPoolChunk {
		j := min(i+convPoolChunk, cp.n)
		cg, pg := c.geom, pb.geom
		cg.N, pg.N = j-i, j-i
		cp.xv = cp.view(cp.xv, c.x, i, j)
		cp.ycv = cp.view(cp.ycv, cp.yc, 0, j-i)
		cp.dpv = cp.view(cp.dpv, dy, i, j)
		cp.pav = cp.view(cp.pav, pb.argmax, i, j)
		b.MaxPoolBackward(cp.dpv, cp.pav, cp.ycv, pg)
		if i == 0 {
			b.Conv2DBackwardFilter(cp.xv, cp.ycv, c.weight.Grad, cg)
		} else {
			b.Conv2DBackwardFilter(cp.xv, cp.ycv, cp.dwt, cg)
			b.Axpy(1, cp.dwt, c.weight.Grad)
		}
		if withDx {
			cp.dxv = cp.view(cp.dxv, dx, i, j)
			b.Conv2DBackwardData(cp.ycv, c.weight.Value, cp.dxv, cg)
		}
	}
	return dx
}
