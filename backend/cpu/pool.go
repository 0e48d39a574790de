package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// maxArgmaxPlane is the largest plane whose every index float32 holds
// exactly.
const maxArgmaxPlane = 1 << 24

// poolPlan holds the sizes the pooling ops derive from a geometry.
type poolPlan struct {
	g            backend.PoolGeom
	oh, ow       int // output height and width
	inLen, ohw   int // elements per (n, c) plane of x and of y
	planes, cost int // number of planes, and work per plane
}

// planPool validates the geometry and the shapes of x [N, C, H, W] and of
// every tensor in ys [N, C, OH, OW] (named by yNames) for op.
func planPool(op string, g backend.PoolGeom, x *tensor, xName string, ys []*tensor, yNames ...string) poolPlan {
	check.Geom(op, g.Check())
	p := newPoolPlan(g)
	backend.CheckGeomShape(check, op, xName, x.shape, g, g.N, g.C, g.H, g.W)
	for i, y := range ys {
		backend.CheckGeomShape(check, op, yNames[i], y.shape, g, g.N, g.C, p.oh, p.ow)
	}
	return p
}

// newPoolPlan returns the sizes of a valid geometry g.
func newPoolPlan(g backend.PoolGeom) poolPlan {
	p := poolPlan{g: g, oh: g.OutH(), ow: g.OutW(), inLen: g.H * g.W, planes: g.N * g.C}
	p.ohw = p.oh * p.ow
	p.cost = p.ohw * g.KH * g.KW
	return p
}

// window returns the rows [h0, h1) and columns [w0, w1) of the input plane
// that the window of output (oh, ow) covers, padding left out.
func (p *poolPlan) window(oh, ow int) (h0, h1, w0, w1 int) {
	h0 = oh*p.g.StrideH - p.g.PadH
	w0 = ow*p.g.StrideW - p.g.PadW
	h1 = min(h0+p.g.KH, p.g.H)
	w1 = min(w0+p.g.KW, p.g.W)
	return max(h0, 0), h1, max(w0, 0), w1
}

// poolOp names the pass a poolTask runs.
type poolOp int

const (
	poolMax poolOp = iota
	poolMaxBackward
	poolAvg
	poolAvgBackward
)

// poolTask runs a pooling pass over a range of (n, c) planes.
type poolTask struct {
	k      *vec.Kernels
	p      poolPlan
	op     poolOp
	x, y   []float32 // the input-sized and output-sized tensors
	argmax []float32
}

func (t *poolTask) run(_, lo, hi int) {
	p := &t.p
	for pl := lo; pl < hi; pl++ {
		in := t.x[pl*p.inLen : (pl+1)*p.inLen]
		out := t.y[pl*p.ohw : (pl+1)*p.ohw]
		switch t.op {
		case poolMax:
			arg := t.argmax[pl*p.ohw : (pl+1)*p.ohw]
			if p.is2x2() {
				t.k.MaxPool2(out, arg, in, p.g.W, p.g.W, p.oh, p.ow)
			} else {
				p.maxPlane(in, out, arg)
			}
		case poolMaxBackward:
			arg := t.argmax[pl*p.ohw : (pl+1)*p.ohw]
			if !p.is2x2() || !p.maxBackwardPlane2x2(t.k, in, out, arg) {
				p.maxBackwardPlane(pl, in, out, arg)
			}
		case poolAvg:
			p.avgPlane(in, out)
		case poolAvgBackward:
			p.avgBackwardPlane(in, out)
		}
	}
}

var poolTasks freelist.List[poolTask]

// runPool runs a poolTask over every plane with the given work per plane.
func (b *Backend) runPool(op poolOp, p poolPlan, x, y, argmax []float32, cost int) {
	t := poolTasks.Get()
	*t = poolTask{k: vec.For(b.level), p: p, op: op, x: x, y: y, argmax: argmax}
	parallelDo(p.planes, grainFor(cost), t)
	*t = poolTask{}
	poolTasks.Put(t)
}

// is2x2 reports whether the geometry is the common 2×2 window with stride
// 2 and no padding, which the vec kernels MaxPool2 and MaxPool2Grad run.
func (p *poolPlan) is2x2() bool {
	g := p.g
	return g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0
}

// maxBackwardPlane2x2 is maxBackwardPlane for 2×2 windows with stride 2
// and no padding, where windows do not overlap: each window of dx is
// written whole, and the columns and rows no window covers are cleared.
// It returns false, with dx partly written, if an argmax names no element
// of its own window; maxBackwardPlane then does the plane.
func (p *poolPlan) maxBackwardPlane2x2(k *vec.Kernels, dx, dy, arg []float32) bool {
	w := p.g.W
	if !k.MaxPool2Grad(dx, dy, arg, w, w, p.oh, p.ow) {
		return false
	}
	if 2*p.ow < w {
		for h := range 2 * p.oh {
			clear(dx[h*w+2*p.ow : (h+1)*w])
		}
	}
	clear(dx[2*p.oh*w:])
	return true
}

