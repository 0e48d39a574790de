package main

import (
	"fmt"
	"math"
)

// fitNodes is the number of Chebyshev nodes a fit samples.
const fitNodes = 4000

// poly is a polynomial fitted by fit: coefficients lowest degree first,
// rounded to float32, and the largest weighted error of the rounded
// polynomial at the nodes (evaluated in float64).
type poly struct {
	c   []float32
	err float64
}

// fit returns the degree-d polynomial P(u) minimising Σ (w(u)·(P(u) −
// f(u)))² over Chebyshev nodes of [a, b]: a weighted least-squares fit,
// which for smooth f is within a small factor of the minimax polynomial.
// The weight turns the error of P into the relative error of the function
// the kernel builds from P. The system is solved by Householder QR on the
// column-scaled Vandermonde matrix, which stays well conditioned at the
// small degrees used here.
func fit(f, w func(u float64) float64, a, b float64, d int) poly {
	m, n := fitNodes, d+1
	us := make([]float64, m)
	A := make([][]float64, m)
	rhs := make([]float64, m)
	for i := range us {
		u := (a+b)/2 + (b-a)/2*math.Cos(math.Pi*(float64(i)+0.5)/float64(m))
		us[i] = u
		A[i] = make([]float64, n)
		p := w(u)
		for j := range n {
			A[i][j] = p
			p *= u
		}
		rhs[i] = w(u) * f(u)
	}
	scale := make([]float64, n)
	for j := range n {
		var s float64
		for i := range m {
			s += A[i][j] * A[i][j]
		}
		scale[j] = math.Sqrt(s)
		for i := range m {
			A[i][j] /= scale[j]
		}
	}
	// Householder QR, applying each reflection to rhs as well.
	for k := range n {
		var norm float64
		for i := k; i < m; i++ {
			norm += A[i][k] * A[i][k]
		}
		norm = math.Copysign(math.Sqrt(norm), A[k][k])
		v := make([]float64, m)
		v[k] = A[k][k] + norm
		for i := k + 1; i < m; i++ {
			v[i] = A[i][k]
		}
		var vv float64
		for i := k; i < m; i++ {
			vv += v[i] * v[i]
		}
		reflect := func(col func(i int) *float64) {
			var dot float64
			for i := k; i < m; i++ {
				dot += v[i] * *col(i)
			}
			for i := k; i < m; i++ {
				*col(i) -= 2 * dot / vv * v[i]
			}
		}
		for j := k; j < n; j++ {
			reflect(func(i int) *float64 { return &A[i][j] })
		}
		reflect(func(i int) *float64 { return &rhs[i] })
	}
	c := make([]float64, n)
	for j := n - 1; j >= 0; j-- {
		s := rhs[j]
		for l := j + 1; l < n; l++ {
			s -= A[j][l] * c[l]
		}
		c[j] = s / A[j][j]
	}
	p := poly{c: make([]float32, n)}
	for j := range n {
		p.c[j] = float32(c[j] / scale[j])
	}
	for _, u := range us {
		var v float64
		for j := n - 1; j >= 0; j-- {
			v = v*u + float64(p.c[j])
		}
		p.err = max(p.err, math.Abs(w(u)*(v-f(u))))
	}
	return p
}

// goArray formats p as a Go array literal.
func (p poly) goArray() string {
	s := "[...]float32{"
	for j, c := range p.c {
		if j > 0 {
			s += ", "
		}
		s += fmt.Sprint(c)
	}
	return s + "}"
}

// The polynomials of the transcendental kernels. Each fit's weight makes
// its error the relative error of the function built from it.
var (
	// expPoly: e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2.
	expPoly = fit(
		func(r float64) float64 { return (math.Expm1(r) - r) / (r * r) },
		func(r float64) float64 { return r * r / math.Exp(r) },
		-math.Ln2/2, math.Ln2/2, 4)
	// tanhPoly: tanh x ≈ x + x³·P(x²) on |x| ≤ tanhSmall.
	tanhPoly = fit(
		func(u float64) float64 { x := math.Sqrt(u); return (math.Tanh(x) - x) / (x * u) },
		func(u float64) float64 { x := math.Sqrt(u); return x * u / math.Tanh(x) },
		0, tanhSmall*tanhSmall, 5)
	// log1pPoly: log(1+t) = 2·atanh(s) ≈ 2s + 2s³·P(s²) for s = t/(2+t),
	// 0 ≤ t ≤ 1, so 0 ≤ s ≤ 1/3.
	log1pPoly = fit(
		func(u float64) float64 { s := math.Sqrt(u); return (math.Atanh(s) - s) / (s * u) },
		func(u float64) float64 { s := math.Sqrt(u); return s * u / math.Atanh(s) },
		0, 1.0/9, 4)
	// logPoly: ln m = 2·atanh(t/2) ≈ t + t³·P(t²) for t = 2(m−1)/(m+1),
	// m in [¾, 3/2), so −2/7 ≤ t ≤ 2/5.
	logPoly = fit(
		func(v float64) float64 { t := math.Sqrt(v); return (2*math.Atanh(t/2) - t) / (t * v) },
		func(v float64) float64 { t := math.Sqrt(v); return t * v / (2 * math.Atanh(t/2)) },
		0, 4.0/25, 2)
)

// tanhSmall is the |x| below which tanh uses its odd polynomial rather
// than 1 − 2/(e^(2|x|) + 1), whose cancellation grows as |x| shrinks.
const tanhSmall = 0.625
