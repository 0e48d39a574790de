package backendtest

import (
	"math"
	"testing"
)

// Tolerances. See the package documentation for the policy behind them.
const (
	// unitRoundoff is u = 2⁻²⁴, the relative error of one float32
	// rounding.
	unitRoundoff = 0x1p-24

	// elemTol bounds the error of one correctly rounded float32 operation
	// (Add, Mul, Scale, AddBias) relative to the exact result: u, doubled
	// for margin.
	elemTol = 2 * unitRoundoff

	// sumTol bounds the error of Sum over long vectors relative to Σ|x|.
	// Pairwise summation guarantees about log₂(n)·u (1.2·10⁻⁶ for n = 10⁶)
	// and float64 accumulation far less, but naive float32 accumulation of
	// a million terms of one sign errs by about 10⁻⁴ and fails.
	sumTol = 1e-5

	// transRelTol is the relative error allowed in a value computed with
	// exp, log or tanh (activations, softmax, the loss): several dozen ulps,
	// so that fast float32 exp and log pass.
	transRelTol = 1e-5

	// transAbsTol is the absolute error allowed on top of transRelTol, on
	// the value's natural unit scale: a probability, an activation of unit
	// scale, or a derivative times |dy|. It lets a result that underflows
	// (sigmoid(−100) = 3.7·10⁻⁴⁴) or loses relative precision near a zero
	// of the function pass, while NaN, Inf and wrong formulas fail.
	transAbsTol = 1e-6

	// optTol is the error allowed per optimizer step, relative to the
	// unit-scale data the optimizer checks use: about 16 roundings, enough
	// for the handful of operations of a step and the error it inherits
	// from the state of the previous steps.
	optTol = 1e-6

	// fdTol is the slack a central-difference check adds to the bound of
	// the matching reference check, relative to the largest derivative
	// checked: it covers the float64 truncation (O(h²)) and rounding
	// (O(ε/h)) error of the differences with step fdStep.
	fdTol = 1e-6

	// fdStep is the step h of the central differences
	// (f(x+h) − f(x−h))/2h. The max-pool checks keep inputs at least 100h
	// apart so that no window's maximum changes within ±h.
	fdStep = 1e-4
)

// gamma returns γₙ = n·u/(1−n·u), the classical bound on the relative error
// of a float32 sum or dot product of n terms evaluated in any order:
// |fl(Σ xᵢ) − Σ xᵢ| ≤ γₙ₋₁·Σ|xᵢ|.
func gamma(n int) float64 {
	nu := float64(n) * unitRoundoff
	return nu / (1 - nu)
}

// sumBounds returns γₙ₊₂·mag[i] for each i: the bound on a float32 sum of
// n terms whose absolute values sum to mag[i], with two roundings to spare
// for a scale factor or an accumulation into the output.
func sumBounds(mag []float64, n int) []float64 {
	g := gamma(n + 2)
	bound := make([]float64, len(mag))
	for i, m := range mag {
		bound[i] = g * m
	}
	return bound
}

// relBounds returns rel·|want[i]| + abs[i] for each i.
func relBounds(want []float64, rel float64, abs []float64) []float64 {
	bound := make([]float64, len(want))
	for i, w := range want {
		bound[i] = rel*math.Abs(w) + abs[i]
	}
	return bound
}

// constant returns n copies of v.
func constant(n int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// scaled returns s·x.
func scaled(s float64, x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = s * v
	}
	return y
}

// expectClose fails t unless |got[i] − want[i]| ≤ bound[i] for every i (a
// NaN or an infinity never is). It reports how many elements fail and the
// first of them, and returns whether all passed.
func expectClose(t testing.TB, what string, got []float32, want, bound []float64) bool {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", what, len(got), len(want))
		return false
	}
	return closeAt(t, what, nil, got, want, bound)
}

// closeAt is expectClose for got[k] = element idx[k] of a tensor, which is
// the index it reports (k itself when idx is nil).
func closeAt(t testing.TB, what string, idx []int, got []float32, want, bound []float64) bool {
	t.Helper()
	bad, first := 0, -1
	for k, g := range got {
		if !(math.Abs(float64(g)-want[k]) <= bound[k]) {
			if bad == 0 {
				first = k
			}
			bad++
		}
	}
	if bad == 0 {
		return true
	}
	k, i := first, first
	if idx != nil {
		i = idx[k]
	}
	t.Errorf("%s: %d of %d elements out of tolerance; first at index %d: got %v, want %v (error %.3g, tolerance %.3g)",
		what, bad, len(got), i, got[k], want[k], math.Abs(float64(got[k])-want[k]), bound[k])
	return false
}

// expectExact fails t unless got[i] == want[i] for every i (so +0 equals
// −0 and NaN equals nothing). It reports how many elements differ and the
// first of them, and returns whether all matched.
func expectExact(t testing.TB, what string, got, want []float32) bool {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", what, len(got), len(want))
		return false
	}
	bad, first := 0, -1
	for i := range got {
		if got[i] != want[i] {
			if bad == 0 {
				first = i
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements differ; first at index %d: got %v, want %v (exact match required)",
			what, bad, len(got), first, got[first], want[first])
		return false
	}
	return true
}

// expectBits fails t unless got and want hold the same bit patterns.
func expectBits(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s: index %d: got bits %#08x (%v), want %#08x (%v)",
				what, i, math.Float32bits(got[i]), got[i], math.Float32bits(want[i]), want[i])
			return
		}
	}
}

// expectGradient compares got, a backend's gradient, at the indices idx
// with the central differences fd (fd[k] belongs to idx[k]), allowing the
// reference check's bound plus fdTol of the largest difference.
func expectGradient(t testing.TB, what string, got []float32, idx []int, fd, bound []float64) bool {
	t.Helper()
	slack := fdTol * maxAbs(fd)
	g := make([]float32, len(idx))
	b := make([]float64, len(idx))
	for k, i := range idx {
		g[k] = got[i]
		b[k] = bound[i] + slack
	}
	return closeAt(t, what+" vs central differences", idx, g, fd, b)
}

// centralDiff returns, for each i in idx, the central difference
// (f(x + h·eᵢ) − f(x − h·eᵢ))/2h with h = fdStep. It changes x in place and
// restores it.
func centralDiff(f func(x []float64) float64, x []float64, idx []int) []float64 {
	d := make([]float64, len(idx))
	for k, i := range idx {
		xi := x[i]
		x[i] = xi + fdStep
		plus := f(x)
		x[i] = xi - fdStep
		minus := f(x)
		x[i] = xi
		d[k] = (plus - minus) / (2 * fdStep)
	}
	return d
}
