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
	if tc.overlaps(ta) || tc.overlaps(tb) {
		panic(fmt.Sprintf("cuda: MatMul: C %v shares memory with A or B", tc.shape))
	}
	b.gemm("MatMul", transA, transB, m, n, k, alpha, ta.ptr, ac, 0, tb.ptr, bc, 0, beta, tc.ptr, n, 0, 1)
}

// BatchMatMul computes C[i] = alpha·op(A[i])·op(B[i]) + beta·C[i] for every
// i < batch (torch.baddbmm) with one cublasSgemmStridedBatched call, in
// FP32, or TF32 when the backend was opened with Options.TF32. A, B and C
// have three dimensions [batch, …, …]; op(A[i]) is m×k, op(B[i]) k×n and
// C[i] m×n. beta 0 ignores C's old contents. C must not share memory with
// A or B.
func (b *Backend) BatchMatMul(transA, transB bool, alpha float32, a, bt backend.Tensor, beta float32, c backend.Tensor) {
	const op = "BatchMatMul"
	ta, tb, tc := b.tensor(op, a), b.tensor(op, bt), b.tensor(op, c)
	if len(ta.shape) != 3 || len(tb.shape) != 3 || len(tc.shape) != 3 || tb.shape[0] != ta.shape[0] || tc.shape[0] != ta.shape[0] {
		panic(fmt.Sprintf("cuda: BatchMatMul: A %v, B %v and C %v, want three dimensions each with the same batch first", ta.shape, tb.shape, tc.shape))
	}
	batch, ar, ac, br, bc := ta.shape[0], ta.shape[1], ta.shape[2], tb.shape[1], tb.shape[2]
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	kb, n := br, bc
	if transB {
		kb, n = bc, br
	}
	if k != kb || tc.shape[1] != m || tc.shape[2] != n {
		panic(fmt.Sprintf("cuda: BatchMatMul: op(A[i]) %d×%d (A %v, transA %v) times op(B[i]) %d×%d (B %v, transB %v) into C %v", m, k, ta.shape, transA, kb, n, tb.shape, transB, tc.shape))
	}
	if tc.overlaps(ta) || tc.overlaps(tb) {
		panic(fmt.Sprintf("cuda: BatchMatMul: C %v shares memory with A or B", tc.shape))
	}
	b.gemm(op, transA, transB, m, n, k, alpha, ta.ptr, ac, ar*ac, tb.ptr, bc, br*bc, beta, tc.ptr, n, m*n, batch)
}
