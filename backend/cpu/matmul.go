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
	sgemm(transA, transB, m, n, k, alpha, ta.data, tb.data, beta, tc.data)
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
