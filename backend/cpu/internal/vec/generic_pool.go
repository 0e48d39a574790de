package vec

// maxPool2Generic sets, for each of the oh×ow outputs of 2×2 max pooling
// with stride 2 over the plane x of rows w floats apart, y[r·ow+j] to the
// first greatest of x[2r·w+2j], x[2r·w+2j+1], x[(2r+1)·w+2j] and
// x[(2r+1)·w+2j+1] in that order (a later element wins only if it compares
// greater, so a NaN wins only in first place) and arg[r·ow+j] to its index
// as a float32 in a plane of rows of width aw: 2r·aw+2j, plus 1 for the
// second column, plus aw for the second row.
func maxPool2Generic(y, arg, x []float32, w, aw, oh, ow int) {
	for r := range oh {
		base := 2 * r * w
		r0, r1 := x[base:base+2*ow], x[base+w:base+w+2*ow]
		yr, ar := y[r*ow:(r+1)*ow], arg[r*ow:(r+1)*ow]
		for j := range yr {
			m, k := r0[2*j], 0
			if v := r0[2*j+1]; v > m {
				m, k = v, 1
			}
			if v := r1[2*j]; v > m {
				m, k = v, aw
			}
			if v := r1[2*j+1]; v > m {
				m, k = v, aw+1
			}
			yr[j] = m
			ar[j] = float32(2*r*aw + 2*j + k)
		}
	}
}

// maxPool2GradGeneric is maxPool2's gradient: for each output it sets the
// four elements of its window in dx (rows w floats apart) to 0 but the one
// arg names (as an index in rows of width aw), which gets dy. It returns
// false, leaving dx partly written, as soon as an arg names no element of
// its own window.
func maxPool2GradGeneric(dx, dy, arg []float32, w, aw, oh, ow int) bool {
	fw := float32(aw)
	for r := range oh {
		base := 2 * r * w
		d0, d1 := dx[base:base+2*ow], dx[base+w:base+w+2*ow]
		gr, ar := dy[r*ow:(r+1)*ow], arg[r*ow:(r+1)*ow]
		for j, g := range gr {
			var a, b, c, d float32
			switch ar[j] - float32(2*r*aw+2*j) {
			case 0:
				a = g
			case 1:
				b = g
			case fw:
				c = g
			case fw + 1:
				d = g
			default:
				return false
			}
			d0[2*j], d0[2*j+1], d1[2*j], d1[2*j+1] = a, b, c, d
		}
	}
	return true
}
