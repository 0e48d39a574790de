package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// splitMix64 is the finaliser of Steele, Lea and Flood's SplitMix64
// generator (Vigna's constants), written out here independently of
// package backend: three xor-shift-multiply rounds that map a 64-bit
// state to a well-mixed 64-bit output.
func splitMix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// dropoutUniformRef is the draw DropoutMask makes for element i under
// seed, from its definition: the top 24 bits of splitMix64 of
// seed + (i+1)·φ, φ = ⌊2⁶⁴/golden ratio⌋ = 0x9E3779B97F4A7C15 (wrapping),
// divided by 2²⁴.
func dropoutUniformRef(seed uint64, i int) float64 {
	const phi = 0x9e3779b97f4a7c15
	return float64(splitMix64(seed+uint64(i+1)*phi)>>40) / (1 << 24)
}

// checkDropoutMask checks DropoutMask against an independent
// implementation of its hash: every element must be exactly 0 where the
// draw is below p and 1/(1−p) (to 2u, for the rounding of the division)
// elsewhere. It checks that p = 0 keeps everything at exactly 1, that
// p = 0.5 keeps a fraction within 5 standard deviations of the binomial,
// and that p < 0 and p ≥ 1 panic naming the op. backend.DropoutUniform
// must agree with the reference too.
func checkDropoutMask(t *testing.T, b backend.Backend) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	for _, c := range []struct {
		p     float32
		seed  uint64
		shape []int
	}{
		{0.5, 1, []int{n}},
		{0.2, 0xdeadbeefcafef00d, []int{7, 3, 11, 13}},
		{0.9, 42, []int{64, 100}},
		{0.5, 1<<64 - 1, []int{1000}}, // seed + (i+1)·φ wraps around
		{0, 7, []int{33, 3}},
		{0.999, 3, []int{5000}},
	} {
		tm := poisoned(t, b, c.shape...)
		b.DropoutMask(tm, c.p, c.seed)
		got := download(b, tm)
		what := fmt.Sprintf("DropoutMask %v, p = %g, seed %#x", c.shape, c.p, c.seed)
		keep := 1 / (1 - float64(c.p))
		want, bound := make([]float64, len(got)), make([]float64, len(got))
		kept := 0
		for i := range got {
			u := dropoutUniformRef(c.seed, i)
			if u >= float64(c.p) {
				want[i], bound[i] = keep, 2*unitRoundoff*keep
				kept++
			}
			if i < 1000 && float64(backend.DropoutUniform(c.seed, i)) != u {
				t.Errorf("backend.DropoutUniform(%#x, %d) = %v, want %v", c.seed, i, backend.DropoutUniform(c.seed, i), u)
			}
		}
		expectClose(t, what, got, want, bound)
		if c.p == 0 {
			expectExact(t, what+": all kept", got, narrow(want))
		}
		if c.p == 0.5 && len(got) == n {
			mean, sd := float64(n)/2, math.Sqrt(float64(n)/4)
			if math.Abs(float64(kept)-mean) > 5*sd {
				t.Errorf("%s: %d of %d kept, want %g ± %g (5 standard deviations)", what, kept, n, mean, 5*sd)
			}
		}
	}
	for _, p := range []float32{-0.1, 1, 1.5} {
		expectPanic(t, "DropoutMask", fmt.Sprintf("p = %g", p), func() { b.DropoutMask(b.Alloc(10), p, 1) })
	}
}
