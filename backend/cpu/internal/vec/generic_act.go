package vec

// reluGeneric sets dst[i] = max(x[i], 0): 0 where x[i] < 0, x[i] otherwise (so
// −0 and NaN pass through).
func reluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = relu32(v)
	}
}

// reluGradGeneric sets dx[i] = dy[i] where x[i] > 0 and 0 elsewhere, deciding
// x[i] > 0 from its bits (sign clear, not zero), so a NaN with its sign
// clear counts as positive.
func reluGradGeneric(dx, x, dy []float32) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	for i, v := range x {
		dx[i] = choose(positiveMask(v), dy[i], 0)
	}
}

// leakyReluGeneric sets dst[i] = x[i] where x[i] > 0 (by its bits, as in
// reluGrad) and alpha·x[i] elsewhere.
func leakyReluGeneric(dst, x []float32, alpha float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = choose(positiveMask(v), v, v*alpha)
	}
}

// leakyReluGradGeneric sets dx[i] = dy[i] where x[i] > 0 (by its bits, as in
// reluGrad) and alpha·dy[i] elsewhere.
func leakyReluGradGeneric(dx, x, dy []float32, alpha float32) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	for i, v := range x {
		d := dy[i]
		dx[i] = choose(positiveMask(v), d, d*alpha)
	}
}

// eluGeneric sets dst[i] = x[i] where x[i] > 0 (by its bits, as in reluGrad)
// and alpha·(e^x[i] − 1) elsewhere, with e^x − 1 computed as
// (2^k − 1) + 2^k·q from expPoly so that it keeps its relative accuracy
// near 0: at most 2·10⁻⁷ relative error (absolute below 10⁻⁸·|alpha|
// where that is larger).
func eluGeneric(dst, x []float32, alpha float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = choose(positiveMask(v), v, expm1Neg(v)*alpha)
	}
}

// eluGradGeneric sets dx[i] = dy[i] where x[i] > 0 (by its bits, as in
// reluGrad) and dy[i]·(y[i] + alpha) elsewhere, y being elu's output.
func eluGradGeneric(dx, x, y, dy []float32, alpha float32) {
	x, y, dy = x[:len(dx)], y[:len(dx)], dy[:len(dx)]
	for i, v := range x {
		d := dy[i]
		dx[i] = choose(positiveMask(v), d, d*(y[i]+alpha))
	}
}

// expGeneric sets dst[i] = e^x[i]: x is clamped to [−104, 89], split as
// k·ln2 + r with |r| ≤ ln2/2, and e^r = 1 + r + r²·P(r) (expPoly) is
// scaled by 2^k. Relative error at most 2·10⁻⁷ for normal results; +Inf
// above 88.72, 0 below −103.97, subnormals in between, NaN for NaN.
func expGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = exp32(v)
	}
}

// sigmoidGeneric sets dst[i] = 1/(1 + e^−x[i]) with exp's e^x: relative error
// at most 4·10⁻⁷; it saturates to 1 above 17 and underflows to 0 below
// −88.7 (absolute error below 10⁻³⁸), NaN for NaN.
func sigmoidGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = sigmoid32(v)
	}
}

// sigmoidGradGeneric sets dx[i] = dy[i]·y[i]·(1 − y[i]), y being sigmoid's
// output.
func sigmoidGradGeneric(dx, y, dy []float32) {
	y, dy = y[:len(dx)], dy[:len(dx)]
	for i, s := range y {
		dx[i] = dy[i] * s * (1 - s)
	}
}

// tanhGeneric sets dst[i] = tanh x[i]: x + x³·P(x²) (tanhPoly) for |x| below
// tanhSmall, ±(1 − 2/(e^(2|x|) + 1)) with exp's e^x above. Relative
// error at most 3·10⁻⁷; ±1 beyond |x| = 9.1, NaN for NaN.
func tanhGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = tanh32(v)
	}
}

// tanhGradGeneric sets dx[i] = dy[i]·(1 − y[i]²), y being tanh's output.
func tanhGradGeneric(dx, y, dy []float32) {
	y, dy = y[:len(dx)], dy[:len(dx)]
	for i, t := range y {
		dx[i] = dy[i] * (1 - t*t)
	}
}

// softplusGeneric sets dst[i] = log(1 + e^x[i]) as max(x, 0) + log(1 + t) with
// t = e^−|x| from exp and log(1 + t) = 2s + 2s³·P(s²) (log1pPoly),
// s = t/(2+t): relative error at most 3·10⁻⁷, never overflowing; x
// itself above 17, NaN for NaN.
func softplusGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = softplus32(v)
	}
}

// softplusGradGeneric sets dx[i] = dy[i]·σ(x[i]), σ computed as in sigmoid.
func softplusGradGeneric(dx, x, dy []float32) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	for i, v := range x {
		dx[i] = dy[i] * sigmoid32(v)
	}
}
