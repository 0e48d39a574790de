package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
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
	checkPoolGeom(op, g)
	p := poolPlan{g: g, oh: g.OutH(), ow: g.OutW(), inLen: g.H * g.W, planes: g.N * g.C}
	p.ohw = p.oh * p.ow
	p.cost = p.ohw * g.KH * g.KW
	checkShape(op, xName, x, g, g.N, g.C, g.H, g.W)
	for i, y := range ys {
		checkShape(op, yNames[i], y, g, g.N, g.C, p.oh, p.ow)
	}
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

// MaxPool writes y with the maximum of each window of x and argmax with
// the in-plane index h·W+w of the first element (row-major) holding it.
func (b *Backend) MaxPool(x, y, argmax backend.Tensor, g backend.PoolGeom) {
	tx, ty, ta := b.tensor("MaxPool", x), b.tensor("MaxPool", y), b.tensor("MaxPool", argmax)
	p := planPool("MaxPool", g, tx, "x", []*tensor{ty, ta}, "y", "argmax")
	if p.inLen > maxArgmaxPlane {
		panic(fmt.Sprintf("cpu: MaxPool: %d×%d planes are too large for float32 argmax indices", g.H, g.W))
	}
	parallelFor(p.planes, grainFor(p.cost), func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			in := tx.data[pl*p.inLen : (pl+1)*p.inLen]
			out := ty.data[pl*p.ohw : (pl+1)*p.ohw]
			arg := ta.data[pl*p.ohw : (pl+1)*p.ohw]
			for oh := 0; oh < p.oh; oh++ {
				for ow := 0; ow < p.ow; ow++ {
					h0, h1, w0, w1 := p.window(oh, ow)
					best := h0*g.W + w0
					m := in[best]
					for h := h0; h < h1; h++ {
						row := in[h*g.W : (h+1)*g.W]
						for w := w0; w < w1; w++ {
							if row[w] > m {
								m, best = row[w], h*g.W+w
							}
						}
					}
					out[oh*p.ow+ow] = m
					arg[oh*p.ow+ow] = float32(best)
				}
			}
		}
	})
}

// MaxPoolBackward overwrites dx with each dy added to the element its
// argmax names. It panics if an argmax is not an index into the plane.
func (b *Backend) MaxPoolBackward(dy, argmax, dx backend.Tensor, g backend.PoolGeom) {
	tdy, ta, tdx := b.tensor("MaxPoolBackward", dy), b.tensor("MaxPoolBackward", argmax), b.tensor("MaxPoolBackward", dx)
	p := planPool("MaxPoolBackward", g, tdx, "dx", []*tensor{tdy, ta}, "dy", "argmax")
	parallelFor(p.planes, grainFor(p.ohw+p.inLen), func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			in := tdx.data[pl*p.inLen : (pl+1)*p.inLen]
			grad := tdy.data[pl*p.ohw : (pl+1)*p.ohw]
			arg := ta.data[pl*p.ohw : (pl+1)*p.ohw]
			clear(in)
			for i, a := range arg {
				k := int(a)
				if float32(k) != a || k < 0 || k >= p.inLen {
					panic(fmt.Sprintf("cpu: MaxPoolBackward: argmax %v at plane %d output %d is not an index into a %d×%d plane", a, pl, i, g.H, g.W))
				}
				in[k] += grad[i]
			}
		}
	})
}

// AvgPool writes y with the sum of each window of x divided by KH·KW.
func (b *Backend) AvgPool(x, y backend.Tensor, g backend.PoolGeom) {
	tx, ty := b.tensor("AvgPool", x), b.tensor("AvgPool", y)
	p := planPool("AvgPool", g, tx, "x", []*tensor{ty}, "y")
	inv := 1 / float32(g.KH*g.KW)
	parallelFor(p.planes, grainFor(p.cost), func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			in := tx.data[pl*p.inLen : (pl+1)*p.inLen]
			out := ty.data[pl*p.ohw : (pl+1)*p.ohw]
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
	})
}

// AvgPoolBackward overwrites dx with each dy/(KH·KW) added to every
// element of its window.
func (b *Backend) AvgPoolBackward(dy, dx backend.Tensor, g backend.PoolGeom) {
	tdy, tdx := b.tensor("AvgPoolBackward", dy), b.tensor("AvgPoolBackward", dx)
	p := planPool("AvgPoolBackward", g, tdx, "dx", []*tensor{tdy}, "dy")
	inv := 1 / float32(g.KH*g.KW)
	parallelFor(p.planes, grainFor(p.cost), func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			in := tdx.data[pl*p.inLen : (pl+1)*p.inLen]
			grad := tdy.data[pl*p.ohw : (pl+1)*p.ohw]
			clear(in)
			for oh := 0; oh < p.oh; oh++ {
				for ow := 0; ow < p.ow; ow++ {
					h0, h1, w0, w1 := p.window(oh, ow)
					d := grad[oh*p.ow+ow] * inv
					for h := h0; h < h1; h++ {
						row := in[h*g.W+w0 : h*g.W+w1]
						for i := range row {
							row[i] += d
						}
					}
				}
			}
		}
	})
}
