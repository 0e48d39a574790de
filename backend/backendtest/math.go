package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// broadcastCase is a pair of operand shapes of Binary and their broadcast
// shape.
type broadcastCase struct{ a, b, c []int }

// broadcastCases covers every broadcast form: equal shapes, odd lengths, a
// one-element operand on either side and of any rank, a row against a
// matrix (with and without its leading 1), a column, a per-channel
// [C, 1, 1] against [N, C, H, W] on either side, an outer product and
// general interleaved repeats.
var broadcastCases = []broadcastCase{
	{[]int{3, 5, 7}, []int{3, 5, 7}, []int{3, 5, 7}},
	{[]int{37}, []int{37}, []int{37}},
	{[]int{1}, []int{1}, []int{1}},
	{[]int{3, 5, 7}, []int{1}, []int{3, 5, 7}},
	{[]int{1}, []int{2, 67}, []int{2, 67}},
	{[]int{1, 1, 1}, []int{3, 5, 7}, []int{3, 5, 7}},
	{[]int{6, 19}, []int{1, 19}, []int{6, 19}},
	{[]int{6, 19}, []int{19}, []int{6, 19}},
	{[]int{19}, []int{6, 19}, []int{6, 19}},
	{[]int{6, 19}, []int{6, 1}, []int{6, 19}},
	{[]int{2, 3, 4, 5}, []int{3, 1, 1}, []int{2, 3, 4, 5}},
	{[]int{3, 1, 1}, []int{2, 3, 4, 5}, []int{2, 3, 4, 5}},
	{[]int{2, 3, 4, 5}, []int{1, 3, 1, 1}, []int{2, 3, 4, 5}},
	{[]int{4, 1}, []int{1, 5}, []int{4, 5}},
	{[]int{2, 1, 3, 1}, []int{1, 4, 1, 5}, []int{2, 4, 3, 5}},
	{[]int{5, 1, 7}, []int{5, 3, 1}, []int{5, 3, 7}},
	{[]int{1, 5, 1}, []int{1, 5, 1}, []int{1, 5, 1}},
	{[]int{3, 1001}, []int{1001}, []int{3, 1001}},
}

// broadcastIndex returns, for every element of the shape c, the index of
// the element of shape s that PyTorch's broadcasting pairs with it.
func broadcastIndex(s, c []int) []int {
	n := backend.Shape(c).Len()
	idx := make([]int, n)
	for e := range n {
		rem, si, stride := e, 0, 1
		for d := len(c) - 1; d >= 0; d-- {
			i := rem % c[d]
			rem /= c[d]
			if k := d - (len(c) - len(s)); k >= 0 {
				if s[k] != 1 {
					si += i * stride
				}
				stride *= s[k]
			}
		}
		idx[e] = si
	}
	return idx
}

// binaryRefs are the float64 references of the binary operations, NaN in
// NaN out for Max and Min (torch.maximum, torch.minimum).
var binaryRefs = map[backend.BinaryOp]func(a, b float64) float64{
	backend.OpAdd: func(a, b float64) float64 { return a + b },
	backend.OpSub: func(a, b float64) float64 { return a - b },
	backend.OpMul: func(a, b float64) float64 { return a * b },
	backend.OpDiv: func(a, b float64) float64 { return a / b },
	backend.OpMax: math.Max,
	backend.OpMin: math.Min,
}

// binaryInputs returns n operands for op: uniform in [−2, 2], with |x| at
// least ½ for a divisor.
func binaryInputs(rng *rand.Rand, op backend.BinaryOp, n int, divisor bool) []float32 {
	x := uniform(rng, n, -2, 2)
	if op == backend.OpDiv && divisor {
		for i := range x {
			x[i] = float32(math.Copysign(0.5+1.5*rng.Float64(), float64(x[i])))
		}
	}
	return x
}

