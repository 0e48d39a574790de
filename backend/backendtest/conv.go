package backendtest

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// convCase is a convolution geometry with its number of filters F.
type convCase struct {
	g     backend.ConvGeom
	f     int
	large bool // too large for central differences
}

func (c convCase) String() string { return fmt.Sprintf("%+v F:%d", c.g, c.f) }

// xShape, wShape and yShape return the shapes of the input, the filters
// and the output.
func (c convCase) xShape() []int { return []int{c.g.N, c.g.C, c.g.H, c.g.W} }
func (c convCase) wShape() []int { return []int{c.f, c.g.C, c.g.KH, c.g.KW} }
func (c convCase) yShape() []int { return []int{c.g.N, c.f, c.g.OutH(), c.g.OutW()} }

// convCases returns the geometries of convGeoms with 1 to 4 filters, then
// the two convolutions of the MNIST example network at a small batch.
func convCases(rng *rand.Rand) []convCase {
	var cases []convCase
	for _, g := range convGeoms(rng) {
		cases = append(cases, convCase{g: g, f: 1 + rng.Intn(4)})
	}
	n := 2
	if testing.Short() {
		n = 1
	}
	return append(cases,
		convCase{g: conv(n, 1, 28, 28, 3, 3, 1, 1, 0, 0, 1, 1), f: 32, large: true},
		convCase{g: conv(n, 32, 26, 26, 3, 3, 1, 1, 0, 0, 1, 1), f: 64, large: true})
}

// fdSamples returns how many elements of a gradient the central-difference
// checks probe.
func fdSamples() int {
	if testing.Short() {
		return 6
	}
	return 24
}

// convTaps calls f(xi, wi, yi) for every product x[xi]·w[wi] that
// contributes to y[yi] in the convolution c, in NCHW, FCHW and NFHW
// layouts; taps in the padding are skipped.
func convTaps(c convCase, f func(xi, wi, yi int)) {
	g := c.g
	oh, ow := g.OutH(), g.OutW()
	for n := range g.N {
		for k := range c.f {
			for p := range oh {
				for q := range ow {
					yi := ((n*c.f+k)*oh+p)*ow + q
					for ch := range g.C {
						for i := range g.KH {
							h := p*g.StrideH - g.PadH + i*g.DilH
							if h < 0 || h >= g.H {
								continue
							}
							for j := range g.KW {
								w := q*g.StrideW - g.PadW + j*g.DilW
								if w < 0 || w >= g.W {
									continue
								}
								f(((n*g.C+ch)*g.H+h)*g.W+w, ((k*g.C+ch)*g.KH+i)*g.KW+j, yi)
							}
						}
					}
				}
			}
		}
	}
}

// conv2dRef returns the convolution of x with w.
func conv2dRef(c convCase, x, w []float64) []float64 {
	y := make([]float64, backend.Shape(c.yShape()).Len())
	convTaps(c, func(xi, wi, yi int) { y[yi] += x[xi] * w[wi] })
	return y
}

// convDataRef returns ∂L/∂x for ∂L/∂y = dy.
func convDataRef(c convCase, dy, w []float64) []float64 {
	dx := make([]float64, backend.Shape(c.xShape()).Len())
	convTaps(c, func(xi, wi, yi int) { dx[xi] += dy[yi] * w[wi] })
	return dx
}

// convFilterRef returns ∂L/∂w for input x and ∂L/∂y = dy.
func convFilterRef(c convCase, x, dy []float64) []float64 {
	dw := make([]float64, backend.Shape(c.wShape()).Len())
	convTaps(c, func(xi, wi, yi int) { dw[wi] += dy[yi] * x[xi] })
	return dw
}

// convData returns random inputs, filters and output gradients for c.
func convData(rng *rand.Rand, c convCase) (x, w, dy []float32) {
	return uniform(rng, backend.Shape(c.xShape()).Len(), -1, 1),
		uniform(rng, backend.Shape(c.wShape()).Len(), -1, 1),
		uniform(rng, backend.Shape(c.yShape()).Len(), -1, 1)
}

// checkConv2D checks Conv2D against the direct reference.
func checkConv2D(t *testing.T, b backend.Backend) {
	rng := newRand(5)
	for _, c := range convCases(rng) {
		x, w, _ := convData(rng, c)
		ty := poisoned(t, b, c.yShape()...)
		b.Conv2D(upload(t, b, x, c.xShape()...), upload(t, b, w, c.wShape()...), ty, c.g)
		want := conv2dRef(c, wide(x), wide(w))
		mag := conv2dRef(c, absAll(wide(x)), absAll(wide(w)))
		expectClose(t, "Conv2D "+c.String(), download(b, ty), want, sumBounds(mag, c.g.C*c.g.KH*c.g.KW))
	}
}

// checkConv2DBackwardData checks Conv2DBackwardData against the reference
// gradient and by central differences of L = Σ dy∘Conv2D(x, w) in x.
func checkConv2DBackwardData(t *testing.T, b backend.Backend) {
	rng := newRand(6)
	for _, c := range convCases(rng) {
		x, w, dy := convData(rng, c)
		tdx := poisoned(t, b, c.xShape()...)
		b.Conv2DBackwardData(upload(t, b, dy, c.yShape()...), upload(t, b, w, c.wShape()...), tdx, c.g)
		got := download(b, tdx)
		what := "Conv2DBackwardData " + c.String()
		want := convDataRef(c, wide(dy), wide(w))
		bound := sumBounds(convDataRef(c, absAll(wide(dy)), absAll(wide(w))), c.f*c.g.KH*c.g.KW)
		if !expectClose(t, what, got, want, bound) || c.large {
			continue
		}
		w64, dy64 := wide(w), wide(dy)
		loss := func(x []float64) float64 { return dot(dy64, conv2dRef(c, x, w64)) }
		idx := sample(rng, len(x), fdSamples())
		expectGradient(t, what, got, idx, centralDiff(loss, wide(x), idx), bound)
	}
}

// checkConv2DBackwardFilter checks Conv2DBackwardFilter against the
// reference gradient and by central differences of L = Σ dy∘Conv2D(x, w)
// in w.
func checkConv2DBackwardFilter(t *testing.T, b backend.Backend) {
	rng := newRand(7)
	for _, c := range convCases(rng) {
		x, w, dy := convData(rng, c)
		tdw := poisoned(t, b, c.wShape()...)
		b.Conv2DBackwardFilter(upload(t, b, x, c.xShape()...), upload(t, b, dy, c.yShape()...), tdw, c.g)
		got := download(b, tdw)
		what := "Conv2DBackwardFilter " + c.String()
		want := convFilterRef(c, wide(x), wide(dy))
		bound := sumBounds(convFilterRef(c, absAll(wide(x)), absAll(wide(dy))), c.g.N*c.g.OutH()*c.g.OutW())
		if !expectClose(t, what, got, want, bound) || c.large {
			continue
		}
		x64, dy64 := wide(x), wide(dy)
		loss := func(w []float64) float64 { return dot(dy64, conv2dRef(c, x64, w)) }
		idx := sample(rng, len(w), fdSamples())
		expectGradient(t, what, got, idx, centralDiff(loss, wide(w), idx), bound)
	}
}
