package cpu

import "github.com/myelin-go/myelin/backend"

// Conv2D, Conv2DBackwardData and Conv2DBackwardFilter unfold each image
// with im2col into a per-goroutine column buffer and multiply it with
// Sgemm, one image at a time, the images of the batch spread over the
// goroutines. A 1×1 kernel with stride 1 and no padding needs no unfolding:
// the image is its own column matrix.

// filterPartialBudget caps, in floats, the partial filter gradients that
// Conv2DBackwardFilter keeps, one per chunk of images.
const filterPartialBudget = 1 << 22

// maxFilterChunks caps the number of image chunks of Conv2DBackwardFilter,
// and so the goroutines it can use.
const maxFilterChunks = 16

// convPlan holds the sizes the convolution ops derive from a geometry.
type convPlan struct {
	g                  backend.ConvGeom
	f                  int  // filters
	ckk, ohw           int  // rows and columns of an image's column matrix
	xLen, yLen, colLen int  // elements per image of x, y and col
	direct             bool // the image is its own column matrix
}

// planConv validates the geometry and the shapes of x [N, C, H, W],
// w [F, C, KH, KW] and y [N, F, OH, OW] (named yName, "y" or "dy") for op.
func planConv(op string, g backend.ConvGeom, x *tensor, xName string, w *tensor, y *tensor, yName string) convPlan {
	checkConvGeom(op, g)
	p := convPlan{g: g, f: w.shape.Rows(), ckk: g.C * g.KH * g.KW, ohw: g.OutH() * g.OutW()}
	checkShape(op, xName, x, g, g.N, g.C, g.H, g.W)
	checkShape(op, "w", w, g, p.f, g.C, g.KH, g.KW)
	checkShape(op, yName, y, g, g.N, p.f, g.OutH(), g.OutW())
	p.xLen, p.yLen, p.colLen = g.C*g.H*g.W, p.f*p.ohw, p.ckk*p.ohw
	p.direct = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0
	return p
}

// imageGrain returns the fewest images worth a goroutine.
func (p convPlan) imageGrain() int { return grainFor(p.f * p.ckk * p.ohw) }

// colScratch returns a column buffer for each goroutine that parallelFor
// gives the images of a batch (none when the images are their own column
// matrices) and the function that releases them.
func (b *Backend) colScratch(p convPlan) (cols []float32, release func()) {
	if p.direct {
		return nil, func() {}
	}
	return b.scratchBuf(workers(p.g.N, p.imageGrain()) * p.colLen)
}

// Conv2D computes y = w ⋆ x per image as y[n] = W·col[n], with W the
// filters as an F×(C·KH·KW) matrix and col[n] = Im2Col(x[n]).
func (b *Backend) Conv2D(x, w, y backend.Tensor, g backend.ConvGeom) {
	tx, tw, ty := b.tensor("Conv2D", x), b.tensor("Conv2D", w), b.tensor("Conv2D", y)
	p := planConv("Conv2D", g, tx, "x", tw, ty, "y")
	cols, release := b.colScratch(p)
	defer release()
	parallelFor(g.N, p.imageGrain(), func(wk, lo, hi int) {
		for n := lo; n < hi; n++ {
			xn := tx.data[n*p.xLen : (n+1)*p.xLen]
			col := xn
			if !p.direct {
				col = cols[wk*p.colLen : (wk+1)*p.colLen]
				im2col(xn, col, g)
			}
			sgemm(false, false, p.f, p.ohw, p.ckk, 1, tw.data, col, 0, ty.data[n*p.yLen:(n+1)*p.yLen])
		}
	})
}

// Conv2DBackwardData computes dx per image as dx[n] = Col2Im(Wᵀ·dy[n]).
func (b *Backend) Conv2DBackwardData(dy, w, dx backend.Tensor, g backend.ConvGeom) {
	tdy, tw, tdx := b.tensor("Conv2DBackwardData", dy), b.tensor("Conv2DBackwardData", w), b.tensor("Conv2DBackwardData", dx)
	p := planConv("Conv2DBackwardData", g, tdx, "dx", tw, tdy, "dy")
	cols, release := b.colScratch(p)
	defer release()
	parallelFor(g.N, p.imageGrain(), func(wk, lo, hi int) {
		for n := lo; n < hi; n++ {
			dxn := tdx.data[n*p.xLen : (n+1)*p.xLen]
			dcol := dxn
			if !p.direct {
				dcol = cols[wk*p.colLen : (wk+1)*p.colLen]
			}
			sgemm(true, false, p.ckk, p.ohw, p.f, 1, tw.data, tdy.data[n*p.yLen:(n+1)*p.yLen], 0, dcol)
			if !p.direct {
				col2im(dcol, dxn, g)
			}
		}
	})
}

// Conv2DBackwardFilter computes dw = Σ_n dy[n]·col[n]ᵀ. The batch is cut
// into chunks that depend only on the shapes; each chunk's images are summed
// in order into a partial dw, and the partials are added in chunk order, so
// the result is the same for any GOMAXPROCS.
func (b *Backend) Conv2DBackwardFilter(x, dy, dw backend.Tensor, g backend.ConvGeom) {
	tx, tdy, tdw := b.tensor("Conv2DBackwardFilter", x), b.tensor("Conv2DBackwardFilter", dy), b.tensor("Conv2DBackwardFilter", dw)
	p := planConv("Conv2DBackwardFilter", g, tx, "x", tdw, tdy, "dy")
	wLen := len(tdw.data)
	chunks := min(g.N, maxFilterChunks, max(1, filterPartialBudget/wLen))
	perChunk := (g.N + chunks - 1) / chunks
	chunks = (g.N + perChunk - 1) / perChunk
	chunkGrain := max(1, p.imageGrain()/perChunk)
	nw := workers(chunks, chunkGrain)
	colsLen := nw * p.colLen
	if p.direct {
		colsLen = 0
	}
	buf, release := b.scratchBuf(colsLen + (chunks-1)*wLen)
	defer release()
	cols, partials := buf[:colsLen], buf[colsLen:]
	parallelFor(chunks, chunkGrain, func(wk, lo, hi int) {
		for c := lo; c < hi; c++ {
			dst := tdw.data
			if c > 0 {
				dst = partials[(c-1)*wLen : c*wLen]
			}
			for n := c * perChunk; n < min((c+1)*perChunk, g.N); n++ {
				col := tx.data[n*p.xLen : (n+1)*p.xLen]
				if !p.direct {
					col = cols[wk*p.colLen : (wk+1)*p.colLen]
					im2col(tx.data[n*p.xLen:(n+1)*p.xLen], col, g)
				}
				beta := float32(1)
				if n == c*perChunk {
					beta = 0
				}
				sgemm(false, true, p.f, p.ckk, p.ohw, 1, tdy.data[n*p.yLen:(n+1)*p.yLen], col, beta, dst)
			}
		}
	})
	if chunks == 1 {
		return
	}
	parallelFor(wLen, elemGrain/chunks, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			s := tdw.data[i]
			for c := 1; c < chunks; c++ {
				s += partials[(c-1)*wLen+i]
			}
			tdw.data[i] = s
		}
	})
}