// specialMismatch returns the first index where got and want disagree on
// being NaN, or on being infinite with a sign, or −1 if there is none.
func specialMismatch(got []float32, want []float64) int {
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(w) != math.IsNaN(g) || ((math.IsInf(w, 0) || math.IsInf(g, 0)) && g != w) {
			return i
		}
	}
	return -1
}

// expectElementwise checks an elementwise result with expectWithSpecials,
// to rel·|want| + abs.
func expectElementwise(t testing.TB, what string, got []float32, want []float64, rel, abs float64) {
	t.Helper()
	expectWithSpecials(t, what, got, want, relBounds(want, rel, constant(len(want), abs)))
}

// expectWithSpecials checks a result that may hold NaNs and infinities:
// those exactly where the reference has them, infinities with its sign (a
// reference beyond the float32 range counting as infinite), the rest to
// bound.
func expectWithSpecials(t testing.TB, what string, got []float32, want, bound []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", what, len(got), len(want))
		return
	}
	want = append([]float64(nil), want...)
	for i, w := range want {
		if math.Abs(w) > math.MaxFloat32 {
			want[i] = math.Copysign(math.Inf(1), w) // overflows float32
		}
	}
	if i := specialMismatch(got, want); i >= 0 {
		t.Errorf("%s: index %d: got %v, want %v", what, i, got[i], want[i])
		return
	}
	// The specials matched: compare the rest, the specials as zeros.
	g, b := append([]float32(nil), got...), append([]float64(nil), bound...)
	for i, w := range want {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			g[i], want[i], b[i] = 0, 0, 0
		}
	}
	expectClose(t, what, g, want, b)
}

// checkBinaryMath checks Math.Binary for every operation and broadcast
// form into a NaN-poisoned tensor, with c aliasing each operand of c's
// shape, with NaNs among the inputs of Max and Min, and the inputs left
// unchanged. Every result is one rounded operation: 2u relative. Shapes
// that do not broadcast, or a c of another shape, must panic naming the
// op.
func checkBinaryMath(t *testing.T, b backend.Backend) {
	m := need[backend.Math](t, b)
	rng := newRand(40)
	for op := backend.OpAdd; op <= backend.OpMin; op++ {
		ref := binaryRefs[op]
		for _, bc := range broadcastCases {
			t.Run(fmt.Sprintf("%v/%v_%v", op, bc.a, bc.b), func(t *testing.T) {
				na, nb, nc := backend.Shape(bc.a).Len(), backend.Shape(bc.b).Len(), backend.Shape(bc.c).Len()
				x, y := binaryInputs(rng, op, na, false), binaryInputs(rng, op, nb, true)
				if op == backend.OpMax || op == backend.OpMin {
					x[rng.Intn(na)] = float32(math.NaN())
					if nb > 2 {
						y[rng.Intn(nb)] = float32(math.NaN())
					}
				}
				ia, ib := broadcastIndex(bc.a, bc.c), broadcastIndex(bc.b, bc.c)
				want := make([]float64, nc)
				for i := range want {
					want[i] = ref(float64(x[ia[i]]), float64(y[ib[i]]))
				}
				what := fmt.Sprintf("Binary %v a %v b %v", op, bc.a, bc.b)

				ta, tb, tc := upload(t, b, x, bc.a...), upload(t, b, y, bc.b...), poisoned(t, b, bc.c...)
				m.Binary(op, ta, tb, tc)
				expectElementwise(t, what, download(b, tc), want, elemTol, 0)
				expectBits(t, what+": a afterwards", download(b, ta), x)
				expectBits(t, what+": b afterwards", download(b, tb), y)
				if backend.Shape(bc.a).Equal(bc.c) {
					m.Binary(op, ta, tb, ta)
					expectElementwise(t, what+" with c = a", download(b, ta), want, elemTol, 0)
					b.Upload(ta, x)
				}
				if backend.Shape(bc.b).Equal(bc.c) {
					m.Binary(op, ta, tb, tb)
					expectElementwise(t, what+" with c = b", download(b, tb), want, elemTol, 0)
				}
			})
		}
	}
	t.Run("misuse", func(t *testing.T) {
		a, c := b.Alloc(2, 3), b.Alloc(2, 3)
		b.Fill(a, 1)
		expectPanic(t, "Binary", "shapes 2×3 and 4, which do not broadcast", func() { m.Binary(backend.OpAdd, a, b.Alloc(4), c) })
		expectPanic(t, "Binary", "c of 3×2 for the broadcast shape 2×3", func() { m.Binary(backend.OpAdd, a, b.Alloc(3), b.Alloc(3, 2)) })
		expectPanic(t, "Unary", "x of 6 elements and y of 5", func() { m.Unary(backend.OpExp, a, b.Alloc(5)) })
	})
	t.Run("scale by a device scalar", func(t *testing.T) {
		x := uniform(rng, 35, -2, 2)
		tx, ts := upload(t, b, x, 5, 7), upload(t, b, []float32{-1.5}, 1)
		m.Binary(backend.OpMul, tx, ts, tx)
		expectElementwise(t, "Binary(OpMul, x, s, x)", download(b, tx), scaled(-1.5, wide(x)), elemTol, 0)
	})
}

