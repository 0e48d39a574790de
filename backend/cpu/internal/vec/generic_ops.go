package vec

import "math"

// subGeneric sets dst[i] = a[i] − b[i].
func subGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = v - b[i]
	}
}

// divGeneric sets dst[i] = a[i]/b[i].
func divGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = v / b[i]
	}
}

// maxProp returns max(a, b), NaN if either is NaN (a's NaN if both): the
// result of the assembly's VMAXPS with a's NaN restored.
func maxProp(a, b float32) float32 {
	if a > b || a != a {
		return a
	}
	return b
}

// minProp returns min(a, b), NaN if either is NaN (a's NaN if both).
func minProp(a, b float32) float32 {
	if a < b || a != a {
		return a
	}
	return b
}

// maxGeneric sets dst[i] = max(a[i], b[i]), NaN if either is NaN (a's NaN if both).
func maxGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = maxProp(v, b[i])
	}
}

// minGeneric sets dst[i] = min(a[i], b[i]), NaN if either is NaN (a's NaN if both).
func minGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = minProp(v, b[i])
	}
}

// addScalarGeneric sets dst[i] = x[i] + s.
func addScalarGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v + s
	}
}

// subScalarGeneric sets dst[i] = x[i] − s.
func subScalarGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v - s
	}
}

// rsubScalarGeneric sets dst[i] = s − x[i].
func rsubScalarGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = s - v
	}
}

// mulScalarGeneric sets dst[i] = x[i]·s.
func mulScalarGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v * s
	}
}

// divScalarGeneric sets dst[i] = x[i]/s.
func divScalarGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v / s
	}
}

// rdivScalarGeneric sets dst[i] = s/x[i].
func rdivScalarGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = s / v
	}
}

// maxScalarGeneric sets dst[i] = max(x[i], s), NaN if either is NaN (x's NaN if both).
func maxScalarGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = maxProp(v, s)
	}
}

// minScalarGeneric sets dst[i] = min(x[i], s), NaN if either is NaN (x's NaN if both).
func minScalarGeneric(dst, x []float32, s float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = minProp(v, s)
	}
}

// quietNaN is the NaN log returns for a negative or NaN argument.
var quietNaN = math.Float32frombits(0x7fc00000)

// log32 returns ln x as logGeneric computes it.
func log32(x float32) float32 {
	switch {
	case !(x >= 0):
		return quietNaN
	case x == 0:
		return float32(math.Inf(-1))
	case x > math.MaxFloat32:
		return x
	}
	var adj float32
	if x < 0x1p-126 {
		x *= 0x1p23
		adj = 23
	}
	ix := math.Float32bits(x) + (0x3f800000 - 0x3f400000)
	e := float32(int32(ix>>23)-127) - adj
	m := math.Float32frombits(ix&0x007fffff + 0x3f400000)
	f := m - 1
	t := f / (f*0.5 + 1)
	v := t * t
	p := t*v*horner(logPoly[:], v) + t
	return e*ln2Hi + (e*ln2Lo + p)
}

// logGeneric sets dst[i] = ln x[i]: x = 2^e·m with m in [¾, 3/2) (subnormals
// normalised), ln m = t + t³·P(t²) with t = 2(m−1)/(m+1) and P = logPoly,
// plus e·ln2. Relative error at most 2·10⁻⁷ (absolute 10⁻⁷ near x = 1);
// −Inf at ±0, +Inf at +Inf, NaN below 0 and for NaN.
func logGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = log32(v)
	}
}

// sqrtGeneric sets dst[i] = √x[i], correctly rounded; NaN below −0.
func sqrtGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Sqrt(float64(v)))
	}
}

// rsqrtGeneric sets dst[i] = 1/√x[i], the square root and the quotient each
// correctly rounded.
func rsqrtGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = 1 / float32(math.Sqrt(float64(v)))
	}
}

// absGeneric sets dst[i] = |x[i]| (the sign bit cleared).
func absGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
	}
}

// negGeneric sets dst[i] = −x[i] (the sign bit flipped).
func negGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = math.Float32frombits(math.Float32bits(v) ^ (1 << 31))
	}
}

// squareGeneric sets dst[i] = x[i]².
func squareGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v * v
	}
}

// recipGeneric sets dst[i] = 1/x[i], correctly rounded.
func recipGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = 1 / v
	}
}

// clampGeneric sets dst[i] = min(max(x[i], lo), hi), a NaN in x kept
// (torch.clamp); hi where lo > hi.
func clampGeneric(dst, x []float32, lo, hi float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = minNaN(maxNaN(v, lo), hi)
	}
}

// addWideRowsGeneric adds rows rows of len(acc) floats, ld apart in x, to the
// float64 accumulator acc, in row order for every column:
// acc[i] = (…(acc[i] + x[i]) + x[ld+i]) + … + x[(rows−1)·ld+i], each
// addition in float64 (exact in its operands): the accumulation of the
// axis reductions, which reads each acc vector once per call.
func addWideRowsGeneric(acc []float64, x []float32, ld, rows int) {
	for r := range rows {
		row := x[r*ld : r*ld+len(acc)]
		for i, v := range row {
			acc[i] += float64(v)
		}
	}
}

// maxRowGeneric returns the largest element of x, −Inf if x is empty, and the
// quiet NaN 0x7fc00000 if any element is NaN (torch.amax); which of +0
// and −0 it returns when they tie is unspecified.
func maxRowGeneric(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v != v {
			return quietNaN
		}
		if v > m {
			m = v
		}
	}
	return m
}

// maxRowsGeneric sets m[i] = max(m[i], x[i], x[ld+i], …, x[(rows−1)·ld+i]) for
// every i < len(m), NaN where any of them is NaN (m's NaN first): the
// axis maxima, which read each m vector once per call.
func maxRowsGeneric(m, x []float32, ld, rows int) {
	for r := range rows {
		row := x[r*ld : r*ld+len(m)]
		for i, v := range row {
			m[i] = maxProp(m[i], v)
		}
	}
}
