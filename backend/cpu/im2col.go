package cpu

import "github.com/myelin-go/myelin/backend"

// Im2Col unfolds x [N, C, H, W] into col [N, C·KH·KW, OH·OW] (see
// backend.Backend). It panics if g is invalid or the shapes do not match it.
func (b *Backend) Im2Col(x, col backend.Tensor, g backend.ConvGeom) {
	checkConvGeom("Im2Col", g)
	tx, tc := b.tensor("Im2Col", x), b.tensor("Im2Col", col)
	ckk, ohw := g.C*g.KH*g.KW, g.OutH()*g.OutW()
	checkShape("Im2Col", "x", tx, g, g.N, g.C, g.H, g.W)
	checkShape("Im2Col", "col", tc, g, g.N, ckk, ohw)
	xLen, colLen := g.C*g.H*g.W, ckk*ohw
	parallelFor(g.N, grainFor(colLen), func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			im2col(tx.data[n*xLen:(n+1)*xLen], tc.data[n*colLen:(n+1)*colLen], g, 0, ohw)
		}
	})
}

// Col2Im overwrites x [N, C, H, W] with the adjoint of Im2Col applied to
// col [N, C·KH·KW, OH·OW]. It panics if g is invalid or the shapes do not
// match it.
func (b *Backend) Col2Im(col, x backend.Tensor, g backend.ConvGeom) {
	checkConvGeom("Col2Im", g)
	tc, tx := b.tensor("Col2Im", col), b.tensor("Col2Im", x)
	ckk, ohw := g.C*g.KH*g.KW, g.OutH()*g.OutW()
	checkShape("Col2Im", "col", tc, g, g.N, ckk, ohw)
	checkShape("Col2Im", "x", tx, g, g.N, g.C, g.H, g.W)
	xLen, colLen := g.C*g.H*g.W, ckk*ohw
	parallelFor(g.N, grainFor(colLen), func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			xn := tx.data[n*xLen : (n+1)*xLen]
			clear(xn)
			col2im(tc.data[n*colLen:(n+1)*colLen], xn, g, 0, ohw)
		}
	})
}

// im2col writes the columns [j0, j1) of one image's column matrix, whose
// row (c·KH+i)·KW+j holds, at column oh·OW+ow, x[c, oh·SH−PH+i·DH,
// ow·SW−PW+j·DW], or 0 in the padding: x is the image [C, H, W] and col
// is [C·KH·KW, j1−j0].
func im2col(x, col []float32, g backend.ConvGeom, j0, j1 int) {
	ow, hw, width := g.OutW(), g.H*g.W, j1-j0
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*hw : (c+1)*hw]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[r*width : (r+1)*width]
				r++
				off := j*g.DilW - g.PadW
				lo, hi := inside(ow, g.W, g.StrideW, off)
				for pos := j0; pos < j1; {
					y, x0 := pos/ow, pos%ow
					x1 := min(ow, x0+j1-pos)
					out := row[pos-j0 : pos-j0+x1-x0]
					pos += x1 - x0
					ih := y*g.StrideH - g.PadH + i*g.DilH
					a, b := max(lo, x0), min(hi, x1)
					if ih < 0 || ih >= g.H || a >= b {
						clear(out)
						continue
					}
					clear(out[:a-x0])
					clear(out[b-x0:])
					src := plane[ih*g.W : (ih+1)*g.W]
					dst := out[a-x0 : b-x0]
					if g.StrideW == 1 {
						copy(dst, src[a+off:b+off])
						continue
					}
					iw := a*g.StrideW + off
					for k := range dst {
						dst[k] = src[iw]
						iw += g.StrideW
					}
				}
			}
		}
	}
}

// col2im adds to one image x [C, H, W], for each of its elements, the
// entries of the columns [j0, j1) of a column matrix col [C·KH·KW, j1−j0]
// that im2col would have copied from it, in row order.
func col2im(col, x []float32, g backend.ConvGeom, j0, j1 int) {
	ow, hw, width := g.OutW(), g.H*g.W, j1-j0
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*hw : (c+1)*hw]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[r*width : (r+1)*width]
				r++
				off := j*g.DilW - g.PadW
				lo, hi := inside(ow, g.W, g.StrideW, off)
				for pos := j0; pos < j1; {
					y, x0 := pos/ow, pos%ow
					x1 := min(ow, x0+j1-pos)
					in := row[pos-j0 : pos-j0+x1-x0]
					pos += x1 - x0
					ih := y*g.StrideH - g.PadH + i*g.DilH
					a, b := max(lo, x0), min(hi, x1)
					if ih < 0 || ih >= g.H || a >= b {
						continue
					}
					dst := plane[ih*g.W : (ih+1)*g.W]
					iw := a*g.StrideW + off
					for _, v := range in[a-x0 : b-x0] {
						dst[iw] += v
						iw += g.StrideW
					}
				}
			}
		}
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
