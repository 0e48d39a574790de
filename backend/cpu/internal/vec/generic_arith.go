package vec

// addGeneric sets dst[i] = a[i] + b[i].
func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = v + b[i]
	}
}

// mulGeneric sets dst[i] = a[i]·b[i].
func mulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = v * b[i]
	}
}

// scaleGeneric sets x[i] = alpha·x[i].
func scaleGeneric(x []float32, alpha float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// axpyGeneric sets y[i] = alpha·x[i] + y[i] (one rounding where the level has
// FMA, two otherwise).
func axpyGeneric(y, x []float32, alpha float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// fillGeneric sets every dst[i] to v.
func fillGeneric(dst []float32, v float32) {
	for i := range dst {
		dst[i] = v
	}
}

// addConstGeneric sets x[i] = x[i] + v.
func addConstGeneric(x []float32, v float32) {
	for i := range x {
		x[i] += v
	}
}

// scaleShiftGeneric sets dst[i] = x[i]·scale + shift (one rounding where the
// level has FMA, two otherwise).
func scaleShiftGeneric(dst, x []float32, scale, shift float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v*scale + shift
	}
}
