package cpu

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// Im2Col unfolds x [N, C, H, W] into col [N, C·KH·KW, OH·OW] (see
// backend.Backend). It panics if g is invalid or the shapes do not match it.
func (b *Backend) Im2Col(x, col backend.Tensor, g backend.ConvGeom) {
	check.Geom("Im2Col", g.Check())
	tx, tc := b.tensor("Im2Col", x), b.tensor("Im2Col", col)
	ckk, ohw := g.C*g.KH*g.KW, g.OutH()*g.OutW()
	backend.CheckGeomShape(check, "Im2Col", "x", tx.shape, g, g.N, g.C, g.H, g.W)
	backend.CheckGeomShape(check, "Im2Col", "col", tc.shape, g, g.N, ckk, ohw)
	t := unfoldTasks.Get()
	*t = unfoldTask{k: vec.For(b.level), x: tx.data, col: tc.data, g: g}
	parallelDo(g.N, grainFor(ckk*ohw), t)
	*t = unfoldTask{}
	unfoldTasks.Put(t)
}

// Col2Im overwrites x [N, C, H, W] with the adjoint of Im2Col applied to
// col [N, C·KH·KW, OH·OW]. It panics if g is invalid or the shapes do not
// match it.
func (b *Backend) Col2Im(col, x backend.Tensor, g backend.ConvGeom) {
	check.Geom("Col2Im", g.Check())
	tc, tx := b.tensor("Col2Im", col), b.tensor("Col2Im", x)
	ckk, ohw := g.C*g.KH*g.KW, g.OutH()*g.OutW()
	backend.CheckGeomShape(check, "Col2Im", "col", tc.shape, g, g.N, ckk, ohw)
	backend.CheckGeomShape(check, "Col2Im", "x", tx.shape, g, g.N, g.C, g.H, g.W)
	t := unfoldTasks.Get()
	*t = unfoldTask{k: vec.For(b.level), x: tx.data, col: tc.data, g: g, fold: true}
	parallelDo(g.N, grainFor(ckk*ohw), t)
	*t = unfoldTask{}
	unfoldTasks.Put(t)
}

// unfoldTask is Im2Col, or Col2Im when fold is set, over images.
type unfoldTask struct {
	k      *vec.Kernels
	x, col []float32
	g      backend.ConvGeom
	fold   bool
}

var unfoldTasks freelist.List[unfoldTask]

func (t *unfoldTask) run(_, lo, hi int) {
	g := t.g
	ohw := g.OutH() * g.OutW()
	xLen, colLen := g.C*g.H*g.W, g.C*g.KH*g.KW*ohw
	for n := lo; n < hi; n++ {
		xn, coln := t.x[n*xLen:(n+1)*xLen], t.col[n*colLen:(n+1)*colLen]
		if t.fold {
			clear(xn)
			col2im(t.k, coln, xn, g, 0, ohw)
		} else {
			im2col(t.k, xn, coln, ohw, g, 0, ohw)
		}
	}
}

// im2col writes the columns [j0, j1) of one image's column matrix, whose
// row (c·KH+i)·KW+j holds, at column oh·OW+ow, x[c, oh·SH−PH+i·DH,
// ow·SW−PW+j·DW], or 0 in the padding: x is the image [C, H, W] and col
// is [C·KH·KW, j1−j0] with rows ld apart.
func im2col(k *vec.Kernels, x, col []float32, ld int, g backend.ConvGeom, j0, j1 int) {
	ow, hw, width := g.OutW(), g.H*g.W, j1-j0
	if g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 && j0%ow == 0 && j1%ow == 0 {
		im2colRows(k, x, col, ld, g, j0/ow, j1/ow)
		return
	}
	y0, y1 := j0/ow, (j1+ow-1)/ow
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*hw : (c+1)*hw]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[r*ld : r*ld+width]
				r++
				off := j*g.DilW - g.PadW
				lo, hi := inside(ow, g.W, g.StrideW, off)
				for y := y0; y < y1; y++ {
					// Output row y holds columns [x0, x1) of the block.
					x0, x1 := max(j0-y*ow, 0), min(j1-y*ow, ow)
					out := row[y*ow+x0-j0 : y*ow+x1-j0]
					ih := y*g.StrideH - g.PadH + i*g.DilH
					a, b := max(lo, x0), min(hi, x1)
					if ih < 0 || ih >= g.H || a >= b {
						clear(out)
						continue
					}
					if a > x0 {
						clear(out[:a-x0])
					}
					if b < x1 {
						clear(out[b-x0:])
					}
					dst := out[a-x0 : b-x0]
					src := plane[ih*g.W+a*g.StrideW+off:]
					if g.StrideW == 1 {
						copyRow(dst, src)
						continue
					}
					for k := range dst {
						dst[k] = src[k*g.StrideW]
					}
				}
			}
		}
	}
}

