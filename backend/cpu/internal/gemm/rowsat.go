package gemm

import "fmt"

// SgemmPackedRowsAt computes C = P·B + beta·C for the m×k matrix P that pa
// holds and the k×n matrix B whose row p starts at offset boff[p] of b:
// B[p, j] = b[boff[p] + j]. A convolution with stride 1 and no padding
// reads its column matrix this way on the input's grid: each row one
// channel shifted by one kernel position, a run of the image read where
// it lies instead of copied out.
//
// The result is bit for bit that of SgemmPacked(pa, false, n, B', n, beta,
// c, ldc) with B' the gathered B: the micro-kernels read whole strips of B
// at the offsets where the level has such a kernel, and the others are
// packed. It panics, naming itself and the sizes, unless C holds m×n
// with leading dimension ldc, len(boff) ≥ k, and every row of B lies in b.
func SgemmPackedRowsAt(pa *PackedA, n int, b []float32, boff []int, beta float32, c []float32, ldc int) {
	m, k := pa.m, pa.k
	checkRows("SgemmPackedRowsAt", "B", "k", n, k, b, boff)
	checkMatrix("C", m, n, c, ldc)
	ws := workspaces.Get()
	defer workspaces.Put(ws)
	pa.kn.gemmRowsAt(ws, m, n, k, pa.data, b, boff, beta, c, ldc)
}

// gemmRowsAt is SgemmPackedRowsAt on valid arguments: the loops of gemm
// over blocks of A (packed; see packedBlocks) and of B, whose whole strips
// runAt reads at the offsets and whose other strips are packed.
func (kn *kernel) gemmRowsAt(ws *workspace, m, n, k int, packed, b []float32, boff []int, beta float32, c []float32, ldc int) {
	nr, nb := kn.nr, balance(n, kn.nc, kn.nr)
	pb := ws.packB.grow(min(balance(k, kn.kc, 1), k) * nr)
	kn.packedBlocks(m, k, packed, beta, func(i0, mc, p0, kc int, pa []float32, bt float32) {
		off := boff[p0 : p0+kc]
		for j0 := 0; j0 < n; j0 += nb {
			nc := min(nb, n-j0)
			for jr := 0; jr < nc; jr += nr {
				cols := min(nr, nc-jr)
				inPlace := kn.runAt != nil && cols == nr
				if !inPlace {
					packRowsAt(pb[:kc*nr], b, off, j0+jr, cols, nr)
				}
				for ir := 0; ir < mc; ir += kn.mr {
					ap, ct, rows := pa[ir*kc:(ir+kn.mr)*kc], c[(i0+ir)*ldc+j0+jr:], min(kn.mr, mc-ir)
					if inPlace {
						kn.runAt(kc, ap, b[j0+jr:], off, ct, ldc, bt, rows, nr)
					} else {
						kn.run(kc, ap, pb, nr, ct, ldc, bt, rows, cols)
					}
				}
			}
		}
	})
}

// packRowsAt writes columns [j0, j0+cols) of the rows of B at offsets off
// of b into the strip dst, nr floats per row: dst[p·nr + j] =
// b[off[p] + j0 + j], and zero for j past cols.
func packRowsAt(dst, b []float32, off []int, j0, cols, nr int) {
	for p, o := range off {
		row := dst[p*nr : (p+1)*nr]
		copy(row, b[o+j0:o+j0+cols])
		clear(row[cols:])
	}
}

// checkRows panics, naming fn, unless n is positive and off holds at
// least rows offsets (rows being the size dim) of rows of n columns that
// all lie in x, the matrix name.
func checkRows(fn, name, dim string, n, rows int, x []float32, off []int) {
	if n <= 0 || len(off) < rows {
		panic(fmt.Sprintf("gemm: %s: n=%d with %d row offsets for %s=%d", fn, n, len(off), dim, rows))
	}
	for i, o := range off[:rows] {
		if o < 0 || o+n > len(x) {
			panic(fmt.Sprintf("gemm: %s: row %d at offset %d of %d columns needs %d elements of %s, which has %d", fn, i, o, n, o+n, name, len(x)))
		}
	}
}
