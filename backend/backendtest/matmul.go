package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// mmCase is one MatMul call: C = alpha·op(A)·op(B) + beta·C with op(A)
// m×k and op(B) k×n. The shapes default to the plain matrices; a case may
// give other shapes with the same rows and columns.
type mmCase struct {
	m, n, k        int
	transA, transB bool
	alpha, beta    float32
	shapeA, shapeB []int
	shapeC         []int
}

// shapes returns the tensor shapes of the case.
func (c mmCase) shapes() (a, b, cc []int) {
	a, b, cc = c.shapeA, c.shapeB, c.shapeC
	if a == nil {
		a = []int{c.m, c.k}
		if c.transA {
			a = []int{c.k, c.m}
		}
	}
	if b == nil {
		b = []int{c.k, c.n}
		if c.transB {
			b = []int{c.n, c.k}
		}
	}
	if cc == nil {
		cc = []int{c.m, c.n}
	}
	return a, b, cc
}

func (c mmCase) String() string {
	a, b, cc := c.shapes()
	return fmt.Sprintf("MatMul(transA=%v, transB=%v, alpha=%g, A%v, B%v, beta=%g, C%v)",
		c.transA, c.transB, c.alpha, a, b, c.beta, cc)
}

// matMulRef returns alpha·op(A)·op(B) + beta·C in float64, with A, B and C
// row-major in their stored (untransposed) layout, and the magnitude
// |alpha|·|op(A)|·|op(B)| + |beta|·|C| of the terms of each element. C is
// not read when beta is 0.
func matMulRef(c mmCase, a, b, cIn []float64) (want, mag []float64) {
	m, n, k := c.m, c.n, c.k
	alpha, beta := float64(c.alpha), float64(c.beta)
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := range m {
		for j := range n {
			s, sa := 0.0, 0.0
			for p := range k {
				av := a[i*k+p]
				if c.transA {
					av = a[p*m+i]
				}
				bv := b[p*n+j]
				if c.transB {
					bv = b[j*k+p]
				}
				s += av * bv
				sa += math.Abs(av * bv)
			}
			want[i*n+j] = alpha * s
			mag[i*n+j] = math.Abs(alpha) * sa
			if beta != 0 {
				want[i*n+j] += beta * cIn[i*n+j]
				mag[i*n+j] += math.Abs(beta * cIn[i*n+j])
			}
		}
	}
	return want, mag
}

// runMatMul runs one case on b and compares C with the reference. When beta
// is 0, C starts as NaN, which must not reach the result.
func runMatMul(t *testing.T, b backend.Backend, rng *rand.Rand, c mmCase) {
	t.Helper()
	sa, sb, sc := c.shapes()
	a := uniform(rng, c.m*c.k, -1, 1)
	bb := uniform(rng, c.k*c.n, -1, 1)
	cIn := nans(c.m * c.n)
	if c.beta != 0 {
		cIn = uniform(rng, c.m*c.n, -1, 1)
	}
	ta, tb, tc := upload(t, b, a, sa...), upload(t, b, bb, sb...), upload(t, b, cIn, sc...)
	b.MatMul(c.transA, c.transB, c.alpha, ta, tb, c.beta, tc)
	want, mag := matMulRef(c, wide(a), wide(bb), wide(cIn))
	expectClose(t, c.String(), download(b, tc), want, sumBounds(mag, c.k))
}

// checkMatMul checks MatMul on awkward sizes in every transpose combination
// with several alpha and beta, on tensors of rank above 2, and on random
// shapes.
func checkMatMul(t *testing.T, b backend.Backend) {
	rng := newRand(2)
	scales := []struct{ alpha, beta float32 }{{1, 0}, {-0.5, 1}, {2.5, 0.75}}
	sizes := [][3]int{ // m, n, k
		{1, 1, 1}, {5, 7, 1}, {1, 9, 6}, {8, 1, 6}, {7, 13, 5}, {13, 5, 7},
		{64, 64, 64}, {65, 63, 64}, {64, 65, 128}, {129, 128, 65}, {63, 129, 127},
	}
	if testing.Short() {
		sizes = sizes[:8]
	}
	for _, s := range sizes {
		for trans := range 4 {
			for _, sc := range scales {
				runMatMul(t, b, rng, mmCase{m: s[0], n: s[1], k: s[2],
					transA: trans&1 != 0, transB: trans&2 != 0, alpha: sc.alpha, beta: sc.beta})
			}
		}
	}

	if !testing.Short() {
		runMatMul(t, b, rng, mmCase{m: 300, n: 257, k: 190, alpha: 1})
		runMatMul(t, b, rng, mmCase{m: 300, n: 257, k: 190, transA: true, transB: true, alpha: -1.25, beta: 0.5})
	}

	// Tensors of rank above 2 are matrices with Shape[0] rows.
	for _, c := range []mmCase{
		{m: 6, n: 5, k: 12, alpha: 1, shapeA: []int{6, 3, 4}},
		{m: 6, n: 10, k: 4, transA: true, alpha: 1, beta: 1,
			shapeA: []int{4, 2, 3}, shapeB: []int{4, 2, 5}, shapeC: []int{6, 2, 5}},
		{m: 5, n: 3, k: 8, transB: true, alpha: 0.5, shapeA: []int{5, 2, 2, 2}, shapeB: []int{3, 2, 4}},
		{m: 4, n: 6, k: 9, transA: true, transB: true, alpha: 1, beta: 0.25,
			shapeA: []int{9, 4, 1}, shapeB: []int{6, 3, 3}, shapeC: []int{4, 3, 1, 2}},
	} {
		runMatMul(t, b, rng, c)
	}

	// Random shapes.
	random := 40
	if testing.Short() {
		random = 10
	}
	for range random {
		c := mmCase{m: 1 + rng.Intn(70), n: 1 + rng.Intn(70), k: 1 + rng.Intn(70),
			transA: rng.Intn(2) == 0, transB: rng.Intn(2) == 0, alpha: float32(rng.Float64()*4 - 2)}
		if rng.Intn(2) == 0 {
			c.beta = float32(rng.Float64()*4 - 2)
		}
		runMatMul(t, b, rng, c)
	}
}
