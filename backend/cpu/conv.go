package cpu

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/gemm"
)

// Conv2D, Conv2DBackwardData and Conv2DBackwardFilter are im2col followed
// by a matrix product on package gemm, one block of an image's output
// positions at a time: the block of the column matrix (C·KH·KW rows, at
// most colBudget floats) is unfolded into a per-goroutine buffer and stays
// in cache for the product that reads it. A 1×1 kernel with stride 1 and
// no padding needs no unfolding: the image is its own column matrix. The
// products run on one goroutine each; the ops spread images (and, in the
// forward pass, blocks) over the worker pool.

// colBudget is the most floats of a column matrix unfolded at a time: a
// quarter of a 1 MiB L2 cache.
const colBudget = 1 << 16

// filterPartialBudget caps, in floats, the partial filter gradients that
// Conv2DBackwardFilter keeps, one per chunk of images.
const filterPartialBudget = 1 << 22

// maxFilterChunks caps the number of image chunks of Conv2DBackwardFilter,
// and so the goroutines it can use.
const maxFilterChunks = 16

// convPlan holds the sizes the convolution ops derive from a geometry.
type convPlan struct {
	g             backend.ConvGeom
	f             int  // filters
	ckk, ohw      int  // rows and columns of an image's column matrix
	xLen, yLen    int  // elements per image of x and y
	block, blocks int  // output positions per block, and blocks per image
	direct        bool // the image is its own column matrix
	level         Level
}

// planConv validates the geometry and the shapes of x [N, C, H, W],
// w [F, C, KH, KW] and y [N, F, OH, OW] (named yName, "y" or "dy") for op.
func (b *Backend) planConv(op string, g backend.ConvGeom, x *tensor, xName string, w *tensor, y *tensor, yName string) convPlan {
	checkConvGeom(op, g)
	p := convPlan{g: g, f: w.shape.Rows(), ckk: g.C * g.KH * g.KW, ohw: g.OutH() * g.OutW(), level: b.level}
	checkShape4(op, xName, x, g, g.N, g.C, g.H, g.W)
	checkShape4(op, "w", w, g, p.f, g.C, g.KH, g.KW)
	checkShape4(op, yName, y, g, g.N, p.f, g.OutH(), g.OutW())
	p.xLen, p.yLen = g.C*g.H*g.W, p.f*p.ohw
	p.direct = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0
	p.block = p.ohw
	if !p.direct && p.ckk*p.ohw > colBudget {
		_, nr := gemm.Tile(b.level)
		p.block = min(p.ohw, max(nr, colBudget/p.ckk/nr*nr))
	}
	p.blocks = (p.ohw + p.block - 1) / p.block
	return p
}

// checkShape4 is checkShape for four dimensions, without its allocations
// when the shape is right.
func checkShape4(op, name string, t *tensor, g backend.ConvGeom, d0, d1, d2, d3 int) {
	if s := t.shape; len(s) != 4 || s[0] != d0 || s[1] != d1 || s[2] != d2 || s[3] != d3 {
		checkShape(op, name, t, g, d0, d1, d2, d3)
	}
}

// span returns the output positions [j0, j1) of block blk.
func (p *convPlan) span(blk int) (j0, j1 int) {
	j0 = blk * p.block
	return j0, min(j0+p.block, p.ohw)
}

// columns returns the columns [j0, j1) of image n's column matrix and its
// leading dimension: x itself when the plan is direct, else unfolded into
// buf.
func (p *convPlan) columns(x []float32, n, j0, j1 int, buf *floatBuf) ([]float32, int) {
	xn := x[n*p.xLen : (n+1)*p.xLen]
	if p.direct {
		return xn[j0:], p.ohw
	}
	col := buf.grow(p.ckk * (j1 - j0))
	im2col(xn, col, p.g, j0, j1)
	return col, j1 - j0
}

// floatBuf is a scratch buffer of floats, recycled through floatBufs.
type floatBuf struct{ s []float32 }

var floatBufs taskPool[floatBuf]

// grow returns the buffer's first n floats, reallocating it if it is
// shorter; its contents are unspecified.
func (f *floatBuf) grow(n int) []float32 {
	if len(f.s) < n {
		f.s = make([]float32, n)
	}
	return f.s[:n]
}

// Conv2D computes y = w ⋆ x per image as y[n] = W·col[n], with W the
// filters as an F×(C·KH·KW) matrix and col[n] = Im2Col(x[n]), block by
// block of output positions.
func (b *Backend) Conv2D(x, w, y backend.Tensor, g backend.ConvGeom) {
	tx, tw, ty := b.tensor("Conv2D", x), b.tensor("Conv2D", w), b.tensor("Conv2D", y)
	t := convTasks.get()
	*t = convTask{p: b.planConv("Conv2D", g, tx, "x", tw, ty, "y"), x: tx.data, w: tw.data, y: ty.data}
	parallelDo(g.N*t.p.blocks, max(1, gemmGrain/(t.p.f*t.p.ckk*t.p.block)), t)
	*t = convTask{}
	convTasks.put(t)
}

// convTask is Conv2D over items image·blocks+block.
type convTask struct {
	p       convPlan
	x, w, y []float32
}

var convTasks taskPool[convTask]

func (t *convTask) run(_, lo, hi int) {
	p := &t.p
	buf := floatBufs.get()
	for it := lo; it < hi; it++ {
		n, blk := it/p.blocks, it%p.blocks
		j0, j1 := p.span(blk)
		col, ld := p.columns(t.x, n, j0, j1, buf)
		gemm.Sgemm(p.level, false, false, p.f, j1-j0, p.ckk, 1, t.w, p.ckk, col, ld, 0, t.y[n*p.yLen+j0:], p.ohw)
	}
	floatBufs.put(buf)
}

