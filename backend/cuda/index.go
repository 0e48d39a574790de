//go:build cuda

package cuda

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// AllocInt32 returns a new int32 tensor of the given shape with
// unspecified contents. It panics as Alloc does.
func (b *Backend) AllocInt32(shape ...int) backend.Tensor {
	t, err := b.alloc("AllocInt32", backend.Int32, shape)
	if err != nil {
		panic(err)
	}
	return t
}

// UploadInt32 copies src into the int32 tensor dst; src may be reused when
// UploadInt32 returns.
func (b *Backend) UploadInt32(dst backend.Tensor, src []int32) {
	d := b.int32Tensor("UploadInt32", dst)
	if len(src) != d.len() {
		panic(fmt.Sprintf("cuda: UploadInt32: %d values into tensor of shape %v (%d elements)", len(src), d.shape, d.len()))
	}
	b.record("UploadInt32", upload(b.d, d.ptr, src))
}

// DownloadInt32 copies the int32 tensor src into dst once the work that
// writes src is done.
func (b *Backend) DownloadInt32(dst []int32, src backend.Tensor) {
	s := b.int32Tensor("DownloadInt32", src)
	if len(dst) != s.len() {
		panic(fmt.Sprintf("cuda: DownloadInt32: tensor of shape %v (%d elements) into %d values", s.shape, s.len(), len(dst)))
	}
	b.record("DownloadInt32", download(b.d, dst, s.ptr))
}

// IndexError is the error Sync reports when an index kernel met an index
// out of range: the first such index met since the backend opened. The
// op wrote zeros (Gather, OneHot) or nothing (ScatterAdd) for it, and
// CountCorrectLabels counted no hit.
type IndexError struct {
	Op    string // "Gather", "ScatterAdd", "OneHot" or "CountCorrectLabels"
	Index int    // the index met
	Bound int    // the valid indices are [0, Bound)
}

// Error returns "cuda: Op: index I outside [0, B)".
func (e *IndexError) Error() string {
	return fmt.Sprintf("cuda: %s: index %d outside [0, %d) (found on the device)", e.Op, e.Index, e.Bound)
}

// indexErrOps names the codes the kernels record in the index-error
// words (ERR_GATHER = 1, … in kernels/myelin.cuh).
var indexErrOps = [...]string{1: "Gather", 2: "ScatterAdd", 3: "OneHot", 4: "CountCorrectLabels"}

// checkIndexLocked reads the index-error words, when an index kernel has
// been queued since they were last read, and records the error they hold.
// The read waits for the stream. b.mu must be held.
func (b *Backend) checkIndexLocked() {
	if !b.indexed || b.err != nil {
		return
	}
	b.indexed = false
	var w [idxErrBytes / 4]int32
	if err := download(b.d, w[:], b.idxErr); err != nil {
		b.recordLocked(err)
		return
	}
	if w[0] == 0 {
		return
	}
	op := fmt.Sprintf("index kernel %d", w[0])
	if int(w[0]) < len(indexErrOps) {
		op = indexErrOps[w[0]]
	}
	b.recordLocked(&IndexError{Op: op, Index: int(w[1]), Bound: int(w[2])})
}

// launchIndexed is launch for a kernel that may record an index error.
func (b *Backend) launchIndexed(op string, k kernels.Kernel, grid int, a *args) {
	b.mu.Lock()
	b.indexed = true
	b.mu.Unlock()
	b.launch(op, k, grid, a)
}

// bound returns a row count as the int bound the kernels compare int32
// indices with: every int32 index below MaxInt32 is inside more rows.
func bound(rows int) int { return min(rows, math.MaxInt32) }

// Gather writes out[i, :] = table[idx[i], :], reading table as a matrix
// [V, D] and out, of len(idx)·D elements, as [len(idx), D]
// (torch.nn.functional.embedding, torch.index_select(table, 0, idx)).
// table and out are both float32 or both int32 (labels picked out of a
// data set). An index outside [0, V) gives a row of zeros and an
// *IndexError from Sync.
func (b *Backend) Gather(table, idx, out backend.Tensor) {
	const op = "Gather"
	tt, ti, to := b.anyTensor(op, table), b.int32Tensor(op, idx), b.anyTensor(op, out)
	if tt.dtype != to.dtype {
		panic(fmt.Sprintf("cuda: Gather: table %v holds %v but out %v holds %v", tt.shape, tt.dtype, to.shape, to.dtype))
	}
	v, d, n := tt.shape.Rows(), tt.shape.Cols(), ti.len()
	if to.len() != n*d {
		panic(fmt.Sprintf("cuda: Gather: out has shape %v, want %d×%d elements for idx %v and table %v", to.shape, n, d, ti.shape, tt.shape))
	}
	if to.overlaps(tt) || to.overlaps(ti) {
		panic(fmt.Sprintf("cuda: Gather: out %v shares memory with table %v or idx %v", to.shape, tt.shape, ti.shape))
	}
	b.launchIndexed(op, kernels.Gather, b.grid(n*d), new(args).ptr(tt).ptr(ti).ptr(to).i64(n).i64(d).i32(bound(v)).addr(b.idxErr))
}

