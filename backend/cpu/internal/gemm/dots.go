package gemm

// dotsFunc is the signature of the kernels that multiply tiles of four rows
// of A by up to four rows of B into C; dotsGeneric documents what they
// compute.
type dotsFunc func(k int, a []float32, lda int, b []float32, ldb, cols int, alpha, beta float32, c []float32, ldc int, mask uint16, tiles int)

// dotRows is the number of rows of A, and the most rows of B, that one
// call of a dots kernel multiplies.
const dotRows = 4

// dotLanes is the number of partial sums a dots kernel keeps per product:
// one per lane of a 512-bit vector.
const dotLanes = 16

// dotsGeneric computes tiles tiles one after another, tile t reading A
// from a[4·t·lda:] and writing C from c[4·t·ldc:]. A tile is the dot
// products d(i, j) = Σ_p A[i, p]·B[j, p] of rows 0 to 3 of A (lda apart)
// with rows 0 to cols−1 of B (ldb apart), each k long, and sets
// C[i, j] = alpha·d(i, j) + beta·C[i, j] (c[i·ldc+j]; C is not read when
// beta is 0) where bit 4·i+j of mask is set. Lane l of each product sums
// the terms with p ≡ l (mod 16) in order of p; the lanes are then added in
// halves (l and l+8, then l and l+4), and the four remaining sums as
// (s₀+s₁)+(s₂+s₃). k and tiles must be positive, cols 1 to 4, mask clear
// at columns j ≥ cols, and the slices hold the rows of A, B and C that the
// tiles use.
func dotsGeneric(k int, a []float32, lda int, b []float32, ldb, cols int, alpha, beta float32, c []float32, ldc int, mask uint16, tiles int) {
	for t := 0; t < tiles; t++ {
		dotsTile(k, a[t*dotRows*lda:], lda, b, ldb, cols, alpha, beta, c[t*dotRows*ldc:], ldc, mask)
	}
}

// dotsTile computes one tile of dotsGeneric.
func dotsTile(k int, a []float32, lda int, b []float32, ldb, cols int, alpha, beta float32, c []float32, ldc int, mask uint16) {
	for i := 0; i < dotRows; i++ {
		ar := a[i*lda : i*lda+k]
		for j := 0; j < cols; j++ {
			if mask&(1<<(i*dotRows+j)) == 0 {
				continue
			}
			br := b[j*ldb : j*ldb+k]
			var s [dotLanes]float32
			for p, v := range ar {
				s[p%dotLanes] += v * br[p]
			}
			for h := dotLanes / 2; h >= 4; h /= 2 {
				for l := 0; l < h; l++ {
					s[l] += s[l+h]
				}
			}
			d := alpha * ((s[0] + s[1]) + (s[2] + s[3]))
			if beta == 0 {
				c[i*ldc+j] = d
			} else {
				c[i*ldc+j] = d + beta*c[i*ldc+j]
			}
		}
	}
}

// dotsMaxK is the longest k for which Sgemm computes a narrow C with a
// transposed B from dot products: the rows of both operands that one tile
// reads, 8 of k floats (24 KiB), then stay in L1. The first convolution
// of the MNIST models has such a filter gradient, 32×9 with k = 676 per
// image, which runs 2.7 times as fast from dot products as packed.
const dotsMaxK = 768

// gemmDots computes C = alpha·A·Bᵀ + beta·C (A m×k, B n×k, both read along
// their rows) as dot products of rows of A with rows of B, dotRows by
// dotRows, one kernel call per column of tiles for the whole tiles down
// C. The last column of tiles takes the n mod dotRows rows of B that are
// left; a last tile down C moves back to overlap its neighbour rather than
// run past m, and writes only the rows its neighbour has not; with fewer
// than dotRows rows, a tile reads one row of A dotRows times and writes it
// once. Each element's value depends only on its row of A and its row of
// B.
func (kn *kernel) gemmDots(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	whole := m / dotRows // tiles of dotRows rows from row 0
	for j0 := 0; j0 < n; j0 += dotRows {
		cols := min(dotRows, n-j0)
		colBits := uint16(1)<<cols - 1 // bit j of the columns written
		bj := b[j0*ldb:]
		if whole > 0 {
			kn.dots(k, a, lda, bj, ldb, cols, alpha, beta, c[j0:], ldc, 0x1111*colBits, whole)
		}
		for i0 := whole * dotRows; i0 < m; {
			ai, sa, iEnd := tileRows(i0, m, lda)
			var rows uint16 // bit 4·i of the tile's rows written
			for i := i0 - ai; i < iEnd-ai; i++ {
				rows |= 1 << (dotRows * i)
			}
			kn.dots(k, a[ai*lda:], sa, bj, ldb, cols, alpha, beta, c[ai*ldc+j0:], ldc, rows*colBits, 1)
			i0 = iEnd
		}
	}
}

// tileRows returns the first of the dotRows rows of A that the tile
// starting at row r0 of an m-row A reads, the distance between them, and
// the end of the rows it computes: the tile moves back to end at row m
// when it would pass it, and reads row r0 dotRows times where m < dotRows.
func tileRows(r0, m, ld int) (first, stride, end int) {
	switch {
	case m < dotRows:
		return r0, 0, r0 + 1
	case r0+dotRows > m:
		return m - dotRows, ld, m
	}
	return r0, ld, r0 + dotRows
}
