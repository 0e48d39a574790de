package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/gemm"
)

// ConvPool and ConvPoolBackward (backend.ConvPooler) run a convolution
// and the max pooling after it image by image: an image's convolution
// output (or its gradient), computed block by block as Conv2D computes
// it, goes into a per-goroutine buffer that stays in cache for the
// pooling, the bias and the ReLU, which read it at once; the batch-sized
// output of the convolution is never written. A training step of the cnn
// model spends about a fifth of its time in those passes when they run
// apart, each streaming the convolution's output through memory.

var _ backend.ConvPooler = (*Backend)(nil)

// convPoolPlan holds the sizes of a ConvPool or ConvPoolBackward call.
type convPoolPlan struct {
	convPlan
	pool  poolPlan
	pLen  int // pooled elements per image
	is2x2 bool
}

// planConvPool validates the shapes of x, w and bias, the pooling
// geometry pg against the convolution's output, and the shapes of the
// pooled tensors ys (named by yNames).
func (b *Backend) planConvPool(op string, cg backend.ConvGeom, pg backend.PoolGeom, x, w, bias *tensor, ys []*tensor, yNames ...string) convPoolPlan {
	p := convPoolPlan{convPlan: b.planConvXW(op, cg, x, "x", w)}
	check.Geom(op, pg.Check())
	check.Geom(op, backend.CheckConvPoolGeom(cg, p.f, pg))
	if pg.H*pg.W > maxArgmaxPlane {
		panic(fmt.Sprintf("cpu: %s: %d×%d planes are too large for float32 argmax indices", op, pg.H, pg.W))
	}
	if bias != nil && !bias.shape.Equal(backend.Shape{p.f}) {
		panic(fmt.Sprintf("cpu: %s: bias has shape %v, want [%d]", op, bias.shape, p.f))
	}
	p.pool = newPoolPlan(pg)
	p.pLen = p.f * p.pool.ohw
	p.is2x2 = p.pool.is2x2()
	for i, y := range ys {
		backend.CheckGeomShape(check, op, yNames[i], y.shape, pg, pg.N, pg.C, p.pool.oh, p.pool.ow)
	}
	return p
}

// ConvPool writes y = act(MaxPool(Conv2D(x, w)) + bias) and the pooling's
// argmax (see backend.ConvPooler), image by image: the convolution of an
// image into a buffer that stays in cache, then its pooling, the bias and
// the ReLU.
func (b *Backend) ConvPool(x, w, bias, y, argmax backend.Tensor, cg backend.ConvGeom, pg backend.PoolGeom, relu bool) {
	const op = "ConvPool"
	tx, tw, ty, ta := b.tensor(op, x), b.tensor(op, w), b.tensor(op, y), b.tensor(op, argmax)
	var tb *tensor
	var bd []float32
	if bias != nil {
		tb = b.tensor(op, bias)
		bd = tb.data
	}
	p := b.planConvPool(op, cg, pg, tx, tw, tb, []*tensor{ty, ta}, "y", "argmax")
	buf := packedBufs.Get()
	t := convPoolTasks.Get()
	*t = convPoolTask{p: p, x: tx.data, bias: bd, y: ty.data, arg: ta.data, relu: relu,
		w: gemm.PackA(p.level, false, p.f, p.ckk, 1, tw.data, p.ckk, buf.grow(gemm.PackedSize(p.level, p.f, p.ckk)))}
	parallelDo(cg.N, max(1, gemmGrain/(p.f*p.ckk*p.cols)), t)
	*t = convPoolTask{}
	convPoolTasks.Put(t)
	packedBufs.Put(buf)
}

// convPoolTask is ConvPool over images, with the filters packed once.
type convPoolTask struct {
	p       convPoolPlan
	x, bias []float32
	y, arg  []float32
	w       gemm.PackedA
	relu    bool
}

var convPoolTasks freelist.List[convPoolTask]

func (t *convPoolTask) run(_, lo, hi int) {
	p := &t.p
	pohw := p.pool.ohw
	sc := scratches.Get()
	for n := lo; n < hi; n++ {
		yn, plane, w := p.convImage(&t.w, t.x, n, sc)
		out := t.y[n*p.pLen : (n+1)*p.pLen]
		for f := 0; f < p.f; f++ {
			in, o, a := yn[f*plane:(f+1)*plane], out[f*pohw:(f+1)*pohw], t.arg[n*p.pLen+f*pohw:n*p.pLen+(f+1)*pohw]
			if p.is2x2 {
				p.k.MaxPool2(o, a, in, w, p.pool.g.W, p.pool.oh, p.pool.ow)
			} else {
				p.pool.maxPlane(in, o, a)
			}
			if t.bias != nil {
				p.k.AddConst(o, t.bias[f])
			}
		}
		if t.relu {
			p.k.Relu(out, out)
		}
	}
	scratches.Put(sc)
}

