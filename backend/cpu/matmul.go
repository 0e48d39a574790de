package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/gemm"
)

// MatMul computes C = alpha·op(A)·op(B) + beta·C, reading each tensor as a
// matrix (rows = Shape[0]). It panics if the inner or outer dimensions
// disagree or if c shares memory with a or b (as a view can).
func (b *Backend) MatMul(transA, transB bool, alpha float32, a, bt backend.Tensor, beta float32, c backend.Tensor) {
	ta, tb, tc := b.tensor("MatMul", a), b.tensor("MatMul", bt), b.tensor("MatMul", c)
	m, k := ta.rows, ta.cols
	if transA {
		m, k = k, m
	}
	kb, n := tb.rows, tb.cols
	if transB {
		kb, n = n, kb
	}
	if k != kb || tc.rows != m || tc.cols != n {
		// The sizes above come from the cached rows and columns (a few
		// nanoseconds less per call); the shared check says what is wrong.
		check.MatMul("MatMul", transA, transB, ta.shape, tb.shape, tc.shape)
	}
	if overlap(tc.data, ta.data) || overlap(tc.data, tb.data) {
		panic(fmt.Sprintf("cpu: MatMul: C %v shares memory with an operand (A %v, B %v)", tc.shape, ta.shape, tb.shape))
	}
	b.sgemm(transA, transB, m, n, k, alpha, ta.data, ta.cols, tb.data, tb.cols, beta, tc.data, n)
}

// gemmGrain is the fewest multiply-adds of a matrix product worth handing
// to a goroutine: below it, waking a worker costs more than it saves.
const gemmGrain = 1 << 19

// sgemm computes C = alpha·op(A)·op(B) + beta·C with gemm.Sgemm at b's
// level (see gemm.Sgemm for the arguments), split over the worker pool
// into ranges of whole tiles along N, or along M when it has at least as
// many rows as N has columns (each goroutine then packs only its rows of
// A: square products on two threads run up to 14% faster than split
// along N). Every element of C is computed the same way for any
// split, so the result does not depend on GOMAXPROCS.
func (b *Backend) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, bm []float32, ldb int, beta float32, c []float32, ldc int) {
	// Products under gemmGrain multiply-adds are not shared, and skip the
	// divisions that plan a split (a few percent of a 1 µs product).
	if m*n*k >= gemmGrain {
		mr, nr := gemm.Tile(b.level)
		alongM := m >= n
		units, cost := (n+nr-1)/nr, nr*m*k
		if rest := n % nr; n > nr && rest > 0 && rest <= nr/2 {
			// The last strip takes the narrow rest of N: a part of at most
			// nr/2 columns would take gemm.Sgemm's narrow path, which the
			// whole product does not.
			units--
		}
		if alongM {
			units, cost = (m+mr-1)/mr, mr*n*k
		}
		if grain := max(1, gemmGrain/max(cost, 1)); workers(units, grain) > 1 {
			t := gemmTasks.Get()
			*t = gemmTask{b.level, transA, transB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc, alongM, mr, nr, units}
			parallelDo(units, grain, t)
			*t = gemmTask{}
			gemmTasks.Put(t)
			return
		}
	}
	// The whole product on this goroutine, as the one range of a gemmTask
	// would compute it.
	gemm.Sgemm(b.level, transA, transB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc)
}

// gemmTask is a matrix product whose ranges are strips of tiles of C: of
// nr columns each (the last also taking any columns past units·nr), or of
// mr rows each when alongM is set.
type gemmTask struct {
	level          Level
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
	alongM         bool
	mr, nr         int
	units          int // strips in all
}

var gemmTasks freelist.List[gemmTask]

// run computes the strips [lo, hi) of C.
func (t *gemmTask) run(_, lo, hi int) {
	a, b, c, m, n := t.a, t.b, t.c, t.m, t.n
	if t.alongM {
		i0 := lo * t.mr
		m = min(hi*t.mr, t.m) - i0
		c = c[i0*t.ldc:]
		if t.transA {
			a = a[i0:]
		} else {
			a = a[i0*t.lda:]
		}
	} else {
		j0 := lo * t.nr
		j1 := min(hi*t.nr, t.n)
		if hi == t.units {
			j1 = t.n
		}
		n = j1 - j0
		c = c[j0:]
		if t.transB {
			b = b[j0*t.ldb:]
		} else {
			b = b[j0:]
		}
	}
	gemm.Sgemm(t.level, t.transA, t.transB, m, n, t.k, t.alpha, a, t.lda, b, t.ldb, t.beta, c, t.ldc)
}
