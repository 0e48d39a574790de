//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// maxColumns bounds the column buffer of one convolution pass (64 Mi
// floats, 256 MiB); larger batches are processed in slices of images.
const maxColumns = 64 << 20

// Im2Col unfolds x [N, C, H, W] into col [N, C·KH·KW, OH·OW].
func (b *Backend) Im2Col(x, col backend.Tensor, g backend.ConvGeom) {
	tx, tc := b.tensor("Im2Col", x), b.tensor("Im2Col", col)
	check.Geom("Im2Col", g.Check())
	backend.CheckGeomShape(check, "Im2Col", "x", tx.shape, g, g.N, g.C, g.H, g.W)
	backend.CheckGeomShape(check, "Im2Col", "col", tc.shape, g, g.N, g.C*g.KH*g.KW, g.OutH()*g.OutW())
	b.im2col(tx.ptr, tc.ptr, g)
}

// Col2Im overwrites x [N, C, H, W] with the adjoint of Im2Col applied to
// col.
func (b *Backend) Col2Im(col, x backend.Tensor, g backend.ConvGeom) {
	tc, tx := b.tensor("Col2Im", col), b.tensor("Col2Im", x)
	check.Geom("Col2Im", g.Check())
	backend.CheckGeomShape(check, "Col2Im", "x", tx.shape, g, g.N, g.C, g.H, g.W)
	backend.CheckGeomShape(check, "Col2Im", "col", tc.shape, g, g.N, g.C*g.KH*g.KW, g.OutH()*g.OutW())
	b.col2im(tc.ptr, tx.ptr, 0, g)
}

func (b *Backend) im2col(x, col uint64, g backend.ConvGeom) {
	b.launch("Im2Col", kernels.Im2Col, b.rowGrid(g.N*g.C*g.KH*g.KW), new(args).addr(x).addr(col).conv(g))
}

// col2im launches the col2im kernel; unless mask is 0, elements of x
// where the tensor at mask (shaped like x) is not above 0 get 0.
func (b *Backend) col2im(col, x, mask uint64, g backend.ConvGeom) {
	b.launch("Col2Im", kernels.Col2Im, b.grid(g.N*g.C*g.H*g.W), new(args).addr(col).addr(x).addr(mask).conv(g))
}

// convPlan holds the sizes the convolution ops derive from a geometry.
type convPlan struct {
	g     backend.ConvGeom
	f     int // filters
	ckk   int // C·KH·KW, the rows of an image's column block
	p     int // OH·OW, its columns
	chunk int // images per pass, so that the column buffer fits maxColumns
}

// planConv checks the shapes of x [N, C, H, W], w [F, C, KH, KW] and
// y [N, F, OH, OW] for op and returns the plan.
func planConv(op string, g backend.ConvGeom, x, w, y *tensor, xName, yName string) convPlan {
	p := planConvXW(op, g, x, xName, w)
	backend.CheckGeomShape(check, op, yName, y.shape, g, g.N, p.f, g.OutH(), g.OutW())
	return p
}

// planConvXW checks the geometry and the shapes of x [N, C, H, W] and
// w [F, C, KH, KW] for op and returns the plan.
func planConvXW(op string, g backend.ConvGeom, x *tensor, xName string, w *tensor) convPlan {
	check.Geom(op, g.Check())
	if len(w.shape) != 4 {
		panic(fmt.Sprintf("cuda: %s: w has shape %v, want [F %d %d %d] for geometry %+v", op, w.shape, g.C, g.KH, g.KW, g))
	}
	p := convPlan{g: g, f: w.shape[0], ckk: g.C * g.KH * g.KW, p: g.OutH() * g.OutW()}
	backend.CheckGeomShape(check, op, xName, x.shape, g, g.N, g.C, g.H, g.W)
	backend.CheckGeomShape(check, op, "w", w.shape, g, p.f, g.C, g.KH, g.KW)
	p.chunk = max(1, min(g.N, maxColumns/(p.ckk*p.p)))
	return p
}

// slice returns the geometry of images [n0, n0+count).
func (p *convPlan) slice(count int) backend.ConvGeom {
	g := p.g
	g.N = count
	return g
}

// Conv2D computes y = w ⋆ x as im2col followed by one strided-batched
// GEMM per slice of images: y[n] (F × OH·OW) = w (F × C·KH·KW) · col[n].
func (b *Backend) Conv2D(x, w, y backend.Tensor, g backend.ConvGeom) {
	const op = "Conv2D"
	tx, tw, ty := b.tensor(op, x), b.tensor(op, w), b.tensor(op, y)
	p := planConv(op, g, tx, tw, ty, "x", "y")
	b.conv2d(op, &p, tx.ptr, tw.ptr, ty.ptr)
}

