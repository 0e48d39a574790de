package gemm

// SgemmPackedAddAt adds P·B to C for the m×k matrix P that pa holds and
// the k×n matrix B (rows ldb apart), with row i of C starting at offset
// coff[i] of c: C[i, j] = c[coff[i] + j]. Rows may overlap: a
// convolution's data gradient adds each channel's rows of Wᵀ·dY, one per
// kernel position, onto the image shifted by that position, and this
// writes them there without a column block in between.
//
// Each element of P·B is summed as SgemmPacked sums it, and the rows'
// products are added to C whole, one row after another in order, within
// each block of columns the kernel packs (a few hundred): when k fits in
// one block of the kernel along k and n in one block of columns, the
// result is bit for bit that of SgemmPacked into a scratch C followed by
// those additions, and a longer k adds each block's part in turn. A
// panel of rows that do not overlap and are evenly spaced is updated in
// place by the micro-kernel, other panels through a buffer. It panics,
// naming itself and the sizes, unless len(coff) ≥ m, B holds k×n with
// leading dimension ldb, and every row of C lies in c.
func SgemmPackedAddAt(pa *PackedA, n int, b []float32, ldb int, c []float32, coff []int) {
	m, k := pa.m, pa.k
	checkRows("SgemmPackedAddAt", "C", "m", n, m, c, coff)
	checkMatrix("B", k, n, b, ldb)
	ws := workspaces.Get()
	defer workspaces.Put(ws)
	pa.kn.gemmAddAt(ws, m, n, k, pa.data, b, ldb, c, coff)
}

// gemmAddAt is SgemmPackedAddAt on valid arguments: the loops of gemm over
// blocks of A (packed; see packedBlocks) and of B (packed), with each
// panel of mr rows of C written by addPanel.
func (kn *kernel) gemmAddAt(ws *workspace, m, n, k int, packed, b []float32, ldb int, c []float32, coff []int) {
	nr, nb := kn.nr, balance(n, kn.nc, kn.nr)
	pb := ws.packB.grow(min(balance(k, kn.kc, 1), k) * roundUp(min(nb, n), nr))
	kn.packedBlocks(m, k, packed, 1, func(i0, mc, p0, kc int, pa []float32, _ float32) {
		for j0 := 0; j0 < n; j0 += nb {
			nc := min(nb, n-j0)
			kn.packB(pb, false, b, ldb, p0, kc, j0, j0+nc)
			for ir := 0; ir < mc; ir += kn.mr {
				kn.addPanel(ws, kc, pa[ir*kc:(ir+kn.mr)*kc], pb, c, coff[i0+ir:i0+min(ir+kn.mr, mc)], j0, nc)
			}
		}
	})
}

// addPanel adds the product of the panel of A ap (kc steps, mr rows) and
// the packed strips of B bp (kc steps, nc columns) to the rows of C at
// offsets off, columns [j0, j0+nc): in place when the rows are evenly
// spaced at least nc apart, else into ws.narrow and from there onto C row
// after row.
func (kn *kernel) addPanel(ws *workspace, kc int, ap, bp, c []float32, off []int, j0, nc int) {
	nr, rows := kn.nr, len(off)
	if ld, ok := evenlySpaced(off, nc); ok {
		for jr := 0; jr < nc; jr += nr {
			kn.run(kc, ap, bp[jr*kc:], nr, c[off[0]+j0+jr:], ld, 1, rows, min(nr, nc-jr))
		}
		return
	}
	t := ws.narrow.grow(rows * nc)
	for jr := 0; jr < nc; jr += nr {
		kn.run(kc, ap, bp[jr*kc:], nr, t[jr:], nc, 0, rows, min(nr, nc-jr))
	}
	for r, o := range off {
		row, tr := c[o+j0:o+j0+nc], t[r*nc:(r+1)*nc]
		for x := range row {
			row[x] += tr[x]
		}
	}
}

// evenlySpaced returns the distance ld between consecutive offsets when
// they are all the same and at least least (least itself when there is
// one offset).
func evenlySpaced(off []int, least int) (ld int, ok bool) {
	if len(off) == 1 {
		return least, true
	}
	ld = off[1] - off[0]
	if ld < least {
		return 0, false
	}
	for r := 2; r < len(off); r++ {
		if off[r]-off[r-1] != ld {
			return 0, false
		}
	}
	return ld, true
}