// Conv2DBackwardData computes dx per image as dx[n] = Col2Im(Wᵀ·dy[n]),
// block by block of output positions.
func (b *Backend) Conv2DBackwardData(dy, w, dx backend.Tensor, g backend.ConvGeom) {
	tdy, tw, tdx := b.tensor("Conv2DBackwardData", dy), b.tensor("Conv2DBackwardData", w), b.tensor("Conv2DBackwardData", dx)
	t := convDataTasks.get()
	*t = convDataTask{p: b.planConv("Conv2DBackwardData", g, tdx, "dx", tw, tdy, "dy"), dy: tdy.data, w: tw.data, dx: tdx.data}
	parallelDo(g.N, max(1, gemmGrain/(t.p.f*t.p.ckk*t.p.ohw)), t)
	*t = convDataTask{}
	convDataTasks.put(t)
}

// convDataTask is Conv2DBackwardData over images.
type convDataTask struct {
	p         convPlan
	dy, w, dx []float32
}

var convDataTasks taskPool[convDataTask]

func (t *convDataTask) run(_, lo, hi int) {
	p := &t.p
	buf := floatBufs.get()
	for n := lo; n < hi; n++ {
		dxn := t.dx[n*p.xLen : (n+1)*p.xLen]
		dyn := t.dy[n*p.yLen : (n+1)*p.yLen]
		if p.direct {
			gemm.Sgemm(p.level, true, false, p.ckk, p.ohw, p.f, 1, t.w, p.ckk, dyn, p.ohw, 0, dxn, p.ohw)
			continue
		}
		clear(dxn)
		for blk := 0; blk < p.blocks; blk++ {
			j0, j1 := p.span(blk)
			dcol := buf.grow(p.ckk * (j1 - j0))
			gemm.Sgemm(p.level, true, false, p.ckk, j1-j0, p.f, 1, t.w, p.ckk, dyn[j0:], p.ohw, 0, dcol, j1-j0)
			col2im(dcol, dxn, p.g, j0, j1)
		}
	}
	floatBufs.put(buf)
}

// Conv2DBackwardFilter computes dw = Σ_n dy[n]·col[n]ᵀ. The batch is cut
// into chunks that depend only on the shapes; each chunk's images (and
// blocks of output positions) are summed in order into a partial dw, and
// the partials are added in chunk order, so the result is the same for any
// GOMAXPROCS.
func (b *Backend) Conv2DBackwardFilter(x, dy, dw backend.Tensor, g backend.ConvGeom) {
	tx, tdy, tdw := b.tensor("Conv2DBackwardFilter", x), b.tensor("Conv2DBackwardFilter", dy), b.tensor("Conv2DBackwardFilter", dw)
	p := b.planConv("Conv2DBackwardFilter", g, tx, "x", tdw, tdy, "dy")
	wLen := len(tdw.data)
	chunks := min(g.N, maxFilterChunks, max(1, filterPartialBudget/wLen))
	perChunk := (g.N + chunks - 1) / chunks
	chunks = (g.N + perChunk - 1) / perChunk
	partials := floatBufs.get()
	t := filterTasks.get()
	*t = filterTask{p: p, x: tx.data, dy: tdy.data, dw: tdw.data, partials: partials.grow((chunks - 1) * wLen), perChunk: perChunk}
	parallelDo(chunks, max(1, gemmGrain/(p.f*p.ckk*p.ohw*perChunk)), t)
	if chunks > 1 {
		s := sumTasks.get()
		*s = sumTask{dst: tdw.data, parts: t.partials, n: wLen}
		parallelDo(wLen, elemGrain/chunks, s)
		*s = sumTask{}
		sumTasks.put(s)
	}
	*t = filterTask{}
	filterTasks.put(t)
	floatBufs.put(partials)
}

// filterTask is Conv2DBackwardFilter over chunks of perChunk images: chunk
// 0 sums into dw, chunk c > 0 into partials[(c−1)·len(dw):].
type filterTask struct {
	p                   convPlan
	x, dy, dw, partials []float32
	perChunk            int
}

var filterTasks taskPool[filterTask]

func (t *filterTask) run(_, lo, hi int) {
	p, wLen := &t.p, len(t.dw)
	buf := floatBufs.get()
	for c := lo; c < hi; c++ {
		dst := t.dw
		if c > 0 {
			dst = t.partials[(c-1)*wLen : c*wLen]
		}
		beta := float32(0)
		for n := c * t.perChunk; n < min((c+1)*t.perChunk, p.g.N); n++ {
			dyn := t.dy[n*p.yLen : (n+1)*p.yLen]
			for blk := 0; blk < p.blocks; blk++ {
				j0, j1 := p.span(blk)
				col, ld := p.columns(t.x, n, j0, j1, buf)
				gemm.Sgemm(p.level, false, true, p.f, p.ckk, j1-j0, 1, dyn[j0:], p.ohw, col, ld, beta, dst, p.ckk)
				beta = 1
			}
		}
	}
	floatBufs.put(buf)
}

// sumTask adds to dst[i], for i in each range, the partials parts[(c−1)·n+i]
// in order of c.
type sumTask struct {
	dst, parts []float32
	n          int
}

var sumTasks taskPool[sumTask]

func (t *sumTask) run(_, lo, hi int) {
	chunks := len(t.parts) / t.n
	for i := lo; i < hi; i++ {
		s := t.dst[i]
		for c := 0; c < chunks; c++ {
			s += t.parts[c*t.n+i]
		}
		t.dst[i] = s
	}
}
