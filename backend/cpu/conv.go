package cpu

import (
	"fmt"
	"sync"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/gemm"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// Conv2D, Conv2DBackwardData and Conv2DBackwardFilter are im2col followed
// by a matrix product on package gemm (col2im after it in the data
// gradient), one block of an image's column matrix at a time: the block
// (C·KH·KW rows, at most colBudget floats) is unfolded into a per-goroutine
// buffer and stays in cache for the product that reads it. A 1×1 kernel
// with stride 1 and no padding needs no unfolding: the image is its own
// column matrix. Any other kernel with stride 1, no padding and more rows
// C·KH·KW than filters F takes its columns on the input's grid instead of
// the output's when that adds few columns (see maxSpareNum): each row of
// the column matrix is then one contiguous run of the image, at the price
// of the KW−1 (times the dilation) columns per row that fall between
// output rows, whose results are dropped (forward) or whose gradients are
// zero (backward). Such a plan unfolds nothing: the forward product reads
// its rows where they lie in the image (see rowOffsets), the filter
// gradient reads the image transposed once per image (see filterGrid), and
// the data gradient's product adds its rows onto the image where they lie
// (see dataOffsets). The filters (W, or Wᵀ for the data gradient; see
// packDataFilters) are packed for the GEMM once per call, not once per
// image. The filter gradient's products span
// several images when each has few columns (see filterCols). The products
// run on one goroutine each; the ops spread images (and, in the forward
// pass, blocks) over the worker pool.

// colBudget is the most floats of a column matrix unfolded at a time: a
// half of a 1 MiB L2 cache.
const colBudget = 1 << 17

// filterPartialBudget caps, in floats, the partial filter gradients that
// Conv2DBackwardFilter keeps, one per chunk of images.
const filterPartialBudget = 1 << 22

// maxFilterChunks caps the number of image chunks of Conv2DBackwardFilter,
// and so the goroutines it can use.
const maxFilterChunks = 16

// filterCols is the most columns of the products of Conv2DBackwardFilter
// that span several images: the column matrices of consecutive images
// with at most half as many columns each are laid side by side, so that
// each product sums over more of K and reads and writes dw fewer times.
const filterCols = 384

// maxSpareNum/maxSpareDen is the most columns on the input's grid per
// output position with which the convolution ops take their columns there
// (see planConv): lenet's 5×5 kernel on a 12×12 input, 92 columns for 64
// outputs, runs faster on im2col and col2im (by 40% in the data
// gradient); the cnn model's 3×3 on 26×26, 622 for 576, on the input's
// grid.
const maxSpareNum, maxSpareDen = 5, 4

// convPlan holds the sizes the convolution ops derive from a geometry.
type convPlan struct {
	g             backend.ConvGeom
	f             int  // filters
	ckk, ohw      int  // rows of an image's column matrix, and output positions per image
	cols          int  // columns of an image's column matrix: ohw, or the span of the input grid the outputs cover when shifted
	xLen, yLen    int  // elements per image of x and y
	block, blocks int  // columns per block, and blocks per image
	direct        bool // the image is its own column matrix
	shifted       bool // the columns are positions of the input's grid (see planConv)
	level         Level
	k             *vec.Kernels // the level's vector kernels
}

// planConv validates the geometry and the shapes of x [N, C, H, W],
// w [F, C, KH, KW] and y [N, F, OH, OW] (named yName, "y" or "dy") for op.
func (b *Backend) planConv(op string, g backend.ConvGeom, x *tensor, xName string, w *tensor, y *tensor, yName string) convPlan {
	p := b.planConvXW(op, g, x, xName, w)
	backend.CheckGeomShape(check, op, yName, y.shape, g, g.N, p.f, g.OutH(), g.OutW())
	return p
}

// planConvXW is planConv without the output's shape check.
func (b *Backend) planConvXW(op string, g backend.ConvGeom, x *tensor, xName string, w *tensor) convPlan {
	check.Geom(op, g.Check())
	p := convPlan{g: g, f: w.shape.Rows(), ckk: g.C * g.KH * g.KW, ohw: g.OutH() * g.OutW(), level: b.level, k: vec.For(b.level)}
	backend.CheckGeomShape(check, op, xName, x.shape, g, g.N, g.C, g.H, g.W)
	backend.CheckGeomShape(check, op, "w", w.shape, g, p.f, g.C, g.KH, g.KW)
	p.xLen, p.yLen = g.C*g.H*g.W, p.f*p.ohw
	unit := g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0
	p.direct = unit && g.KH == 1 && g.KW == 1
	// Columns on the input's grid trade unfolding (or folding) C·KH·KW
	// rows for moving F rows of outputs: they pay when there are more of
	// the former. They also cost the spare columns, which im2col and
	// col2im of whole output rows do not: they pay only while the spare
	// columns are few.
	gridCols := (g.OutH()-1)*g.W + g.OutW()
	p.shifted = unit && !p.direct && p.ckk > p.f &&
		(gridCols*maxSpareDen <= p.ohw*maxSpareNum)
	p.cols = p.ohw
	if p.shifted {
		p.cols = gridCols
	}
	p.block = p.cols
	if !p.direct && p.ckk*p.cols > colBudget {
		_, nr := gemm.Tile(b.level)
		p.block = min(p.cols, max(nr, colBudget/p.ckk/nr*nr))
	}
	p.blocks = (p.cols + p.block - 1) / p.block
	return p
}

// span returns the columns [j0, j1) of block blk.
func (p *convPlan) span(blk int) (j0, j1 int) {
	j0 = blk * p.block
	return j0, min(j0+p.block, p.cols)
}

// columns returns the columns [j0, j1) of image n's column matrix and its
// leading dimension for a plan that is not shifted: x itself when the plan
// is direct, else unfolded into buf.
func (p *convPlan) columns(x []float32, n, j0, j1 int, buf *floatBuf) ([]float32, int) {
	xn := x[n*p.xLen : (n+1)*p.xLen]
	if p.direct {
		return xn[j0:], p.ohw
	}
	col := buf.grow(p.ckk * (j1 - j0))
	im2col(p.k, xn, col, j1-j0, p.g, j0, j1)
	return col, j1 - j0
}

// outputs returns the columns [j0, j1) of the rows of an image's output
// (or output gradient) yn [F, OH·OW] as the product over the column matrix
// reads or writes them, with their leading dimension: yn itself, or when
// the plan is shifted a buffer of F rows on the input's grid, gathered
// from yn with zeros between output rows if gather is set.
func (p *convPlan) outputs(yn []float32, j0, j1 int, buf *floatBuf, gather bool) ([]float32, int) {
	if !p.shifted {
		return yn[j0:], p.ohw
	}
	out := buf.grow(p.f * (j1 - j0))
	if gather {
		p.moveRows(out, j1-j0, yn, j0, j1, true)
	}
	return out, j1 - j0
}

// gradBlock returns the columns [j0, j1) of an image's output gradient
// dyn as the products read them, with their leading dimension: those of
// grid, the whole gradient gathered on the input's grid (F rows of cols
// columns), when it is not nil, else those outputs gathers.
func (p *convPlan) gradBlock(dyn, grid []float32, j0, j1 int, buf *floatBuf) ([]float32, int) {
	if grid != nil {
		return grid[j0:], p.cols
	}
	return p.outputs(dyn, j0, j1, buf, true)
}

// gridGrad returns an image's output gradient dyn gathered on the input's
// grid for a shifted plan, F rows of cols columns with zeros between output
// rows, in buf; nil for any other plan, whose products read dyn in place.
func (p *convPlan) gridGrad(dyn []float32, buf *floatBuf) []float32 {
	if !p.shifted {
		return nil
	}
	grid := buf.grow(p.f * p.cols)
	p.moveRows(grid, p.cols, dyn, 0, p.cols, true)
	return grid
}

// moveRows copies, for every filter, the outputs of the columns [j0, j1)
// of a shifted plan between grid, F rows of j1−j0 columns of the input's
// grid ld apart, and yn [F, OH·OW]: to grid, with zeros in the columns
// between output rows, when toGrid is set, else from grid to yn. The grid
// rows whose outputs all lie in the block move for all filters at once,
// with the vector kernels; the rows cut by the block's ends, row by row.
func (p *convPlan) moveRows(grid []float32, ld int, yn []float32, j0, j1 int, toGrid bool) {
	w, ow, width := p.g.W, p.g.OutW(), j1-j0
	if toGrid {
		for f := 0; f < p.f; f++ {
			clear(grid[f*ld : f*ld+width])
		}
	}
	// Grid rows [ya, yb) have their outputs, columns y·W to y·W+OW, inside
	// the block.
	ya, yb := (j0+w-1)/w, 0
	if j1 >= ow {
		yb = max(ya, (j1-ow)/w+1)
	}
	if yb > ya {
		rows := vec.RowBlocks{Blocks: p.f, Rows: yb - ya, Width: ow, LD: w, Packed: p.ohw, Strided: ld}
		g, out := grid[ya*w-j0:], yn[ya*ow:]
		if toGrid {
			p.k.AddRows(g, out, rows) // onto the zeros
		} else {
			p.k.CopyRows(out, g, rows)
		}
	}
	for y := j0 / w; y*w < j1; y++ {
		if y >= ya && y < yb {
			continue
		}
		// Columns [a, b) of the block are outputs x0.. of row y.
		a, b := max(j0, y*w), min(j1, y*w+w)
		x0 := a - y*w
		valid := max(0, min(b, y*w+ow)-a)
		for f := 0; f < p.f; f++ {
			g, out := grid[f*ld+a-j0:f*ld+a-j0+valid], yn[f*p.ohw+y*ow+x0:f*p.ohw+y*ow+x0+valid]
			if toGrid {
				copyRow(g, out)
			} else {
				copyRow(out, g)
			}
		}
	}
}

// floatBuf is a scratch buffer of floats. The ops recycle them through
// pools that each hold buffers of one use, so that a buffer grown for one
// use is not handed to another and grown again.
type floatBuf struct{ s []float32 }

var (
	packedBufs  freelist.List[floatBuf] // packed filters of Conv2D and Conv2DBackwardData
	partialBufs freelist.List[floatBuf] // partial filter gradients of Conv2DBackwardFilter
)

// convScratch is a goroutine's scratch space in the convolution ops: a
// block of the column matrix, and a block of outputs on the input's grid;
// in ConvPool and ConvPoolBackward also the convolution's output (or its
// gradient) of the images at hand, and a pooled gradient.
type convScratch struct {
	col, out, img, pooled floatBuf
	grid                  floatBuf   // an image's output gradient on the input's grid
	xt, packed            floatBuf   // filterGrid's transposed image and packed gradient
	sums                  float64Buf // ConvPoolBackward's bias gradient of a chunk
}

var scratches freelist.List[convScratch]

// grow returns the buffer's first n floats, reallocating it if it is
// shorter; its contents are unspecified.
func (f *floatBuf) grow(n int) []float32 {
	if len(f.s) < n {
		f.s = make([]float32, n)
	}
	return f.s[:n]
}

// float64Buf is a scratch buffer of float64s.
type float64Buf struct{ s []float64 }

// grow returns the buffer's first n float64s, reallocating it if it is
// shorter; its contents are unspecified.
func (f *float64Buf) grow(n int) []float64 {
	if len(f.s) < n {
		f.s = make([]float64, n)
	}
	return f.s[:n]
}

// Conv2D computes y = w ⋆ x per image as y[n] = W·col[n], with W the
// filters as an F×(C·KH·KW) matrix and col[n] = Im2Col(x[n]), block by
// block of output positions.
func (b *Backend) Conv2D(x, w, y backend.Tensor, g backend.ConvGeom) {
	b.convAct("Conv2D", x, w, nil, y, g, false)
}

var _ backend.ConvActivator = (*Backend)(nil)

// ConvAct computes y = act(w ⋆ x + bias) (see backend.ConvActivator) as
// Conv2D does, adding the bias and applying the ReLU to each block of
// outputs right after its product, while the block is in cache.
func (b *Backend) ConvAct(x, w, bias, y backend.Tensor, g backend.ConvGeom, relu bool) {
	b.convAct("ConvAct", x, w, bias, y, g, relu)
}

// convAct is Conv2D and ConvAct for op.
func (b *Backend) convAct(op string, x, w, bias, y backend.Tensor, g backend.ConvGeom, relu bool) {
	tx, tw, ty := b.tensor(op, x), b.tensor(op, w), b.tensor(op, y)
	p := b.planConv(op, g, tx, "x", tw, ty, "y")
	var bd []float32
	if bias != nil {
		tb := b.tensor(op, bias)
		if !tb.shape.Equal(backend.Shape{p.f}) {
			panic(fmt.Sprintf("cpu: %s: bias has shape %v, want [%d]", op, tb.shape, p.f))
		}
		bd = tb.data
	}
	buf := packedBufs.Get()
	t := convTasks.Get()
	*t = convTask{p: p, x: tx.data, y: ty.data, bias: bd, relu: relu,
		w: gemm.PackA(p.level, false, p.f, p.ckk, 1, tw.data, p.ckk, buf.grow(gemm.PackedSize(p.level, p.f, p.ckk)))}
	parallelDo(g.N*p.blocks, max(1, gemmGrain/(p.f*p.ckk*p.block)), t)
	*t = convTask{}
	convTasks.Put(t)
	packedBufs.Put(buf)
}

// convTask is Conv2D (ConvAct with bias and relu) over items
// image·blocks+block, with the filters packed once for all of them.
type convTask struct {
	p    convPlan
	x, y []float32
	w    gemm.PackedA
	bias []float32 // nil: none
	relu bool
}

var convTasks freelist.List[convTask]

func (t *convTask) run(_, lo, hi int) {
	p := &t.p
	sc := scratches.Get()
	for it := lo; it < hi; it++ {
		n, blk := it/p.blocks, it%p.blocks
		yn := t.y[n*p.yLen : (n+1)*p.yLen]
		p.forwardBlock(&t.w, t.x, n, blk, yn, sc)
		if t.bias == nil && !t.relu {
			continue
		}
		o0, o1 := p.outputSpan(p.span(blk))
		for f := 0; f < p.f; f++ {
			row := yn[f*p.ohw+o0 : f*p.ohw+o1]
			if t.bias != nil {
				p.k.AddConst(row, t.bias[f])
			}
			if t.relu {
				p.k.Relu(row, row)
			}
		}
	}
	scratches.Put(sc)
}

// outputSpan returns the output positions [o0, o1) (indices oh·OW+ow of an
// output plane) that the columns [j0, j1) of the plan's column matrix
// compute: the same for a plan on the output's grid; on the input's grid,
// the outputs of the grid positions in [j0, j1) whose column is below OW.
func (p *convPlan) outputSpan(j0, j1 int) (o0, o1 int) {
	if !p.shifted {
		return j0, j1
	}
	w, ow := p.g.W, p.g.OutW()
	return j0/w*ow + min(j0%w, ow), j1/w*ow + min(j1%w, ow)
}

// forwardBlock writes the outputs of block blk of image n of x into yn
// [F, OH·OW], the image's output, with the filters w packed. A shifted
// plan's product reads the image where it lies (see rowOffsets).
func (p *convPlan) forwardBlock(w *gemm.PackedA, x []float32, n, blk int, yn []float32, sc *convScratch) {
	j0, j1 := p.span(blk)
	out, ldo := p.outputs(yn, j0, j1, &sc.out, false)
	if p.shifted {
		gemm.SgemmPackedRowsAt(w, j1-j0, x[n*p.xLen+j0:(n+1)*p.xLen], rowOffsets(p.g), 0, out, ldo)
		p.moveRows(out, ldo, yn, j0, j1, false)
		return
	}
	col, ld := p.columns(x, n, j0, j1, &sc.col)
	gemm.SgemmPacked(w, false, j1-j0, col, ld, 0, out, ldo)
}

// Conv2DBackwardData computes dx per image as dx[n] = Col2Im(Wᵀ·dy[n]),
// block by block of output positions.
func (b *Backend) Conv2DBackwardData(dy, w, dx backend.Tensor, g backend.ConvGeom) {
	tdy, tw, tdx := b.tensor("Conv2DBackwardData", dy), b.tensor("Conv2DBackwardData", w), b.tensor("Conv2DBackwardData", dx)
	p := b.planConv("Conv2DBackwardData", g, tdx, "dx", tw, tdy, "dy")
	buf := packedBufs.Get()
	t := convDataTasks.Get()
	*t = convDataTask{p: p, dy: tdy.data, dx: tdx.data, wt: p.packDataFilters(tw.data, buf)}
	parallelDo(g.N, max(1, gemmGrain/(p.f*p.ckk*p.cols)), t)
	*t = convDataTask{}
	convDataTasks.Put(t)
	packedBufs.Put(buf)
}

// convDataTask is Conv2DBackwardData over images, with Wᵀ packed once for
// all of them.
type convDataTask struct {
	p      convPlan
	dy, dx []float32
	wt     gemm.PackedA
}

var convDataTasks freelist.List[convDataTask]

func (t *convDataTask) run(_, lo, hi int) {
	p := &t.p
	sc := scratches.Get()
	for n := lo; n < hi; n++ {
		p.dataImage(&t.wt, t.dy[n*p.yLen:(n+1)*p.yLen], t.dx[n*p.xLen:(n+1)*p.xLen], nil, sc)
	}
	scratches.Put(sc)
}

// dataImage overwrites dxn, an image's input gradient, with Col2Im(Wᵀ·dyn)
// for its output gradient dyn, with Wᵀ packed in wt.
//
// grid, when not nil, holds dyn already gathered on the input's grid for a
// shifted plan (see gridGrad), and the products read it in place.
func (p *convPlan) dataImage(wt *gemm.PackedA, dyn, dxn, grid []float32, sc *convScratch) {
	if p.direct {
		gemm.SgemmPacked(wt, false, p.ohw, dyn, p.ohw, 0, dxn, p.ohw)
		return
	}
	clear(dxn)
	for blk := 0; blk < p.blocks; blk++ {
		j0, j1 := p.span(blk)
		d, ld := p.gradBlock(dyn, grid, j0, j1, &sc.out)
		if p.shifted {
			gemm.SgemmPackedAddAt(wt, j1-j0, d, ld, dxn[j0:], dataOffsets(p.g))
			continue
		}
		dcol := sc.col.grow(p.ckk * (j1 - j0))
		gemm.SgemmPacked(wt, false, j1-j0, d, ld, 0, dcol, j1-j0)
		col2im(p.k, dcol, dxn, p.g, j0, j1)
	}
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
	group := p.filterGroup(perChunk)
	partials := partialBufs.Get()
	t := filterTasks.Get()
	*t = filterTask{p: p, x: tx.data, dy: tdy.data, dw: tdw.data, partials: partials.grow((chunks - 1) * wLen), perChunk: perChunk, group: group}
	parallelDo(chunks, max(1, gemmGrain/(p.f*p.ckk*p.cols*perChunk)), t)
	if chunks > 1 {
		s := sumTasks.Get()
		*s = sumTask{k: p.k, dst: tdw.data, parts: t.partials, n: wLen}
		parallelDo(wLen, elemGrain/chunks, s)
		*s = sumTask{}
		sumTasks.Put(s)
	}
	p.unpermuteFilter(tdw.data)
	*t = filterTask{}
	filterTasks.Put(t)
	partialBufs.Put(partials)
}

// filterTask is Conv2DBackwardFilter over chunks of perChunk images: chunk
// 0 sums into dw, chunk c > 0 into partials[(c−1)·len(dw):]. With group
// above 1, the products span groups of that many images (see groupProduct).
type filterTask struct {
	p                   convPlan
	x, dy, dw, partials []float32
	perChunk, group     int
}

var filterTasks freelist.List[filterTask]

func (t *filterTask) run(_, lo, hi int) {
	p, wLen := &t.p, len(t.dw)
	sc := scratches.Get()
	for c := lo; c < hi; c++ {
		dst := t.dw
		if c > 0 {
			dst = t.partials[(c-1)*wLen : c*wLen]
		}
		beta := float32(0)
		end := min((c+1)*t.perChunk, p.g.N)
		for n := c * t.perChunk; n < end; n += t.group {
			g := min(t.group, end-n)
			p.filterImages(t.x, n, g, t.dy[n*p.yLen:(n+g)*p.yLen], nil, beta, dst, sc)
			beta = 1
		}
	}
	scratches.Put(sc)
}

// filterGroup returns the number of images whose filter gradients
// filterImages sums as one product for a chunk of perChunk images: 1 for
// shifted plans, whose products (see filterGrid) read the image in place.
func (p *convPlan) filterGroup(perChunk int) int {
	if !p.direct && !p.shifted && 2*p.cols <= filterCols {
		return min(perChunk, filterCols/p.cols)
	}
	return 1
}

// filterImages adds to dst (or with beta 0 writes to it) the filter
// gradient of the g images [n0, n0+g) of x, with dys their output
// gradients one after another: for one image block by block of its
// columns, for several as one product (see groupProduct).
//
// grid, when not nil, holds the one image's gradient already gathered on
// the input's grid (see gridGrad). A shifted plan's gradient comes in the
// order of filterGrid, which unpermuteFilter undoes.
func (p *convPlan) filterImages(x []float32, n0, g int, dys []float32, grid []float32, beta float32, dst []float32, sc *convScratch) {
	if g > 1 {
		p.groupProduct(x, n0, g, dys, beta, dst, sc)
		return
	}
	dyn := dys[:p.yLen]
	if p.shifted {
		if grid == nil {
			grid = p.gridGrad(dyn, &sc.grid)
		}
		p.filterGrid(x[n0*p.xLen:(n0+1)*p.xLen], grid, beta, dst, sc)
		return
	}
	for blk := 0; blk < p.blocks; blk++ {
		j0, j1 := p.span(blk)
		col, ld := p.columns(x, n0, j0, j1, &sc.col)
		d, ldd := p.gradBlock(dyn, grid, j0, j1, &sc.out)
		gemm.Sgemm(p.level, false, true, p.f, p.ckk, j1-j0, 1, d, ldd, col, ld, beta, dst, p.ckk)
		beta = 1
	}
}

// filterGrid adds to dst (or with beta 0 writes to it) the filter gradient
// of one image xn of a shifted plan from its output gradient on the
// input's grid: dW[f, (i, j, c)] = Σ_q dY[f, q]·X[c, q + i·DH·W + j·DW]
// over the grid's positions q, with X read in place. The image is
// transposed once to positions × channels, so that the columns of one
// kernel position (i, j) lie side by side (see filterOffsets) and the
// product reads them where they are; dY is packed as the left operand.
// dst's rows hold the columns in the order (i, j, c), not (c, i, j).
func (p *convPlan) filterGrid(xn, grid []float32, beta float32, dst []float32, sc *convScratch) {
	c, hw := p.g.C, p.g.H*p.g.W
	xt := sc.xt.grow(p.xLen)
	gemm.Transpose(p.level, c, hw, xn, hw, xt, c)
	pa := gemm.PackA(p.level, false, p.f, p.cols, 1, grid, p.cols, sc.packed.grow(gemm.PackedSize(p.level, p.f, p.cols)))
	gemm.SgemmPackedColsAt(&pa, p.ckk, xt, c, filterOffsets(p.g), beta, dst, p.ckk)
}

// offsetKey is what an offset table depends on: its kind (filterOffsets
// or rowOffsets) and the geometry.
type offsetKey struct{ kind, c, h, w, kh, kw, dh, dw int }

// offsetCache holds the offset tables, one per kind and geometry.
var offsetCache struct {
	sync.Mutex
	m map[offsetKey][]int
}

// offsets returns the table of the key's kind for geometry g, made by
// offset(c, i, j) for the kernel's taps (i, j) and channels c, in the order
// (i, j, c) when byTap is set and (c, i, j) otherwise. A table is made once
// per kind and geometry.
func offsets(kind int, g backend.ConvGeom, byTap bool, offset func(c, i, j int) int) []int {
	k := offsetKey{kind, g.C, g.H, g.W, g.KH, g.KW, g.DilH, g.DilW}
	offsetCache.Lock()
	defer offsetCache.Unlock()
	if off, ok := offsetCache.m[k]; ok {
		return off
	}
	off := make([]int, 0, g.C*g.KH*g.KW)
	for a := 0; a < g.C*g.KH*g.KW; a++ {
		c, tap := a/(g.KH*g.KW), a%(g.KH*g.KW)
		if byTap {
			c, tap = a%g.C, a/g.C
		}
		off = append(off, offset(c, tap/g.KW, tap%g.KW))
	}
	if offsetCache.m == nil {
		offsetCache.m = make(map[offsetKey][]int)
	}
	offsetCache.m[k] = off
	return off
}

// filterOffsets returns, for the columns (i, j, c) of filterGrid's product
// in that order, the offset of each in the transposed image: (i·DH·W +
// j·DW)·C + c.
func filterOffsets(g backend.ConvGeom) []int {
	return offsets(0, g, true, func(c, i, j int) int { return (i*g.DilH*g.W+j*g.DilW)*g.C + c })
}

// dataOffsets returns, for the rows (i, j, c) of a shifted plan's data
// gradient product in that order, the offset in the image of each (see
// rowOffsets): a tile of the product's rows is channels at one tap, spaced
// H·W apart, and its column q adds onto the input of output (oh, ow) at
// that tap for q = oh·W + ow with ow < OW.
func dataOffsets(g backend.ConvGeom) []int {
	return offsets(2, g, true, func(c, i, j int) int { return imageOffset(g, c, i, j) })
}

// rowOffsets returns, for the rows (c, i, j) of a shifted plan's column
// matrix, the offset in the image of each, where the row's run of the
// input's grid starts (see imageOffset).
func rowOffsets(g backend.ConvGeom) []int {
	return offsets(1, g, false, func(c, i, j int) int { return imageOffset(g, c, i, j) })
}

// imageOffset returns c·H·W + i·DH·W + j·DW, the offset in an image of
// channel c's input to output (0, 0) at tap (i, j).
func imageOffset(g backend.ConvGeom, c, i, j int) int {
	return c*g.H*g.W + i*g.DilH*g.W + j*g.DilW
}

// unpermuteFilter puts the columns of each row of a shifted plan's filter
// gradient dw, which filterGrid writes in the order (i, j, c), in the
// order (c, i, j) of the filters' layout; other plans' are left alone.
func (p *convPlan) unpermuteFilter(dw []float32) {
	if !p.shifted {
		return
	}
	kk := p.g.KH * p.g.KW
	buf := packedBufs.Get()
	row := buf.grow(p.ckk)
	for f := 0; f < p.f; f++ {
		r := dw[f*p.ckk : (f+1)*p.ckk]
		gemm.Transpose(p.level, kk, p.g.C, r, p.g.C, row, kk)
		copy(r, row)
	}
	packedBufs.Put(buf)
}

// packDataFilters packs Wᵀ for the data gradient's product into buf: its
// rows in the order (c, i, j) of the column matrix, or for a shifted plan
// in the order (i, j, c) of dataOffsets, so that a tile's rows are
// channels at one kernel position, evenly spaced in the image.
func (p *convPlan) packDataFilters(w []float32, buf *floatBuf) gemm.PackedA {
	size := gemm.PackedSize(p.level, p.ckk, p.f)
	if !p.shifted {
		return gemm.PackA(p.level, true, p.ckk, p.f, 1, w, p.ckk, buf.grow(size))
	}
	kk := p.g.KH * p.g.KW
	all := buf.grow(size + len(w))
	perm := all[size:]
	for f := 0; f < p.f; f++ {
		gemm.Transpose(p.level, p.g.C, kk, w[f*p.ckk:], kk, perm[f*p.ckk:], p.g.C)
	}
	return gemm.PackA(p.level, true, p.ckk, p.f, 1, perm, p.ckk, all[:size])
}

// groupProduct adds to dst (or with beta 0 writes to it) the filter
// gradient of the images [n0, n0+g) of x, dy[n]·col[n]ᵀ summed over them
// as one product dY·colᵀ: col holds the images' column matrices side by
// side (C·KH·KW rows of g·cols columns) and dY their outputs' gradients
// (dys, one image after another) on the same columns (F rows).
func (p *convPlan) groupProduct(x []float32, n0, g int, dys []float32, beta float32, dst []float32, sc *convScratch) {
	w := g * p.cols
	col, d := sc.col.grow(p.ckk*w), sc.out.grow(p.f*w)
	for q := 0; q < g; q++ {
		n, at := n0+q, q*p.cols
		xn, dyn := x[n*p.xLen:(n+1)*p.xLen], dys[q*p.yLen:(q+1)*p.yLen]
		im2col(p.k, xn, col[at:], w, p.g, 0, p.cols)
		for f := 0; f < p.f; f++ {
			copyRow(d[f*w+at:f*w+at+p.cols], dyn[f*p.ohw:(f+1)*p.ohw])
		}
	}
	gemm.Sgemm(p.level, false, true, p.f, p.ckk, w, 1, d, w, col, w, beta, dst, p.ckk)
}

// sumTask adds to dst[i], for i in each range, the partials parts[(c−1)·n+i]
// in order of c, a vector of partials at a time.
type sumTask struct {
	k          *vec.Kernels
	dst, parts []float32
	n          int
}

var sumTasks freelist.List[sumTask]

func (t *sumTask) run(_, lo, hi int) {
	dst := t.dst[lo:hi]
	for c := 0; c < len(t.parts)/t.n; c++ {
		t.k.Add(dst, dst, t.parts[c*t.n+lo:c*t.n+hi])
	}
}
