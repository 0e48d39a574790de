package cpu

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/gemm"
)

var _ backend.BatchMatMuler = (*Backend)(nil)

// BatchMatMul computes, for every i < B, C[i] = alpha·op(A[i])·op(B[i]) +
// beta·C[i] (torch.baddbmm), for A [B, m, k] ([B, k, m] with transA), B
// [B, k, n] ([B, n, k] with transB) and C [B, m, n]; op is as in MatMul,
// and beta 0 ignores C's old contents. C must not share memory with A or
// B. The products run on the packed SGEMM in one call: a batch of
// products too small to split, or of at least four products per thread,
// is spread over the worker pool a product at a time; otherwise each
// product is split into tiles, one product after the other. Every product is computed exactly as
// MatMul computes it alone, whatever the split, so the result does not
// depend on GOMAXPROCS. It panics, naming the shapes, if a tensor is not
// three-dimensional or the dimensions disagree.
func (b *Backend) BatchMatMul(transA, transB bool, alpha float32, a, bt backend.Tensor, beta float32, c backend.Tensor) {
	ta, tb, tc := b.tensor("BatchMatMul", a), b.tensor("BatchMatMul", bt), b.tensor("BatchMatMul", c)
	batch, m, n, k := check.BatchMatMul("BatchMatMul", transA, transB, ta.shape, tb.shape, tc.shape)
	if overlap(tc.data, ta.data) || overlap(tc.data, tb.data) {
		panic(fmt.Sprintf("cpu: BatchMatMul: C %v shares memory with an operand (A %v, B %v)", tc.shape, ta.shape, tb.shape))
	}
	t := bmmTasks.Get()
	*t = bmmTask{level: b.level, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
		a: ta.data, lda: ta.shape[2], sa: ta.shape[1] * ta.shape[2],
		b: tb.data, ldb: tb.shape[2], sb: tb.shape[1] * tb.shape[2],
		beta: beta, c: tc.data, sc: m * n}
	if m*n*k < gemmGrain || batch >= 4*runtime.GOMAXPROCS(0) {
		// The goroutines claim products one at a time: one whose thread the
		// system deschedules holds up the others by one product at most,
		// and a batch of at least four products per thread leaves them
		// idle at the end for less than a quarter of the time.
		t.batch = batch
		parallelDo(workers(batch, max(1, gemmGrain/max(1, m*n*k))), 1, t)
	} else {
		for i := range batch {
			b.sgemm(transA, transB, m, n, k, alpha, t.a[i*t.sa:(i+1)*t.sa], t.lda, t.b[i*t.sb:(i+1)*t.sb], t.ldb, beta, t.c[i*t.sc:(i+1)*t.sc], n)
		}
	}
	*t = bmmTask{}
	bmmTasks.Put(t)
}

// bmmTask computes the products of a BatchMatMul, each on one goroutine:
// every range claims the next product not yet claimed until none is left;
// sa, sb and sc are the elements per product.
type bmmTask struct {
	next           int64 // products claimed
	batch          int
	level          Level
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb       int
	sa, sb, sc     int
}

var bmmTasks freelist.List[bmmTask]

func (t *bmmTask) run(_, _, _ int) {
	// One workspace for all the products this goroutine claims: its
	// packing buffers stay in this core's cache.
	var w gemm.Workspace
	defer w.Release()
	for {
		i := int(atomic.AddInt64(&t.next, 1) - 1)
		if i >= t.batch {
			return
		}
		w.Sgemm(t.level, t.transA, t.transB, t.m, t.n, t.k, t.alpha,
			t.a[i*t.sa:(i+1)*t.sa], t.lda, t.b[i*t.sb:(i+1)*t.sb], t.ldb, t.beta, t.c[i*t.sc:(i+1)*t.sc], t.n)
	}
}