// im2colRows is im2col for stride 1, no padding and the columns of whole
// output rows [y0, y1): the rows of the block that share a channel and a
// kernel column j are KH blocks of y1−y0 rows of the image OW wide, which
// k's CopyRows moves in one call.
func im2colRows(k *vec.Kernels, x, col []float32, ld int, g backend.ConvGeom, y0, y1 int) {
	for c := 0; c < g.C; c++ {
		for j := 0; j < g.KW; j++ {
			k.CopyRows(col[(c*g.KH*g.KW+j)*ld:], x[c*g.H*g.W+y0*g.W+j*g.DilW:], rowBlocks(g, ld, y0, y1))
		}
	}
}

// col2imRows is col2im, the adjoint of im2colRows, for stride 1, no padding
// and the columns of whole output rows [y0, y1), with k's AddRows: channel
// by channel, kernel column by kernel column, then kernel row by kernel
// row.
func col2imRows(k *vec.Kernels, col, x []float32, ld int, g backend.ConvGeom, y0, y1 int) {
	for c := 0; c < g.C; c++ {
		for j := 0; j < g.KW; j++ {
			k.AddRows(x[c*g.H*g.W+y0*g.W+j*g.DilW:], col[(c*g.KH*g.KW+j)*ld:], rowBlocks(g, ld, y0, y1))
		}
	}
}

// rowBlocks is the layout of im2colRows' moves: a block per kernel row,
// KW rows of the column matrix (ld apart) and DH rows of the image apart.
func rowBlocks(g backend.ConvGeom, ld, y0, y1 int) vec.RowBlocks {
	return vec.RowBlocks{Blocks: g.KH, Rows: y1 - y0, Width: g.OutW(), LD: g.W, Packed: g.KW * ld, Strided: g.DilH * g.W}
}

// col2im adds to one image x [C, H, W], for each of its elements, the
// entries of the columns [j0, j1) of a column matrix col [C·KH·KW, j1−j0]
// that im2col would have copied from it, in row order (with stride 1, no
// padding and whole output rows, in col2imRows' order).
func col2im(k *vec.Kernels, col, x []float32, g backend.ConvGeom, j0, j1 int) {
	ow, hw, width := g.OutW(), g.H*g.W, j1-j0
	if g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 && j0%ow == 0 && j1%ow == 0 {
		col2imRows(k, col, x, width, g, j0/ow, j1/ow)
		return
	}
	y0, y1 := j0/ow, (j1+ow-1)/ow
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*hw : (c+1)*hw]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[r*width : (r+1)*width]
				r++
				off := j*g.DilW - g.PadW
				lo, hi := inside(ow, g.W, g.StrideW, off)
				for y := y0; y < y1; y++ {
					x0, x1 := max(j0-y*ow, 0), min(j1-y*ow, ow)
					ih := y*g.StrideH - g.PadH + i*g.DilH
					a, b := max(lo, x0), min(hi, x1)
					if ih < 0 || ih >= g.H || a >= b {
						continue
					}
					in := row[y*ow+a-j0 : y*ow+b-j0]
					dst := plane[ih*g.W+a*g.StrideW+off:]
					if g.StrideW == 1 {
						dst = dst[:len(in)]
						for k, v := range in {
							dst[k] += v
						}
						continue
					}
					for k, v := range in {
						dst[k*g.StrideW] += v
					}
				}
			}
		}
	}
}

// copyRow copies src[:len(dst)] to dst: copy, without the call to memmove
// for the short rows that make up column matrices (a few floats to a few
// dozen).
func copyRow(dst, src []float32) {
	if len(dst) > 64 {
		copy(dst, src)
		return
	}
	src = src[:len(dst)]
	for len(dst) >= 4 {
		*(*[4]float32)(dst) = *(*[4]float32)(src)
		dst, src = dst[4:], src[4:]
	}
	for k := range dst {
		dst[k] = src[k]
	}
}

// inside returns the range [lo, hi) of output positions o in [0, out) whose
// input position o·stride+off lies in [0, in). lo ≤ hi always.
func inside(out, in, stride, off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if last := in - 1 - off; last >= 0 {
		hi = last/stride + 1
	}
	hi = min(hi, out)
	lo = min(lo, hi)
	return lo, hi
}
