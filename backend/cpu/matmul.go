package cpu

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/myelin-go/myelin/backend"
)

// blasImpl is the BLAS implementation behind every matrix product. Its Sgemm
// sums each element of C along k in a fixed order whatever GOMAXPROCS is,
// and with beta = 0 it zeroes C before accumulating, so NaN in C's old
// contents does not propagate.
var blasImpl gonum.Implementation

// MatMul computes C = alpha·op(A)·op(B) + beta·C, reading each tensor as a
// matrix (rows = Shape[0]). It panics if the inner or outer dimensions
// disagree or if c is a or b.
func (b *Backend) MatMul(transA, transB bool, alpha float32, a, bt backend.Tensor, beta float32, c backend.Tensor) {
	ta, tb, tc := b.tensor("MatMul", a), b.tensor("MatMul", bt), b.tensor("MatMul", c)
	m, k := ta.shape.Rows(), ta.shape.Cols()
	if transA {
		m, k = k, m
	}
	kb, n := tb.shape.Rows(), tb.shape.Cols()
	if transB {
		kb, n = n, kb
	}
	if k != kb || tc.shape.Rows() != m || tc.shape.Cols() != n {
		panic(fmt.Sprintf("cpu: MatMul: op(A) %d×%d (A %v, transA %t), op(B) %d×%d (B %v, transB %t), C %v: want C %d×%d and equal inner dimensions",
			m, k, ta.shape, transA, kb, n, tb.shape, transB, tc.shape, m, n))
	}
	if tc == ta || tc == tb {
		panic(fmt.Sprintf("cpu: MatMul: C %v is also an operand", tc.shape))
	}
	if transA {
		// gonum's Sgemm runs several times slower with a transposed A at
		// the shapes of a dense layer's weight gradient (dyᵀ·x, small k);
		// transposing A first costs O(m·k), little next to O(m·n·k).
		at, release := b.scratchBuf(m * k)
		defer release()
		transpose(ta.data, k, m, at)
		sgemm(false, transB, m, n, k, alpha, at, tb.data, beta, tc.data)
		return
	}
	sgemm(false, transB, m, n, k, alpha, ta.data, tb.data, beta, tc.data)
}

// transpose writes the transpose of the rows×cols row-major matrix a into
// at (cols×rows), in tiles that keep both sides in cache.
func transpose(a []float32, rows, cols int, at []float32) {
	const tile = 32
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < cols; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				row := a[i*cols : (i+1)*cols]
				for j := j0; j < min(j0+tile, cols); j++ {
					at[j*rows+i] = row[j]
				}
			}
		}
	}
}

// sgemm computes c = alpha·op(a)·op(b) + beta·c for dense row-major
// matrices: op(a) m×k, op(b) k×n, c m×n.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a, b []float32, beta float32, c []float32) {
	lda, ldb := k, n
	tA, tB := blas.NoTrans, blas.NoTrans
	if transA {
		tA, lda = blas.Trans, m
	}
	if transB {
		tB, ldb = blas.Trans, k
	}
	blasImpl.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
}
