package gemm

// rowsFunc is the signature of the kernels that compute C from A and B
// read in place, rowsTile rows at a time; rowsGeneric documents what they
// compute.
type rowsFunc func(k, n int, alpha float32, a []float32, sai, sap int, b []float32, ldb int, beta float32, c []float32, ldc, m int)

// rowsTile is the number of rows of C that a rows kernel computes together
// (reading B once for them).
const rowsTile = 5

// rowsMaxK is the longest k for which Sgemm reads A and op(B) in place
// through a rows kernel: with short k, packing and the setup of
// each micro-kernel call cost as much as the multiply-adds. It is below
// every kernel's kc, so the micro-kernels sum such a k in one block.
const rowsMaxK = 64

// rowsMaxB is the most floats of B, k·n, that Sgemm reads in place through
// a rows kernel: B is read once per rowsTile rows of C and must stay in
// the nearer caches.
const rowsMaxB = 16 << 10

// rowsGeneric computes the m×n matrix C = (alpha·A)·B + beta·C from A
// read in place (A[i, p] is a[i·sai+p·sap]) and rows of B ldb apart
// (B[p, j] is b[p·ldb+j]). Each element is the sum over p, in order of p
// and starting from zero, of alpha·A[i, p] (rounded) times B[p, j], then
// added to beta·C[i, j], as the micro-kernels sum a single block of k with
// alpha packed into A; with beta 0, C is not read. k, n and m must be
// positive and the slices hold the matrices.
func rowsGeneric(k, n int, alpha float32, a []float32, sai, sap int, b []float32, ldb int, beta float32, c []float32, ldc, m int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			var s float32
			for p := 0; p < k; p++ {
				s += alpha * a[i*sai+p*sap] * b[p*ldb+j]
			}
			if beta == 0 {
				row[j] = s
			} else {
				row[j] = s + beta*row[j]
			}
		}
	}
}

// gemmRows computes C = alpha·op(A)·B + beta·C (op(A) m×k, B k×n) with
// one call of the rows kernel. A is read along its rows unless transA is
// set.
func (kn *kernel) gemmRows(transA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sai, sap := lda, 1
	if transA {
		sai, sap = 1, lda
	}
	kn.rows(k, n, alpha, a, sai, sap, b, ldb, beta, c, ldc, m)
}
