package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// elemShape is the shape of the elementwise checks' tensors.
var elemShape = []int{3, 5, 7}

// checkBinary checks op (Add or Mul), whose exact result for one element
// is ref, into a fresh tensor and with the output aliasing either input or
// both.
func checkBinary(t *testing.T, b backend.Backend, name string, seed int64,
	op func(a, b, c backend.Tensor), ref func(a, b float64) float64) {
	rng := newRand(seed)
	n := backend.Shape(elemShape).Len()
	x, y := uniform(rng, n, -2, 2), uniform(rng, n, -2, 2)
	want := func(x, y []float32) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = ref(float64(x[i]), float64(y[i]))
		}
		return w
	}
	check := func(what string, got []float32, want []float64) {
		t.Helper()
		expectClose(t, name+" "+what, got, want, relBounds(want, elemTol, make([]float64, n)))
	}

	ta, tb, tc := upload(t, b, x, elemShape...), upload(t, b, y, elemShape...), poisoned(t, b, elemShape...)
	op(ta, tb, tc)
	check("into a third tensor", download(b, tc), want(x, y))
	expectBits(t, name+"'s first input afterwards", download(b, ta), x)
	expectBits(t, name+"'s second input afterwards", download(b, tb), y)

	op(ta, tb, ta)
	check("with c = a", download(b, ta), want(x, y))

	ta = upload(t, b, x, elemShape...)
	op(ta, tb, tb)
	check("with c = b", download(b, tb), want(x, y))

	ta = upload(t, b, x, elemShape...)
	op(ta, ta, ta)
	check("with a = b = c", download(b, ta), want(x, x))
}

// checkAdd checks Add, aliasing included.
func checkAdd(t *testing.T, b backend.Backend) {
	checkBinary(t, b, "Add", 18, b.Add, func(x, y float64) float64 { return x + y })
}

// checkMul checks Mul, aliasing included.
func checkMul(t *testing.T, b backend.Backend) {
	checkBinary(t, b, "Mul", 19, b.Mul, func(x, y float64) float64 { return x * y })
}

// checkScale checks Scale, which works in place.
func checkScale(t *testing.T, b backend.Backend) {
	rng := newRand(20)
	n := backend.Shape(elemShape).Len()
	for _, alpha := range []float32{-1.7, 0.001, 3} {
		x := uniform(rng, n, -2, 2)
		tx := upload(t, b, x, elemShape...)
		b.Scale(alpha, tx)
		want := scaled(float64(alpha), wide(x))
		expectClose(t, fmt.Sprintf("Scale(%g)", alpha), download(b, tx), want, relBounds(want, elemTol, make([]float64, n)))
	}
}

// checkAxpy checks y += alpha·x, which reads y.
func checkAxpy(t *testing.T, b backend.Backend) {
	rng := newRand(21)
	n := backend.Shape(elemShape).Len()
	for _, alpha := range []float32{-1.7, 0.5, 1} {
		x, y := uniform(rng, n, -2, 2), uniform(rng, n, -2, 2)
		tx, ty := upload(t, b, x, elemShape...), upload(t, b, y, elemShape...)
		b.Axpy(alpha, tx, ty)
		want, bound := make([]float64, n), make([]float64, n)
		for i := range want {
			ax := float64(alpha) * float64(x[i])
			want[i] = ax + float64(y[i])
			// Two roundings, or one with a fused multiply-add.
			bound[i] = 2 * elemTol * (math.Abs(ax) + math.Abs(float64(y[i])))
		}
		expectClose(t, fmt.Sprintf("Axpy(%g)", alpha), download(b, ty), want, bound)
		expectBits(t, "Axpy's x afterwards", download(b, tx), x)
	}
}

// biasShapes are the shapes AddBias and BiasGrad are checked on: NCHW,
// [N, F] and a rank-3 [N, C, L].
var biasShapes = [][]int{{2, 3, 4, 5}, {6, 4}, {2, 3, 7}, {1, 1, 1, 1}}

// checkAddBias checks AddBias on every shape of biasShapes.
func checkAddBias(t *testing.T, b backend.Backend) {
	rng := newRand(22)
	for _, shape := range biasShapes {
		s := backend.Shape(shape)
		c, inner := s[1], s.Len()/(s[0]*s[1])
		y, bias := uniform(rng, s.Len(), -2, 2), uniform(rng, c, -2, 2)
		ty := upload(t, b, y, shape...)
		b.AddBias(ty, upload(t, b, bias, c))
		want := make([]float64, s.Len())
		for i := range want {
			want[i] = float64(y[i]) + float64(bias[i/inner%c])
		}
		expectClose(t, fmt.Sprintf("AddBias on %v", s), download(b, ty), want, relBounds(want, elemTol, make([]float64, len(want))))
	}
}

// checkBiasGrad checks BiasGrad on every shape of biasShapes.
func checkBiasGrad(t *testing.T, b backend.Backend) {
	rng := newRand(23)
	for _, shape := range biasShapes {
		s := backend.Shape(shape)
		c, inner := s[1], s.Len()/(s[0]*s[1])
		dy := uniform(rng, s.Len(), -2, 2)
		tdb := poisoned(t, b, c)
		b.BiasGrad(upload(t, b, dy, shape...), tdb)
		want, mag := make([]float64, c), make([]float64, c)
		for i, v := range dy {
			want[i/inner%c] += float64(v)
			mag[i/inner%c] += math.Abs(float64(v))
		}
		expectClose(t, fmt.Sprintf("BiasGrad of %v", s), download(b, tdb), want, sumBounds(mag, s[0]*inner))
	}
}

// checkSum checks Sum on short and long vectors of mixed signs, centred and
// off-centre, and on a long positive one, against float64 with the bound
// of sumBounds, capped at sumTol·Σ|x| for long vectors. Naive float32
// accumulation of the million positive values errs by about 10⁻⁴·Σ|x| and
// fails.
func checkSum(t *testing.T, b backend.Backend) {
	rng := newRand(24)
	long := 1000000
	if testing.Short() {
		long = 100000
	}
	for _, c := range []struct {
		n      int
		lo, hi float64
	}{
		{1, -1, 1}, {7, -1, 1}, {1000, -1, 1}, {4099, -1, 3}, {long, -1, 1}, {long, -1, 3}, {long, 0.05, 0.15},
	} {
		x := uniform(rng, c.n, c.lo, c.hi)
		tdst := poisoned(t, b, 1)
		b.Sum(upload(t, b, x, c.n), tdst)
		want, mag := 0.0, 0.0
		for _, v := range x {
			want += float64(v)
			mag += math.Abs(float64(v))
		}
		bound := min(gamma(c.n+2), sumTol) * mag
		expectClose(t, fmt.Sprintf("Sum of %d values in [%g, %g)", c.n, c.lo, c.hi), download(b, tdst), []float64{want}, []float64{bound})
	}
}