// ConvAct writes y = act(w ⋆ x + bias) (see backend.ConvActivator): the
// convolution as Conv2D computes it, then the AddBias and Activate kernels
// on y in place. cuBLAS writes the product's output, so nothing is fused
// on the device yet: the results are those of the three ops run apart,
// bit for bit.
func (b *Backend) ConvAct(x, w, bias, y backend.Tensor, g backend.ConvGeom, relu bool) {
	const op = "ConvAct"
	tx, tw, ty := b.tensor(op, x), b.tensor(op, w), b.tensor(op, y)
	p := planConv(op, g, tx, tw, ty, "x", "y")
	if bias != nil {
		if tb := b.tensor(op, bias); !tb.shape.Equal(backend.Shape{p.f}) {
			panic(fmt.Sprintf("cuda: %s: bias has shape %v, want [%d]", op, tb.shape, p.f))
		}
	}
	b.conv2d(op, &p, tx.ptr, tw.ptr, ty.ptr)
	if bias != nil {
		b.AddBias(y, bias)
	}
	if relu {
		b.Activate(backend.Activation{Kind: backend.ReLU}, y, y)
	}
}

// conv2d queues Conv2D of the device arrays x, w and y for op.
func (b *Backend) conv2d(op string, p *convPlan, x, w, y uint64) {
	g := p.g
	col, done := b.scratch(op, uint64(4*p.chunk*p.ckk*p.p))
	defer done()
	for n0 := 0; n0 < g.N; n0 += p.chunk {
		cnt := min(p.chunk, g.N-n0)
		b.im2col(x+uint64(4*n0*g.C*g.H*g.W), col, p.slice(cnt))
		b.gemm(op, false, false, p.f, p.p, p.ckk, 1, w, p.ckk, 0, col, p.p, p.ckk*p.p,
			0, y+uint64(4*n0*p.f*p.p), p.p, p.f*p.p, cnt)
	}
}

// Conv2DBackwardData overwrites dx with ∂L/∂x: per image dcol[n] =
// wᵀ · dy[n] by strided-batched GEMM, then col2im.
func (b *Backend) Conv2DBackwardData(dy, w, dx backend.Tensor, g backend.ConvGeom) {
	const op = "Conv2DBackwardData"
	tdy, tw, tdx := b.tensor(op, dy), b.tensor(op, w), b.tensor(op, dx)
	p := planConv(op, g, tdx, tw, tdy, "dx", "dy")
	b.conv2dBackwardData(op, &p, tdy.ptr, tw.ptr, tdx.ptr, 0)
}

// conv2dBackwardData queues Conv2DBackwardData of the device arrays dy,
// w and dx for op; unless mask is 0, elements of dx where the array at
// mask (shaped like dx) is not above 0 get 0 (see col2im).
func (b *Backend) conv2dBackwardData(op string, p *convPlan, dy, w, dx, mask uint64) {
	g := p.g
	col, done := b.scratch(op, uint64(4*p.chunk*p.ckk*p.p))
	defer done()
	for n0 := 0; n0 < g.N; n0 += p.chunk {
		cnt := min(p.chunk, g.N-n0)
		off := uint64(4 * n0 * g.C * g.H * g.W)
		m := mask
		if m != 0 {
			m += off
		}
		b.gemm(op, true, false, p.ckk, p.p, p.f, 1, w, p.ckk, 0, dy+uint64(4*n0*p.f*p.p), p.p, p.f*p.p,
			0, col, p.p, p.ckk*p.p, cnt)
		b.col2im(col, dx+off, m, p.slice(cnt))
	}
}

// Conv2DBackwardFilter overwrites dw with ∂L/∂w = Σₙ dy[n] · col[n]ᵀ: one
// product per image by strided-batched GEMM, then a sum over the images in
// order (no atomics, so the result repeats exactly).
func (b *Backend) Conv2DBackwardFilter(x, dy, dw backend.Tensor, g backend.ConvGeom) {
	const op = "Conv2DBackwardFilter"
	tx, tdy, tdw := b.tensor(op, x), b.tensor(op, dy), b.tensor(op, dw)
	p := planConv(op, g, tx, tdw, tdy, "x", "dy")
	b.conv2dBackwardFilter(op, &p, tx.ptr, tdy.ptr, tdw.ptr)
}

// conv2dBackwardFilter queues Conv2DBackwardFilter of the device arrays
// x, dy and dw for op.
func (b *Backend) conv2dBackwardFilter(op string, p *convPlan, x, dy, dw uint64) {
	g := p.g
	col, doneCol := b.scratch(op, uint64(4*p.chunk*p.ckk*p.p))
	defer doneCol()
	wlen := p.f * p.ckk
	parts, doneParts := b.scratch(op, uint64(4*g.N*wlen))
	defer doneParts()
	for n0 := 0; n0 < g.N; n0 += p.chunk {
		cnt := min(p.chunk, g.N-n0)
		b.im2col(x+uint64(4*n0*g.C*g.H*g.W), col, p.slice(cnt))
		b.gemm(op, false, true, p.f, p.ckk, p.p, 1, dy+uint64(4*n0*p.f*p.p), p.p, p.f*p.p, col, p.p, p.ckk*p.p,
			0, parts+uint64(4*n0*wlen), p.ckk, wlen, cnt)
	}
	b.launch(op, kernels.BatchSum, b.grid(wlen), new(args).addr(parts).addr(dw).i32(g.N).i64(wlen))
}