// convImage computes the convolution of image n of x with the packed
// filters w into scratch memory and returns it, F planes plane floats
// apart with rows w floats apart: on the input's grid, as one product,
// for a shifted plan with 2×2 pooling (which pools from the grid);
// otherwise block by block into the output's layout [F, OH·OW].
func (p *convPoolPlan) convImage(w *gemm.PackedA, x []float32, n int, sc *convScratch) (yn []float32, plane, rowLen int) {
	if p.shifted && p.is2x2 {
		grid := sc.out.grow(p.f * p.cols)
		gemm.SgemmPackedRowsAt(w, p.cols, x[n*p.xLen:(n+1)*p.xLen], rowOffsets(p.g), 0, grid, p.cols)
		return grid, p.cols, p.g.W
	}
	yn = sc.img.grow(p.yLen)
	for blk := 0; blk < p.blocks; blk++ {
		p.forwardBlock(w, x, n, blk, yn, sc)
	}
	return yn, p.ohw, p.g.OutW()
}

// ConvPoolBackward writes the gradients of ConvPool (see
// backend.ConvPooler), with reluX the ReLU's gradient of each image's dx
// while it is in cache. The batch is cut into chunks of images that depend
// only on the shapes, as in Conv2DBackwardFilter; for each image of a
// chunk it routes dy, masked by the ReLU, through the pooling into a
// buffer of the convolution's output gradient that stays in cache, sums
// the bias gradient from the masked dy, and runs the filter gradient (into
// the chunk's partial sum) and the data gradient on the buffer. The
// chunks' partial sums are added in chunk order, so the result is the
// same for any GOMAXPROCS.
func (b *Backend) ConvPoolBackward(x, w, y, argmax, dy, dx, dw, db backend.Tensor, cg backend.ConvGeom, pg backend.PoolGeom, relu, reluX bool) {
	const op = "ConvPoolBackward"
	tx, tw, ty, ta, tdy, tdw := b.tensor(op, x), b.tensor(op, w), b.tensor(op, y), b.tensor(op, argmax), b.tensor(op, dy), b.tensor(op, dw)
	p := b.planConvPool(op, cg, pg, tx, tw, nil, []*tensor{ty, ta, tdy}, "y", "argmax", "dy")
	backend.CheckGeomShape(check, op, "dw", tdw.shape, cg, p.f, cg.C, cg.KH, cg.KW)
	var dxd, dbd []float32
	if dx != nil {
		tdx := b.tensor(op, dx)
		backend.CheckGeomShape(check, op, "dx", tdx.shape, cg, cg.N, cg.C, cg.H, cg.W)
		dxd = tdx.data
	}
	if db != nil {
		tdb := b.tensor(op, db)
		if !tdb.shape.Equal(backend.Shape{p.f}) {
			panic(fmt.Sprintf("cpu: %s: db has shape %v, want [%d]", op, tdb.shape, p.f))
		}
		dbd = tdb.data
	}
	wLen := len(tdw.data)
	chunks := min(cg.N, maxFilterChunks, max(1, filterPartialBudget/wLen))
	perChunk := (cg.N + chunks - 1) / chunks
	chunks = (cg.N + perChunk - 1) / perChunk
	partials := partialBufs.Get()
	t := convPoolBackTasks.Get()
	*t = convPoolBackTask{p: p, x: tx.data, y: ty.data, arg: ta.data, dy: tdy.data, dx: dxd, dw: tdw.data, db: dbd,
		partials: partials.grow((chunks-1)*wLen + chunks*p.f), perChunk: perChunk, group: p.filterGroup(perChunk), chunks: chunks, relu: relu, reluX: reluX}
	var buf *floatBuf
	if dx != nil {
		buf = packedBufs.Get()
		t.wt = p.packDataFilters(tw.data, buf)
	}
	parallelDo(chunks, max(1, gemmGrain/(p.f*p.ckk*p.cols*perChunk)), t)
	// Chunk 0 wrote into dw, the others into the partials, which the
	// chunks' partial db follow.
	if chunks > 1 {
		s := sumTasks.Get()
		*s = sumTask{k: p.k, dst: tdw.data, parts: t.partials[:(chunks-1)*wLen], n: wLen}
		parallelDo(wLen, elemGrain/chunks, s)
		*s = sumTask{}
		sumTasks.Put(s)
	}
	p.unpermuteFilter(tdw.data)
	if dbd != nil {
		for f := range dbd {
			var s float64
			for c := 0; c < chunks; c++ {
				s += float64(t.partials[(chunks-1)*wLen+c*p.f+f])
			}
			dbd[f] = float32(s)
		}
	}
	*t = convPoolBackTask{}
	convPoolBackTasks.Put(t)
	partialBufs.Put(partials)
	if buf != nil {
		packedBufs.Put(buf)
	}
}