// maxPlane writes the maximum of each window of one plane and its first
// (row-major) index.
func (p *poolPlan) maxPlane(in, out, arg []float32) {
	w := p.g.W
	for oh := 0; oh < p.oh; oh++ {
		for ow := 0; ow < p.ow; ow++ {
			h0, h1, w0, w1 := p.window(oh, ow)
			best := h0*w + w0
			m := in[best]
			for h := h0; h < h1; h++ {
				row := in[h*w : (h+1)*w]
				for c := w0; c < w1; c++ {
					if row[c] > m {
						m, best = row[c], h*w+c
					}
				}
			}
			out[oh*p.ow+ow] = m
			arg[oh*p.ow+ow] = float32(best)
		}
	}
}

// maxBackwardPlane overwrites dx (one plane) with each dy added at its
// argmax, panicking if an argmax is not an index into the plane.
func (p *poolPlan) maxBackwardPlane(pl int, dx, dy, arg []float32) {
	clear(dx)
	for i, a := range arg {
		k := int(a)
		if float32(k) != a || k < 0 || k >= p.inLen {
			panic(fmt.Sprintf("cpu: MaxPoolBackward: argmax %v at plane %d output %d is not an index into a %d×%d plane", a, pl, i, p.g.H, p.g.W))
		}
		dx[k] += dy[i]
	}
}

// avgPlane writes the sum of each window of one plane divided by KH·KW.
func (p *poolPlan) avgPlane(in, out []float32) {
	g := p.g
	inv := 1 / float32(g.KH*g.KW)
	for oh := 0; oh < p.oh; oh++ {
		for ow := 0; ow < p.ow; ow++ {
			h0, h1, w0, w1 := p.window(oh, ow)
			var s float32
			for h := h0; h < h1; h++ {
				for _, v := range in[h*g.W+w0 : h*g.W+w1] {
					s += v
				}
			}
			out[oh*p.ow+ow] = s * inv
		}
	}
}

// avgBackwardPlane overwrites dx (one plane) with each dy/(KH·KW) added to
// every element of its window.
func (p *poolPlan) avgBackwardPlane(dx, dy []float32) {
	g := p.g
	inv := 1 / float32(g.KH*g.KW)
	clear(dx)
	for oh := 0; oh < p.oh; oh++ {
		for ow := 0; ow < p.ow; ow++ {
			h0, h1, w0, w1 := p.window(oh, ow)
			d := dy[oh*p.ow+ow] * inv
			for h := h0; h < h1; h++ {
				row := dx[h*g.W+w0 : h*g.W+w1]
				for i := range row {
					row[i] += d
				}
			}
		}
	}
}

// MaxPool writes y with the maximum of each window of x and argmax with
// the in-plane index h·W+w of the first element (row-major) holding it.
func (b *Backend) MaxPool(x, y, argmax backend.Tensor, g backend.PoolGeom) {
	tx, ty, ta := b.tensor("MaxPool", x), b.tensor("MaxPool", y), b.tensor("MaxPool", argmax)
	p := planPool("MaxPool", g, tx, "x", []*tensor{ty, ta}, "y", "argmax")
	if p.inLen > maxArgmaxPlane {
		panic(fmt.Sprintf("cpu: MaxPool: %d×%d planes are too large for float32 argmax indices", g.H, g.W))
	}
	b.runPool(poolMax, p, tx.data, ty.data, ta.data, p.cost)
}

// MaxPoolBackward overwrites dx with each dy added to the element its
// argmax names. It panics if an argmax is not an index into the plane.
func (b *Backend) MaxPoolBackward(dy, argmax, dx backend.Tensor, g backend.PoolGeom) {
	tdy, ta, tdx := b.tensor("MaxPoolBackward", dy), b.tensor("MaxPoolBackward", argmax), b.tensor("MaxPoolBackward", dx)
	p := planPool("MaxPoolBackward", g, tdx, "dx", []*tensor{tdy, ta}, "dy", "argmax")
	b.runPool(poolMaxBackward, p, tdx.data, tdy.data, ta.data, p.ohw+p.inLen)
}

// AvgPool writes y with the sum of each window of x divided by KH·KW.
func (b *Backend) AvgPool(x, y backend.Tensor, g backend.PoolGeom) {
	tx, ty := b.tensor("AvgPool", x), b.tensor("AvgPool", y)
	p := planPool("AvgPool", g, tx, "x", []*tensor{ty}, "y")
	b.runPool(poolAvg, p, tx.data, ty.data, nil, p.cost)
}

// AvgPoolBackward overwrites dx with each dy/(KH·KW) added to every
// element of its window.
func (b *Backend) AvgPoolBackward(dy, dx backend.Tensor, g backend.PoolGeom) {
	tdy, tdx := b.tensor("AvgPoolBackward", dy), b.tensor("AvgPoolBackward", dx)
	p := planPool("AvgPoolBackward", g, tdx, "dx", []*tensor{tdy}, "dy")
	b.runPool(poolAvgBackward, p, tdx.data, tdy.data, nil, p.cost)
}
