package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// GlobalAvgPool2D averages each channel of per-sample input [C, H, W]
// over its H·W positions, giving [C]:
//
//	y[n, c] = (1/(H·W))·Σ_{h,w} x[n, c, h, w]
//
// PyTorch's nn.AdaptiveAvgPool2d(1) followed by nn.Flatten(), the head of
// a residual network before its classifier. The gradient spreads each dy
// evenly over its channel.
type GlobalAvgPool2D struct {
	b    backend.Backend
	in   []int
	geom backend.PoolGeom // with N = 1; Forward sets the batch size
	cur  *gapBufs
	bufs BatchCache[gapBufs]
}

// gapBufs are a GlobalAvgPool2D layer's buffers for one batch size: y and
// dy as [N, C, 1, 1] for the pooling ops.
type gapBufs struct {
	ioBufs
	geom    backend.PoolGeom
	y4, dy4 backend.Tensor
}

// Build implements Layer.
func (p *GlobalAvgPool2D) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", p, err)
	}
	if len(in) != 3 {
		return nil, fmt.Errorf("%v: input shape %v, want [C H W]", p, in)
	}
	*p = GlobalAvgPool2D{b: b, in: append([]int(nil), in...), geom: backend.PoolGeom{
		N: 1, C: in[0], H: in[1], W: in[2], KH: in[1], KW: in[2], StrideH: 1, StrideW: 1,
	}}
	return []int{in[0]}, nil
}

// Forward implements Layer.
func (p *GlobalAvgPool2D) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(p, x, p.in)
	p.cur = p.bufs.Get(n, func(n int) *gapBufs {
		g := p.geom
		g.N = n
		return &gapBufs{ioBufs: ioBufs{y: p.b.Alloc(n, g.C)}, geom: g, y4: p.b.Alloc(n, g.C, 1, 1)}
	})
	p.b.AvgPool(x, p.cur.y4, p.cur.geom)
	p.b.Copy(p.cur.y, p.cur.y4)
	return p.cur.y
}

// Backward implements Layer.
func (p *GlobalAvgPool2D) Backward(dy backend.Tensor) backend.Tensor {
	var y backend.Tensor
	if p.cur != nil {
		y = p.cur.y
	}
	CheckGrad(p, dy, y)
	c := p.cur
	if c.dx == nil {
		c.dx = p.b.Alloc(withBatch(c.geom.N, p.in)...)
		c.dy4 = p.b.Alloc(c.geom.N, c.geom.C, 1, 1)
	}
	p.b.Copy(c.dy4, dy)
	p.b.AvgPoolBackward(c.dy4, c.dx, c.geom)
	return c.dx
}

// Params implements Layer; pooling has none.
func (p *GlobalAvgPool2D) Params() []*Param { return nil }

// String returns "GlobalAvgPool2D".
func (p *GlobalAvgPool2D) String() string { return "GlobalAvgPool2D" }
