package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// colShape returns the shape [N, C·KH·KW, OH·OW] of g's column tensor.
func colShape(g backend.ConvGeom) []int {
	return []int{g.N, g.C * g.KH * g.KW, g.OutH() * g.OutW()}
}

// forTaps calls f(xi, ci) for every pair of an input element x[xi] and the
// column entry col[ci] that Im2Col copies it to, in the layouts of g; taps
// that fall in the padding are skipped.
func forTaps(g backend.ConvGeom, f func(xi, ci int)) {
	oh, ow := g.OutH(), g.OutW()
	for n := range g.N {
		for c := range g.C {
			for i := range g.KH {
				for j := range g.KW {
					row := (n*g.C+c)*g.KH*g.KW + i*g.KW + j
					for y := range oh {
						h := y*g.StrideH - g.PadH + i*g.DilH
						if h < 0 || h >= g.H {
							continue
						}
						for x := range ow {
							w := x*g.StrideW - g.PadW + j*g.DilW
							if w < 0 || w >= g.W {
								continue
							}
							f(((n*g.C+c)*g.H+h)*g.W+w, (row*oh+y)*ow+x)
						}
					}
				}
			}
		}
	}
}

// im2colRef returns Im2Col of x: zero where a tap falls in the padding.
func im2colRef(x []float32, g backend.ConvGeom) []float32 {
	col := make([]float32, backend.Shape(colShape(g)).Len())
	forTaps(g, func(xi, ci int) { col[ci] = x[xi] })
	return col
}

// col2imRef returns Col2Im of col: each input element the sum of the
// column entries that Im2Col copies it to.
func col2imRef(col []float64, g backend.ConvGeom) []float64 {
	x := make([]float64, g.N*g.C*g.H*g.W)
	forTaps(g, func(xi, ci int) { x[xi] += col[ci] })
	return x
}

// checkIm2Col checks that Im2Col moves exactly the right elements.
func checkIm2Col(t *testing.T, b backend.Backend) {
	rng := newRand(3)
	for _, g := range convGeoms(rng) {
		x := uniform(rng, g.N*g.C*g.H*g.W, -1, 1)
		tx := upload(t, b, x, g.N, g.C, g.H, g.W)
		col := poisoned(t, b, colShape(g)...)
		b.Im2Col(tx, col, g)
		expectExact(t, fmt.Sprintf("Im2Col %+v", g), download(b, col), im2colRef(x, g))
	}
}

// checkCol2Im checks Col2Im against the plain reference and as the adjoint
// of Im2Col: ⟨Im2Col(x), c⟩ = ⟨x, Col2Im(c)⟩.
func checkCol2Im(t *testing.T, b backend.Backend) {
	rng := newRand(4)
	for _, g := range convGeoms(rng) {
		xLen, cLen := g.N*g.C*g.H*g.W, backend.Shape(colShape(g)).Len()
		// Every input element receives at most KH·KW column entries.
		terms := g.KH * g.KW

		c := uniform(rng, cLen, -1, 1)
		tc := upload(t, b, c, colShape(g)...)
		tx := poisoned(t, b, g.N, g.C, g.H, g.W)
		b.Col2Im(tc, tx, g)
		got := download(b, tx)
		mag := col2imRef(absAll(wide(c)), g)
		expectClose(t, fmt.Sprintf("Col2Im %+v", g), got, col2imRef(wide(c), g), sumBounds(mag, terms))

		x := uniform(rng, xLen, -1, 1)
		tx2 := upload(t, b, x, g.N, g.C, g.H, g.W)
		tcol := poisoned(t, b, colShape(g)...)
		b.Im2Col(tx2, tcol, g)
		lhs := dot(wide(download(b, tcol)), wide(c))
		rhs := dot(wide(x), wide(got))
		// Col2Im's own error, weighted by |x|, plus float64 rounding.
		m := dot(absAll(wide(x)), mag)
		if tol := gamma(terms+2)*m + 1e-12*m; !(math.Abs(lhs-rhs) <= tol) {
			t.Errorf("Col2Im %+v is not the adjoint of Im2Col: ⟨Im2Col(x), c⟩ = %v, ⟨x, Col2Im(c)⟩ = %v (difference %.3g, tolerance %.3g)",
				g, lhs, rhs, math.Abs(lhs-rhs), tol)
		}
	}
}
