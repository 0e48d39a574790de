package vec

// copyRowsGeneric copies blocks of rows rows of width floats from src, where
// the rows of a block are ld apart, to dst, where they lie one after
// another: dst[b·db+r·width+j] = src[b·sb+r·ld+j].
func copyRowsGeneric(dst, src []float32, blocks, rows, width, ld, db, sb int) {
	for b := range blocks {
		for r := range rows {
			d, s := b*db+r*width, b*sb+r*ld
			copy(dst[d:d+width], src[s:s+width])
		}
	}
}

// addRowsGeneric is copyRows' adjoint: it adds blocks of rows rows of width
// floats, lying one after another in src, to rows ld apart in dst:
// dst[b·db+r·ld+j] += src[b·sb+r·width+j].
func addRowsGeneric(dst, src []float32, blocks, rows, width, ld, db, sb int) {
	for b := range blocks {
		for r := range rows {
			d, s := dst[b*db+r*ld:b*db+r*ld+width], src[b*sb+r*width:b*sb+(r+1)*width]
			for j, v := range s {
				d[j] += v
			}
		}
	}
}

// gatherRowsGeneric copies row idx[i] of table to row i of dst, rows of d
// floats: dst[i·d+j] = table[idx[i]·d+j] for i < len(idx), j < d (the
// assembly twins also prefetch the row 64 positions ahead before each
// copy). d must be positive and the indices in range: the caller checks
// them.
func gatherRowsGeneric(dst, table []float32, idx []int32, d int) {
	for i, x := range idx {
		r := int(x) * d
		copy(dst[i*d:(i+1)*d], table[r:r+d])
	}
}
