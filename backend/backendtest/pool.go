package backendtest

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// poolShapes returns the input and output shapes of g.
func poolShapes(g backend.PoolGeom) (x, y []int) {
	return []int{g.N, g.C, g.H, g.W}, []int{g.N, g.C, g.OutH(), g.OutW()}
}

// poolTaps calls f(xi, yi) for every input element x[xi] in the window of
// output y[yi], window by window and within a window in row-major order;
// taps in the padding are skipped.
func poolTaps(g backend.PoolGeom, f func(xi, yi int)) {
	oh, ow := g.OutH(), g.OutW()
	for plane := range g.N * g.C {
		for p := range oh {
			for q := range ow {
				yi := (plane*oh+p)*ow + q
				for i := range g.KH {
					h := p*g.StrideH - g.PadH + i
					if h < 0 || h >= g.H {
						continue
					}
					for j := range g.KW {
						w := q*g.StrideW - g.PadW + j
						if w < 0 || w >= g.W {
							continue
						}
						f((plane*g.H+h)*g.W+w, yi)
					}
				}
			}
		}
	}
}

// maxPoolRef returns the maximum of each window of x and the index h·W+w
// within its plane of the first element (in row-major window order) that
// attains it.
func maxPoolRef(g backend.PoolGeom, x []float64) (y []float64, argmax []int) {
	_, ys := poolShapes(g)
	y = make([]float64, backend.Shape(ys).Len())
	argmax = make([]int, len(y))
	seen := make([]bool, len(y))
	poolTaps(g, func(xi, yi int) {
		if !seen[yi] || x[xi] > y[yi] {
			seen[yi] = true
			y[yi] = x[xi]
			argmax[yi] = xi % (g.H * g.W)
		}
	})
	return y, argmax
}

// maxPoolBackRef returns dy routed to the elements argmax names.
func maxPoolBackRef(g backend.PoolGeom, dy []float64, argmax []int) []float64 {
	dx := make([]float64, g.N*g.C*g.H*g.W)
	planeOut := g.OutH() * g.OutW()
	for yi, a := range argmax {
		dx[yi/planeOut*g.H*g.W+a] += dy[yi]
	}
	return dx
}

// avgPoolRef returns the sum of each window of x divided by KH·KW.
func avgPoolRef(g backend.PoolGeom, x []float64) []float64 {
	_, ys := poolShapes(g)
	y := make([]float64, backend.Shape(ys).Len())
	poolTaps(g, func(xi, yi int) { y[yi] += x[xi] })
	return scaled(1/float64(g.KH*g.KW), y)
}

// avgPoolBackRef returns each dy spread evenly over its window, 1/(KH·KW)
// to every element.
func avgPoolBackRef(g backend.PoolGeom, dy []float64) []float64 {
	dx := make([]float64, g.N*g.C*g.H*g.W)
	poolTaps(g, func(xi, yi int) { dx[xi] += dy[yi] / float64(g.KH*g.KW) })
	return dx
}

// spread returns n values in random order, at least 0.01 = 100·fdStep
// apart, so that no window's maximum changes within a central difference.
func spread(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i, p := range rng.Perm(n) {
		x[i] = float32(p-n/2) * 0.01
	}
	return x
}

// levels returns n values drawn from {lo, lo+1, …, lo+k−1}, so that a
// window holds many equal values.
func levels(rng *rand.Rand, n, lo, k int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(lo + rng.Intn(k))
	}
	return x
}

