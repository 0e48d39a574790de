package gemm

import (
	"fmt"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// SgemmPackedColsAt computes C = P·B + beta·C for the m×k matrix P that pa
// holds and the k×n matrix B whose column j starts at offset boff[j] of b,
// its rows ldb apart: B[p, j] = b[p·ldb + boff[j]]. A convolution's filter
// gradient reads its image's columns this way, each column one channel of
// one kernel position, from the image transposed to positions × channels.
//
// The result is bit for bit that of SgemmPacked(pa, false, n, B', n, beta,
// c, ldc) with B' the gathered B. Strips of the micro-kernel's width whose
// offsets are consecutive are read in place when m ≤ directRows and ldb ≤
// directLD, as SgemmPacked reads an untransposed B; the others are packed.
// It panics, naming itself and the sizes, unless C holds m×n with leading
// dimension ldc, len(boff) ≥ n, and every element of B lies in b.
func SgemmPackedColsAt(pa *PackedA, n int, b []float32, ldb int, boff []int, beta float32, c []float32, ldc int) {
	m, k := pa.m, pa.k
	if n <= 0 || len(boff) < n || ldb < 1 {
		panic(fmt.Sprintf("gemm: SgemmPackedColsAt: n=%d with %d column offsets and leading dimension %d", n, len(boff), ldb))
	}
	checkMatrix("C", m, n, c, ldc)
	for j, o := range boff[:n] {
		if o < 0 || (k-1)*ldb+o >= len(b) {
			panic(fmt.Sprintf("gemm: SgemmPackedColsAt: column %d at offset %d with %d rows %d apart needs %d elements of B, which has %d",
				j, o, k, ldb, (k-1)*ldb+o+1, len(b)))
		}
	}
	ws := workspaces.Get()
	defer workspaces.Put(ws)
	pa.kn.gemmColsAt(ws, m, n, k, pa.data, b, ldb, boff, beta, c, ldc)
}

// gemmColsAt is SgemmPackedColsAt on valid arguments: the loops of gemm
// over blocks of A (packed; see packedBlocks) and of B, whose strips it
// reads in place or packs from the column offsets.
func (kn *kernel) gemmColsAt(ws *workspace, m, n, k int, packed, b []float32, ldb int, boff []int, beta float32, c []float32, ldc int) {
	nr, nb := kn.nr, balance(n, kn.nc, kn.nr)
	direct := m <= directRows && ldb <= directLD
	pb := ws.packB.grow(min(balance(k, kn.kc, 1), k) * roundUp(min(nb, n), nr))
	kn.packedBlocks(m, k, packed, beta, func(i0, mc, p0, kc int, pa []float32, bt float32) {
		for j0 := 0; j0 < n; j0 += nb {
			nc := min(nb, n-j0)
			for jr := 0; jr < nc; jr += nr {
				cols := boff[j0+jr : j0+min(jr+nr, nc)]
				bp, bs := b[p0*ldb+cols[0]:], ldb
				if !direct || len(cols) < nr || !consecutive(cols) {
					bp, bs = pb[jr*kc:(jr+nr)*kc], nr
					packColsAt(bp, b[p0*ldb:], ldb, kc, cols, nr)
				}
				for ir := 0; ir < mc; ir += kn.mr {
					kn.run(kc, pa[ir*kc:(ir+kn.mr)*kc], bp, bs, c[(i0+ir)*ldc+j0+jr:], ldc, bt, min(kn.mr, mc-ir), len(cols))
				}
			}
		}
	})
}

// consecutive reports whether each offset is one past the one before.
func consecutive(off []int) bool {
	for j := 1; j < len(off); j++ {
		if off[j] != off[0]+j {
			return false
		}
	}
	return true
}

// packColsAt writes the kc rows of the columns at offsets cols of b (rows
// ldb apart) into the strip dst, nr floats per row: dst[p·nr + j] =
// b[p·ldb + cols[j]], and zero for j past len(cols). Runs of consecutive
// offsets are copied whole.
func packColsAt(dst, b []float32, ldb, kc int, cols []int, nr int) {
	for j := 0; j < len(cols); {
		run := 1
		for j+run < len(cols) && cols[j+run] == cols[j]+run {
			run++
		}
		for p := 0; p < kc; p++ {
			copy(dst[p*nr+j:p*nr+j+run], b[p*ldb+cols[j]:])
		}
		j += run
	}
	if len(cols) < nr {
		for p := 0; p < kc; p++ {
			clear(dst[p*nr+len(cols) : (p+1)*nr])
		}
	}
}

// Transpose writes the transpose of the rows×cols matrix src (rows ld
// apart) into the cols×rows matrix dst (rows ldd apart), dst[p·ldd + i] =
// src[i·ld + p], with the vector transpose of level l where it has one. It
// panics unless both slices hold their matrices.
func Transpose(l isa.Level, rows, cols int, src []float32, ld int, dst []float32, ldd int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ld < cols || len(src) < (rows-1)*ld+cols || ldd < rows || len(dst) < (cols-1)*ldd+rows {
		panic(fmt.Sprintf("gemm: Transpose: %d×%d from %d floats (ld %d) into %d floats (ld %d)", rows, cols, len(src), ld, len(dst), ldd))
	}
	kernelFor(l).transpose(rows, cols, 1, src, ld, dst, ldd)
}
