//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// gemm enqueues, for each of batch row-major matrix triples spaced sa, sb
// and sc floats apart, C = alpha·op(A)·op(B) + beta·C with op(A) m×k, op(B)
// k×n and leading dimensions (row lengths) lda, ldb, ldc. cuBLAS is
// column-major and a row-major matrix is its transpose, so it computes
// Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands swapped, m and n exchanged.
func (b *Backend) gemm(op string, transA, transB bool, m, n, k int, alpha float32, a uint64, lda, sa int, bm uint64, ldb, sb int, beta float32, c uint64, ldc, sc, batch int) {
	b.record(op, b.d.gemm(transB, transA, n, m, k, alpha, bm, ldb, sb, a, lda, sa, beta, c, ldc, sc, batch))
}

// MatMul computes C = alpha·op(A)·op(B) + beta·C with one cuBLAS SGEMM,
// in FP32, or TF32 when the backend was opened with Options.TF32.
func (b *Backend) MatMul(transA, transB bool, alpha float32, a, bt backend.Tensor, beta float32, c backend.Tensor) {
	ta, tb, tc := b.tensor("MatMul", a), b.tensor("MatMul", bt), b.tensor("MatMul", c)
	m, n, k := check.MatMul("MatMul", transA, transB, ta.shape, tb.shape, tc.shape)
	ac, bc := ta.shape.Cols(), tb.shape.Cols()
	if tc.ptr == ta.ptr || tc.ptr == tb.ptr {
		panic(fmt.Sprintf("cuda: MatMul: C %v shares memory with A or B", tc.shape))
	}
	b.gemm("MatMul", transA, transB, m, n, k, alpha, ta.ptr, ac, 0, tb.ptr, bc, 0, beta, tc.ptr, n, 0, 1)
}
