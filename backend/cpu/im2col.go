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
			im2col(tx.data[n*xLen:(n+1)*xLen], tc.data[n*colLen:(n+1)*colLen], g)
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
			col2im(tc.data[n*colLen:(n+1)*colLen], tx.data[n*xLen:(n+1)*xLen], g)
		}
	})
}

// im2col unfolds one image x [C, H, W] into col [C·KH·KW, OH·OW]: row
// (c·KH+i)·KW+j holds, at column oh·OW+ow, x[c, oh·SH−PH+i·DH,
// ow·SW−PW+j·DW], or 0 in the padding.
func im2col(x, col []float32, g backend.ConvGeom) {
	oh, ow := g.OutH(), g.OutW()
	hw, ohw := g.H*g.W, oh*ow
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*hw : (c+1)*hw]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[r*ohw : (r+1)*ohw]
				r++
				off := j*g.DilW - g.PadW
				lo, hi := inside(ow, g.W, g.StrideW, off)
				for y := 0; y < oh; y++ {
					out := row[y*ow : (y+1)*ow]
					ih := y*g.StrideH - g.PadH + i*g.DilH
					if ih < 0 || ih >= g.H {
						clear(out)
						continue
					}
					clear(out[:lo])
					clear(out[hi:])
					src := plane[ih*g.W : (ih+1)*g.W]
					if g.StrideW == 1 {
						copy(out[lo:hi], src[lo+off:hi+off])
						continue
					}
					iw := lo*g.StrideW + off
					for x := lo; x < hi; x++ {
						out[x] = src[iw]
						iw += g.StrideW
					}
				}
			}
		}
	}
}

// col2im overwrites one image x [C, H, W] with the sum, for each of its
// elements, of the entries of col [C·KH·KW, OH·OW] that im2col would have
// copied from it, added in row order.
func col2im(col, x []float32, g backend.ConvGeom) {
	oh, ow := g.OutH(), g.OutW()
	hw, ohw := g.H*g.W, oh*ow
	clear(x)
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*hw : (c+1)*hw]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[r*ohw : (r+1)*ohw]
				r++
				off := j*g.DilW - g.PadW
				lo, hi := inside(ow, g.W, g.StrideW, off)
				for y := 0; y < oh; y++ {
					ih := y*g.StrideH - g.PadH + i*g.DilH
					if ih < 0 || ih >= g.H {
						continue
					}
					in := row[y*ow+lo : y*ow+hi]
					dst := plane[ih*g.W : (ih+1)*g.W]
					iw := lo*g.StrideW + off
					for _, v := range in {
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