// gridPoolGrad writes an image's convolution output gradient for a
// shifted plan with 2×2 pooling straight onto the input's grid, as
// gridGrad lays it out: the pooled gradient dp routed to the elements arg
// names, and zeros elsewhere. It returns nil, leaving buf's contents
// unspecified, for other plans and when an arg names no element of its
// window.
func (p *convPoolPlan) gridPoolGrad(dp, arg []float32, buf *floatBuf) []float32 {
	if !p.shifted || !p.is2x2 {
		return nil
	}
	w, cols, pohw := p.g.W, p.cols, p.pool.ohw
	ph, pw := p.pool.oh, p.pool.ow
	grid := buf.grow(p.f * cols)
	for f := 0; f < p.f; f++ {
		plane := grid[f*cols : (f+1)*cols]
		if !p.k.MaxPool2Grad(plane, dp[f*pohw:(f+1)*pohw], arg[f*pohw:(f+1)*pohw], w, p.pool.g.W, ph, pw) {
			return nil
		}
		// The columns right of the windows (those between output rows
		// among them) and the rows below them get no gradient.
		for y := 0; y < 2*ph; y++ {
			clear(plane[y*w+2*pw : min((y+1)*w, cols)])
		}
		clear(plane[min(2*ph*w, cols):])
	}
	return grid
}

// convPoolBackTask is ConvPoolBackward over chunks of perChunk images of
// which there are chunks: chunk 0 sums its filter gradient into dw, chunk
// c > 0 into partials at (c−1)·len(dw); chunk c's bias gradient goes to
// partials at (chunks−1)·len(dw) + c·F. Groups of group images share one filter-gradient
// product (see filterImages).
type convPoolBackTask struct {
	p                         convPoolPlan
	x, y, arg, dy, dx, dw, db []float32
	partials                  []float32
	wt                        gemm.PackedA // Wᵀ, packed when dx is wanted
	perChunk, group, chunks   int
	relu, reluX               bool
}

var convPoolBackTasks freelist.List[convPoolBackTask]

func (t *convPoolBackTask) run(_, lo, hi int) {
	p := &t.p
	wLen := len(t.dw)
	pohw := p.pool.ohw
	sc := scratches.Get()
	for c := lo; c < hi; c++ {
		dst := t.dw
		if c > 0 {
			dst = t.partials[(c-1)*wLen : c*wLen]
		}
		sums := sc.sums.grow(p.f)
		clear(sums)
		beta := float32(0)
		end := min((c+1)*t.perChunk, p.g.N)
		for n0 := c * t.perChunk; n0 < end; n0 += t.group {
			g := min(t.group, end-n0)
			dys := sc.img.grow(g * p.yLen)
			var grid []float32
			for q := 0; q < g; q++ {
				n := n0 + q
				dp := t.dy[n*p.pLen : (n+1)*p.pLen]
				if t.relu {
					m := sc.pooled.grow(p.pLen)
					p.k.ReluGrad(m, t.y[n*p.pLen:(n+1)*p.pLen], dp)
					dp = m
				}
				if t.db != nil {
					for f := 0; f < p.f; f++ {
						sums[f] += p.k.Sum(dp[f*pohw : (f+1)*pohw])
					}
				}
				arg := t.arg[n*p.pLen : (n+1)*p.pLen]
				if g == 1 {
					// A single image's gradient goes on the grid once for
					// both products (a group's, by groupProduct): straight
					// from the pooling where it can.
					if grid = p.gridPoolGrad(dp, arg, &sc.grid); grid != nil {
						continue
					}
				}
				dimg := dys[q*p.yLen : (q+1)*p.yLen]
				for f := 0; f < p.f; f++ {
					d, a := dp[f*pohw:(f+1)*pohw], arg[f*pohw:(f+1)*pohw]
					plane := dimg[f*p.ohw : (f+1)*p.ohw]
					if !p.is2x2 || !p.pool.maxBackwardPlane2x2(p.k, plane, d, a) {
						p.pool.maxBackwardPlane(n*p.f+f, plane, d, a)
					}
				}
				if g == 1 {
					grid = p.gridGrad(dys, &sc.grid)
				}
			}
			p.filterImages(t.x, n0, g, dys, grid, beta, dst, sc)
			beta = 1
			if t.dx != nil {
				for q := 0; q < g; q++ {
					n := n0 + q
					dxn := t.dx[n*p.xLen : (n+1)*p.xLen]
					p.dataImage(&t.wt, dys[q*p.yLen:(q+1)*p.yLen], dxn, grid, sc)
					if t.reluX {
						p.k.ReluGrad(dxn, t.x[n*p.xLen:(n+1)*p.xLen], dxn)
					}
				}
			}
		}
		bp := t.partials[(t.chunks-1)*wLen+c*p.f : (t.chunks-1)*wLen+(c+1)*p.f]
		for f, s := range sums {
			bp[f] = float32(s)
		}
	}
	scratches.Put(sc)
}
