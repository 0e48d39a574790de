package vec

import "math"

// Cody–Waite split of ln 2: ln2Hi has few enough bits that k·ln2Hi is exact
// for |k| < 2⁹.
const (
	ln2Hi = 0.693359375
	ln2Lo = -2.12194440e-4
)

// positiveMask returns all ones if x > 0 judged by its bits (sign clear and
// not zero, so a NaN with its sign clear counts as positive) and zero
// otherwise, without a branch, which random signs would mispredict half
// the time. The assembly kernels decide it with the same integer compare.
func positiveMask(x float32) uint32 {
	s := int32(math.Float32bits(x))
	return uint32((-s &^ s) >> 31)
}

// choose returns a where mask is all ones and b where it is zero.
func choose(mask uint32, a, b float32) float32 {
	return math.Float32frombits(math.Float32bits(a)&mask | math.Float32bits(b)&^mask)
}

// relu32 returns 0 for x < 0 and x otherwise (−0 and NaN included),
// without a branch.
func relu32(x float32) float32 {
	b := math.Float32bits(x)
	a := b &^ (1 << 31)
	neg := int32(b) >> 31            // sign set
	nonzero := int32(-a) >> 31       // not ±0
	nan := int32(0x7f800000-a) >> 31 // NaN
	return math.Float32frombits(b &^ uint32(neg&nonzero&^nan))
}

// maxNaN returns max(x, c), or x if it is NaN.
func maxNaN(x, c float32) float32 {
	if c > x {
		return c
	}
	return x
}

// minNaN returns min(x, c), or x if it is NaN.
func minNaN(x, c float32) float32 {
	if c < x {
		return c
	}
	return x
}

// horner returns Σ c[j]·u^j.
func horner(c []float32, u float32) float32 {
	p := c[len(c)-1]
	for j := len(c) - 2; j >= 0; j-- {
		p = p*u + c[j]
	}
	return p
}

// expParts splits x, clamped to [lo, hi], into k and q with
// e^x = 2^k·(1 + q): k = round(x·log₂e), r = x − k·ln2 (Cody–Waite) and
// q = r + r²·P(r), P = expPoly. A NaN x gives a NaN q.
func expParts(x, lo, hi float32) (k, q float32) {
	x = minNaN(maxNaN(x, lo), hi)
	k = float32(math.RoundToEven(float64(x * math.Log2E)))
	r := x - k*ln2Hi
	r -= k * ln2Lo
	return k, r*r*horner(expPoly[:], r) + r
}

// pow2 returns 2^k for an integer k in [−126, 127].
func pow2(k int32) float32 { return math.Float32frombits(uint32(k+127) << 23) }

// exp32 returns e^x as expGeneric computes it.
func exp32(x float32) float32 {
	k, q := expParts(x, -104, 89)
	if k != k {
		return q
	}
	// k lies in [−150, 128]: scale in two halves so that each factor is
	// normal and only the last product rounds.
	ki := int32(k)
	k1 := ki >> 1
	return (1 + q) * pow2(k1) * pow2(ki-k1)
}

// expm1Neg returns e^x − 1 for x ≤ 0 as (2^k − 1) + 2^k·q, whose first
// term is exact; x below −30 gives −1.
func expm1Neg(x float32) float32 {
	k, q := expParts(x, -30, 0)
	if k != k {
		return q
	}
	s := pow2(int32(k))
	return s*q + (s - 1)
}

// sigmoid32 returns 1/(1 + e^−x) as sigmoidGeneric computes it.
func sigmoid32(x float32) float32 { return 1 / (exp32(-x) + 1) }

// log1p01 returns log(1 + t) for t in [0, 1] as 2s + 2s³·P(s²) with
// s = t/(2+t), P = log1pPoly.
func log1p01(t float32) float32 {
	s := t / (t + 2)
	u := s * s
	p := s*u*horner(log1pPoly[:], u) + s
	return p + p
}

// tanh32 returns tanh x as tanhGeneric computes it.
func tanh32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	if a < tanhSmall {
		u := x * x
		return x*u*horner(tanhPoly[:], u) + x
	}
	t := 1 - 2/(exp32(a+a)+1)
	return math.Float32frombits(math.Float32bits(t) | math.Float32bits(x)&(1<<31))
}

// softplus32 returns log(1 + e^x) as softplusGeneric computes it.
func softplus32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	return maxNaN(x, 0) + log1p01(exp32(-a))
}