// checkMaxPool checks MaxPool's maxima and argmax exactly, on distinct
// values, on all-negative values (padding never wins) and on values with
// many ties (the first maximum in row-major window order wins).
func checkMaxPool(t *testing.T, b backend.Backend) {
	rng := newRand(8)
	for _, g := range poolGeoms(rng) {
		xs, ys := poolShapes(g)
		n := backend.Shape(xs).Len()
		for _, in := range []struct {
			name string
			x    []float32
		}{
			{"distinct", uniform(rng, n, -1, 1)},
			{"negative", uniform(rng, n, -2, -1)},
			{"ties", levels(rng, n, 0, 3)},
			{"negative ties", levels(rng, n, -2, 2)},
		} {
			ty, targ := poisoned(t, b, ys...), poisoned(t, b, ys...)
			b.MaxPool(upload(t, b, in.x, xs...), ty, targ, g)
			want, arg := maxPoolRef(g, wide(in.x))
			wantArg := make([]float32, len(arg))
			for i, a := range arg {
				wantArg[i] = float32(a)
			}
			what := fmt.Sprintf("MaxPool %+v, %s inputs", g, in.name)
			expectExact(t, what+": y", download(b, ty), narrow(want))
			expectExact(t, what+": argmax", download(b, targ), wantArg)
		}
	}
}

// checkMaxPoolBackward checks MaxPoolBackward against the reference routing
// and by central differences of L = Σ dy∘MaxPool(x).
func checkMaxPoolBackward(t *testing.T, b backend.Backend) {
	rng := newRand(9)
	for _, g := range poolGeoms(rng) {
		xs, ys := poolShapes(g)
		x := wide(spread(rng, backend.Shape(xs).Len()))
		dy := uniform(rng, backend.Shape(ys).Len(), -1, 1)
		_, arg := maxPoolRef(g, x)
		argf := make([]float32, len(arg))
		for i, a := range arg {
			argf[i] = float32(a)
		}
		tdx := poisoned(t, b, xs...)
		b.MaxPoolBackward(upload(t, b, dy, ys...), upload(t, b, argf, ys...), tdx, g)
		got := download(b, tdx)
		what := fmt.Sprintf("MaxPoolBackward %+v", g)
		bound := sumBounds(maxPoolBackRef(g, absAll(wide(dy)), arg), g.KH*g.KW)
		if !expectClose(t, what, got, maxPoolBackRef(g, wide(dy), arg), bound) {
			continue
		}
		dy64 := wide(dy)
		loss := func(x []float64) float64 {
			y, _ := maxPoolRef(g, x)
			return dot(dy64, y)
		}
		idx := sample(rng, len(x), 4*fdSamples())
		expectGradient(t, what, got, idx, centralDiff(loss, x, idx), bound)
	}
}

// checkAvgPool checks AvgPool, whose windows always divide by KH·KW.
func checkAvgPool(t *testing.T, b backend.Backend) {
	rng := newRand(10)
	for _, g := range poolGeoms(rng) {
		xs, ys := poolShapes(g)
		x := uniform(rng, backend.Shape(xs).Len(), -1, 1)
		ty := poisoned(t, b, ys...)
		b.AvgPool(upload(t, b, x, xs...), ty, g)
		mag := avgPoolRef(g, absAll(wide(x)))
		expectClose(t, fmt.Sprintf("AvgPool %+v", g), download(b, ty), avgPoolRef(g, wide(x)), sumBounds(mag, g.KH*g.KW))
	}
}

// checkAvgPoolBackward checks AvgPoolBackward against the reference and by
// central differences of L = Σ dy∘AvgPool(x).
func checkAvgPoolBackward(t *testing.T, b backend.Backend) {
	rng := newRand(11)
	for _, g := range poolGeoms(rng) {
		xs, ys := poolShapes(g)
		x := uniform(rng, backend.Shape(xs).Len(), -1, 1)
		dy := uniform(rng, backend.Shape(ys).Len(), -1, 1)
		tdx := poisoned(t, b, xs...)
		b.AvgPoolBackward(upload(t, b, dy, ys...), tdx, g)
		got := download(b, tdx)
		what := fmt.Sprintf("AvgPoolBackward %+v", g)
		bound := sumBounds(avgPoolBackRef(g, absAll(wide(dy))), g.KH*g.KW)
		if !expectClose(t, what, got, avgPoolBackRef(g, wide(dy)), bound) {
			continue
		}
		dy64 := wide(dy)
		loss := func(x []float64) float64 { return dot(dy64, avgPoolRef(g, x)) }
		idx := sample(rng, len(x), 4*fdSamples())
		expectGradient(t, what, got, idx, centralDiff(loss, wide(x), idx), bound)
	}
}