// ScatterAdd adds table[idx[i], :] += src[i, :] for every i, reading src
// as [len(idx), D] and table as [V, D] (torch.Tensor.index_add_(0, idx,
// src)). Repeated indices add in the order of i, in float32 from the
// table's value: the same bits as a sequential loop, on every run. An
// index outside [0, V) adds nothing and gives an *IndexError from Sync.
//
// No floating-point atomics: the indices are counting-sorted on the
// device (integer atomics count each row's uses, one block scans the
// counts, one block places the i of each row in increasing order), then
// one thread per table element sums its rows. The placement runs on one
// SM, in len(idx)/256 steps of about 256 shared-memory compares each; a
// row that k indices name costs k dependent additions in each of its
// threads (the order the contract fixes allows no tree); scratch is
// 4·(3V + 1 + len(idx)) bytes.
func (b *Backend) ScatterAdd(src, idx, table backend.Tensor) {
	const op = "ScatterAdd"
	ts, ti, tt := b.tensor(op, src), b.int32Tensor(op, idx), b.tensor(op, table)
	v, d, n := tt.shape.Rows(), tt.shape.Cols(), ti.len()
	if ts.len() != n*d {
		panic(fmt.Sprintf("cuda: ScatterAdd: src has shape %v, want %d×%d elements for idx %v and table %v", ts.shape, n, d, ti.shape, tt.shape))
	}
	if v > math.MaxInt32-1 || n > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: ScatterAdd: table %v or idx %v too large for int32 row counts", tt.shape, ti.shape))
	}
	if tt.overlaps(ts) || tt.overlaps(ti) {
		panic(fmt.Sprintf("cuda: ScatterAdd: table %v shares memory with src %v or idx %v", tt.shape, ts.shape, ti.shape))
	}
	scratch, done := b.scratch(op, uint64(4*(3*v+1+n)))
	defer done()
	count, start := scratch, scratch+4*uint64(v)
	cursor, perm := start+4*uint64(v+1), start+4*uint64(2*v+1)
	b.record(op, b.d.fill(count, 0, v))
	b.launchIndexed(op, kernels.ScatterCount, b.grid(n), new(args).ptr(ti).i64(n).i32(v).addr(count).addr(b.idxErr))
	b.launch(op, kernels.ScatterScan, 1, new(args).addr(count).addr(start).addr(cursor).i32(v))
	b.launch(op, kernels.ScatterPlace, 1, new(args).ptr(ti).i64(n).i32(v).addr(cursor).addr(perm))
	b.launch(op, kernels.ScatterSum, b.grid(v*d), new(args).ptr(ts).addr(start).addr(perm).ptr(tt).i32(v).i64(d))
}

// OneHot writes out[n, k] = 1 where k = labels[n], else 0
// (torch.nn.functional.one_hot), for out with labels' length times K
// elements, K its last dimension. A label outside [0, K) gives a row of
// zeros and an *IndexError from Sync.
func (b *Backend) OneHot(labels, out backend.Tensor) {
	const op = "OneHot"
	tl, to := b.int32Tensor(op, labels), b.tensor(op, out)
	n := tl.len()
	k := 1
	if len(to.shape) > 0 {
		k = to.shape[len(to.shape)-1]
	}
	if to.len() != n*k || k > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: OneHot: out has shape %v, want [%d, K] for labels %v", to.shape, n, tl.shape))
	}
	if to.overlaps(tl) {
		panic(fmt.Sprintf("cuda: OneHot: out %v shares memory with labels %v", to.shape, tl.shape))
	}
	b.launchIndexed(op, kernels.OneHot, b.grid(n*k), new(args).ptr(tl).ptr(to).i64(n).i32(k).addr(b.idxErr))
}

// CountCorrectLabels adds to count[0] the number of rows n of pred [N, K]
// whose first arg-max (as CountCorrect finds it) is the int32 labels[n].
// A label outside [0, K) counts as a miss and gives an *IndexError from
// Sync.
func (b *Backend) CountCorrectLabels(pred, labels, count backend.Tensor) {
	const op = "CountCorrectLabels"
	tp, tl, tc := b.tensor(op, pred), b.int32Tensor(op, labels), b.tensor(op, count)
	rows, cols := tp.shape.Rows(), tp.shape.Cols()
	if tl.len() != rows {
		panic(fmt.Sprintf("cuda: CountCorrectLabels: labels has shape %v, want %d elements for pred %v", tl.shape, rows, tp.shape))
	}
	check.Scalar(op, "count", tc.shape)
	hits, done := b.scratch(op, uint64(8*rows))
	defer done()
	b.launchIndexed(op, kernels.ArgmaxLabel, b.rowGrid(rows), new(args).ptr(tp).ptr(tl).addr(hits).i64(rows).i32(cols).addr(b.idxErr))
	b.reduce(op, hits, true, rows, 1, tc.ptr, 1)
}