// unaryCase is a unary function with its float64 reference, the inputs it
// is checked on and its tolerance.
type unaryCase struct {
	op       backend.UnaryOp
	ref      func(float64) float64
	lo, hi   float64   // inputs drawn as ±e^U(lo, hi) (positive only if pos)
	pos      bool      // the function's domain is x ≥ 0
	specials []float32 // inputs whose results must be exactly the reference's
	rel, abs float64
}

var unaryCases = []unaryCase{
	{backend.OpExp, math.Exp, -4, 4, false, []float32{0, -200, 100, float32(math.Inf(-1)), float32(math.Inf(1))}, transRelTol, 0x1p-126},
	{backend.OpLog, math.Log, -20, 20, true, []float32{0, -1, 1, float32(math.Inf(1)), 1e-40}, transRelTol, transAbsTol},
	{backend.OpSqrt, math.Sqrt, -20, 20, true, []float32{0, -1, float32(math.Inf(1))}, elemTol, 0},
	{backend.OpRsqrt, func(x float64) float64 { return 1 / math.Sqrt(x) }, -20, 20, true, []float32{0, -1, float32(math.Inf(1))}, 2 * elemTol, 0},
	{backend.OpAbs, math.Abs, -4, 4, false, []float32{0, float32(math.Inf(-1))}, 0, 0},
	{backend.OpSquare, func(x float64) float64 { return x * x }, -4, 4, false, []float32{0, 1e30}, elemTol, 0},
	{backend.OpReciprocal, func(x float64) float64 { return 1 / x }, -4, 4, false, []float32{0, float32(math.Inf(1))}, elemTol, 0},
	{backend.OpNeg, func(x float64) float64 { return -x }, -4, 4, false, []float32{0, float32(math.Inf(1))}, 0, 0},
}

