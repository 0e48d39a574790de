package gemm

// maxTile is the most rows or columns of any micro-kernel's tile.
const maxTile = 32

// packA writes alpha·op(A)[i0:i0+mc, p0:p0+kc] into dst in panels of mr
// rows: dst[q·mr·kc + p·mr + i] is alpha·op(A)[i0+q·mr+i, p0+p], and zero
// for rows past mc. op(A) is A, or Aᵀ when trans is set.
func packA(dst []float32, trans bool, a []float32, lda, i0, p0, mc, kc int, alpha float32, mr int) {
	for q := 0; q*mr < mc; q++ {
		panel := dst[q*mr*kc : (q+1)*mr*kc]
		rows := min(mr, mc-q*mr)
		r0 := i0 + q*mr
		if trans {
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+r0:][:rows]
				col := panel[p*mr : p*mr+rows]
				for i, v := range src {
					col[i] = alpha * v
				}
			}
		} else {
			var src [maxTile][]float32
			for i := 0; i < rows; i++ {
				src[i] = a[(r0+i)*lda+p0:][:kc]
			}
			for p := 0; p < kc; p++ {
				col := panel[p*mr : p*mr+rows]
				for i := range col {
					col[i] = alpha * src[i][p]
				}
			}
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
func packB(dst []float32, trans bool, b []float32, ldb, p0, kc, j0, j1, nr int) {
	for s := 0; j0+s*nr < j1; s++ {
		strip := dst[s*nr*kc : (s+1)*nr*kc]
		c0 := j0 + s*nr
		cols := min(nr, j1-c0)
		switch {
		case trans:
			var src [maxTile][]float32
			for j := 0; j < cols; j++ {
				src[j] = b[(c0+j)*ldb+p0:][:kc]
			}
			for p := 0; p < kc; p++ {
				row := strip[p*nr : p*nr+cols]
				for j := range row {
					row[j] = src[j][p]
				}
			}
		case cols == 32 && nr == 32:
			for p := 0; p < kc; p++ {
				*(*[32]float32)(strip[p*32:]) = *(*[32]float32)(b[(p0+p)*ldb+c0:])
			}
		case cols == 16 && nr == 16:
			for p := 0; p < kc; p++ {
				*(*[16]float32)(strip[p*16:]) = *(*[16]float32)(b[(p0+p)*ldb+c0:])
			}
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
