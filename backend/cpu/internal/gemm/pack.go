package gemm

import "github.com/myelin-go/myelin/backend/cpu/internal/vec"

// packA writes alpha·op(A)[i0:i0+mc, p0:p0+kc] into dst in panels of mr
// rows: dst[q·mr·kc + p·mr + i] is alpha·op(A)[i0+q·mr+i, p0+p], and zero
// for rows past mc. op(A) is A, or Aᵀ when trans is set.
func (kn *kernel) packA(dst []float32, trans bool, a []float32, lda, i0, p0, mc, kc int, alpha float32) {
	mr := kn.mr
	for q := 0; q*mr < mc; q++ {
		panel := dst[q*mr*kc : (q+1)*mr*kc]
		rows := min(mr, mc-q*mr)
		r0 := i0 + q*mr
		switch {
		case trans && rows == 8 && mr == 8 && alpha == 1:
			for p := 0; p < kc; p++ {
				*(*[8]float32)(panel[p*8:]) = *(*[8]float32)(a[(p0+p)*lda+r0:])
			}
		case trans:
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+r0:][:rows]
				col := panel[p*mr : p*mr+rows]
				for i, v := range src {
					col[i] = alpha * v
				}
			}
		default:
			kn.transpose(rows, kc, alpha, a[r0*lda+p0:], lda, panel, mr)
		}
		if rows < mr {
			for p := 0; p < kc; p++ {
				clear(panel[p*mr+rows : (p+1)*mr])
			}
		}
	}
}

// packB writes op(B)[p0:p0+kc, j0:j1] into dst in strips of nr columns:
// dst[s·nr·kc + p·nr + j] is op(B)[p0+p, j0+s·nr+j], and zero for columns
// past j1. op(B) is B, or Bᵀ when trans is set.
func (kn *kernel) packB(dst []float32, trans bool, b []float32, ldb, p0, kc, j0, j1 int) {
	nr := kn.nr
	if full := (j1 - j0) / nr; !trans && full > 0 {
		// Whole strips: kc rows of nr floats each, ldb apart in B.
		vec.For(kn.level).CopyRows(dst, b[p0*ldb+j0:], vec.RowBlocks{Blocks: full, Rows: kc, Width: nr, LD: ldb, Packed: nr * kc, Strided: nr})
		if j0 += full * nr; j0 == j1 {
			return
		}
		dst = dst[full*nr*kc:]
	}
	for s := 0; j0+s*nr < j1; s++ {
		strip := dst[s*nr*kc : (s+1)*nr*kc]
		c0 := j0 + s*nr
		cols := min(nr, j1-c0)
		switch {
		case trans:
			kn.transpose(cols, kc, 1, b[c0*ldb+p0:], ldb, strip, nr)
		default:
			for p := 0; p < kc; p++ {
				copy(strip[p*nr:p*nr+cols], b[(p0+p)*ldb+c0:][:cols])
			}
		}
		if cols < nr {
			for p := 0; p < kc; p++ {
				clear(strip[p*nr+cols : (p+1)*nr])
			}
		}
	}
}

// transpose writes alpha times the transpose of the rows×cols matrix at src
// (rows ld apart) into the cols×rows matrix at dst (rows ldd apart), as
// transposeGeneric does, handing whole groups of 8 rows and 8 columns to
// the kernel's vector transpose where it has one.
func (kn *kernel) transpose(rows, cols int, alpha float32, src []float32, ld int, dst []float32, ldd int) {
	i0 := 0
	if blocks := cols / 8; kn.transpose8 != nil && blocks > 0 {
		for ; i0+8 <= rows; i0 += 8 {
			s, d := src[i0*ld:], dst[i0:]
			// The vector transpose reads and writes up to these elements.
			_, _ = s[7*ld+8*blocks-1], d[(8*blocks-1)*ldd+7]
			kn.transpose8(blocks, alpha, s, ld, d, ldd)
		}
		if c0 := 8 * blocks; c0 < cols {
			transposeGeneric(i0, cols-c0, alpha, src[c0:], ld, dst[c0*ldd:], ldd)
		}
	}
	if i0 < rows {
		transposeGeneric(rows-i0, cols, alpha, src[i0*ld:], ld, dst[i0:], ldd)
	}
}

// transposeGeneric writes alpha times the transpose of the rows×cols matrix
// at src (rows ld apart) into the cols×rows matrix at dst (rows ldd apart):
// dst[p·ldd+i] = alpha·src[i·ld+p] for i < rows and p < cols.
func transposeGeneric(rows, cols int, alpha float32, src []float32, ld int, dst []float32, ldd int) {
	for i := 0; i < rows; i++ {
		for p, v := range src[i*ld : i*ld+cols] {
			dst[p*ldd+i] = alpha * v
		}
	}
}