// checkUnary checks Math.Unary for every function on random inputs over
// many binades and on the specials of its domain (0, negatives, infinities,
// overflow, subnormals, NaN), into a NaN-poisoned tensor and in place, for
// odd and 1-sized shapes: relative 10⁻⁵ for Exp (plus 2⁻¹²⁶ absolute, for
// underflow) and Log (plus 10⁻⁶ absolute, near 1), 2u for the correctly rounded functions, 4u for
// Rsqrt, exact for Abs and Neg.
func checkUnary(t *testing.T, b backend.Backend) {
	m := need[backend.Math](t, b)
	rng := newRand(41)
	for _, c := range unaryCases {
		for _, shape := range [][]int{{3, 5, 7}, {1}, {2, 1, 129}} {
			t.Run(fmt.Sprintf("%v/%v", c.op, shape), func(t *testing.T) {
				n := backend.Shape(shape).Len()
				x := make([]float32, n)
				for i := range x {
					v := math.Exp(c.lo + (c.hi-c.lo)*rng.Float64())
					if !c.pos && rng.Intn(2) == 0 {
						v = -v
					}
					x[i] = float32(v)
				}
				for i, s := range append(c.specials, float32(math.NaN())) {
					if i < n && n > 1 {
						x[rng.Intn(n)] = s
					}
				}
				want := make([]float64, n)
				for i, v := range x {
					want[i] = c.ref(float64(v))
				}
				what := fmt.Sprintf("Unary %v %v", c.op, shape)
				tx, ty := upload(t, b, x, shape...), poisoned(t, b, shape...)
				m.Unary(c.op, tx, ty)
				expectElementwise(t, what, download(b, ty), want, c.rel, c.abs)
				expectBits(t, what+": x afterwards", download(b, tx), x)
				m.Unary(c.op, tx, tx)
				expectElementwise(t, what+" in place", download(b, tx), want, c.rel, c.abs)
			})
		}
	}
}

// checkAffine checks y = alpha·x + beta into a NaN-poisoned tensor and in
// place: two roundings, 4u of |alpha·x| + |beta|.
func checkAffine(t *testing.T, b backend.Backend) {
	m := need[backend.Math](t, b)
	rng := newRand(42)
	for _, ab := range [][2]float32{{-1.7, 0.25}, {0.001, -3}, {1, 0}, {0, 2}} {
		for _, shape := range [][]int{{3, 5, 7}, {1}, {67}} {
			n := backend.Shape(shape).Len()
			x := uniform(rng, n, -2, 2)
			want, bound := make([]float64, n), make([]float64, n)
			alpha, beta := float64(ab[0]), float64(ab[1])
			for i, v := range x {
				want[i] = alpha*float64(v) + beta
				bound[i] = 4 * unitRoundoff * (math.Abs(alpha*float64(v)) + math.Abs(beta))
			}
			what := fmt.Sprintf("Affine(%g, %g) %v", alpha, beta, shape)
			tx, ty := upload(t, b, x, shape...), poisoned(t, b, shape...)
			m.Affine(ab[0], ab[1], tx, ty)
			expectClose(t, what, download(b, ty), want, bound)
			m.Affine(ab[0], ab[1], tx, tx)
			expectClose(t, what+" in place", download(b, tx), want, bound)
		}
	}
}

// checkClamp checks Clamp exactly, NaN staying NaN, with bounds that cut
// both sides, one side, neither, and lo > hi (every element hi), into a
// NaN-poisoned tensor and in place.
func checkClamp(t *testing.T, b backend.Backend) {
	m := need[backend.Math](t, b)
	rng := newRand(43)
	inf := float32(math.Inf(1))
	for _, lh := range [][2]float32{{-0.5, 1}, {-inf, 0}, {0, inf}, {-inf, inf}, {1, -1}} {
		for _, shape := range [][]int{{3, 5, 7}, {1}, {67}} {
			n := backend.Shape(shape).Len()
			x := uniform(rng, n, -2, 2)
			if n > 1 {
				x[rng.Intn(n)] = float32(math.NaN())
				x[rng.Intn(n)] = -inf
			}
			want := make([]float64, n)
			for i, v := range x {
				want[i] = math.Min(math.Max(float64(v), float64(lh[0])), float64(lh[1]))
				if v != v {
					want[i] = math.NaN()
				}
			}
			what := fmt.Sprintf("Clamp(%g, %g) %v", lh[0], lh[1], shape)
			tx, ty := upload(t, b, x, shape...), poisoned(t, b, shape...)
			m.Clamp(lh[0], lh[1], tx, ty)
			expectElementwise(t, what, download(b, ty), want, 0, 0)
			m.Clamp(lh[0], lh[1], tx, tx)
			expectElementwise(t, what+" in place", download(b, tx), want, 0, 0)
		}
	}
}
