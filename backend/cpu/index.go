package cpu

import (
	"fmt"
	"unsafe"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

var _ backend.Indexer = (*Backend)(nil)

// checkIndices panics, naming op, the first index and the table's shape,
// unless every index is in [0, v).
func checkIndices(op string, idx []int32, v int, table *tensor) {
	for i, x := range idx {
		if x < 0 || int(x) >= v {
			panic(fmt.Sprintf("cpu: %s: index %d at position %d is outside [0, %d) for table of shape %v", op, x, i, v, table.shape))
		}
	}
}

// Gather writes row i of out with row idx[i] of table: out[i, :] =
// table[idx[i], :] (torch.nn.functional.embedding, torch.index_select(
// table, 0, idx)). table is read as a matrix [V, D] (rows = Shape[0]), idx
// is an int32 tensor of any shape with N elements, and out, of the element
// type of table (float32 or int32), has N·D elements: [N, D], or e.g.
// [N, T, D] for idx [N, T]. It panics, naming the index and the table's
// shape, if an index is outside [0, V); out is then unchanged. Large
// outputs are copied by several goroutines, a row at a time (by the
// level's GatherRows kernel, which prefetches rows 64 indices ahead).
func (b *Backend) Gather(table, idx, out backend.Tensor) {
	tt, ti, to := b.anyTensor("Gather", table), b.int32Tensor("Gather", idx), b.anyTensor("Gather", out)
	v, d, n := tt.rows, tt.cols, len(ti.ints)
	if to.dtype != tt.dtype || to.len() != n*d {
		panic(fmt.Sprintf("cpu: Gather: table %v (%v), idx %v, out %v (%v): want out of the table's type with %d×%d elements",
			tt.shape, tt.dtype, ti.shape, to.shape, to.dtype, n, d))
	}
	checkIndices("Gather", ti.ints, v, tt)
	t := gatherTasks.Get()
	*t = gatherTask{k: vec.For(b.level), idx: ti.ints, d: d, table: tt.data, out: to.data, tableI: tt.ints, outI: to.ints}
	parallelDo(n, max(1, elemGrain/d), t)
	*t = gatherTask{}
	gatherTasks.Put(t)
}

// gatherTask copies the rows of a Gather with the level's GatherRows
// kernel, int32 rows as float32 bits.
type gatherTask struct {
	k            *vec.Kernels
	idx          []int32
	d            int
	table, out   []float32
	tableI, outI []int32
}

var gatherTasks freelist.List[gatherTask]

func (t *gatherTask) run(_, lo, hi int) {
	d := t.d
	if t.out != nil {
		t.k.GatherRows(t.out[lo*d:hi*d], t.table, t.idx[lo:hi], d)
		return
	}
	t.k.GatherRows(int32Bits(t.outI[lo*d:hi*d]), int32Bits(t.tableI), t.idx[lo:hi], d)
}

// int32Bits returns x's memory as float32: GatherRows only moves the bits
// of its elements, so it copies int32 rows exactly.
func int32Bits(x []int32) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

// scatterPiece is the fewest columns a goroutine of ScatterAdd takes when
// it splits the table by columns: a cache line of floats, so that no two
// goroutines write the same line.
const scatterPiece = 16

// ScatterAdd is Gather's adjoint: table[idx[i], :] += src[i, :] for every
// i (torch.Tensor.index_add_(0, idx, src)), float32 only, with the shapes
// of Gather (src in out's place). Repeated indices sum in the order of i
// whatever the number of goroutines, so the result is the same bits on
// every run: large calls split the table by columns (or, when its rows are
// short, by rows), never the indices. It panics, naming the index and the
// table's shape, if an index is outside [0, V); table is then unchanged.
func (b *Backend) ScatterAdd(src, idx, table backend.Tensor) {
	ts, ti, tt := b.tensor("ScatterAdd", src), b.int32Tensor("ScatterAdd", idx), b.tensor("ScatterAdd", table)
	v, d, n := tt.rows, tt.cols, len(ti.ints)
	if len(ts.data) != n*d {
		panic(fmt.Sprintf("cpu: ScatterAdd: src %v, idx %v, table %v: want src with %d×%d elements", ts.shape, ti.shape, tt.shape, n, d))
	}
	if overlap(ts.data, tt.data) {
		panic(fmt.Sprintf("cpu: ScatterAdd: src %v shares memory with table %v", ts.shape, tt.shape))
	}
	checkIndices("ScatterAdd", ti.ints, v, tt)
	t := scatterTasks.Get()
	*t = scatterTask{k: vec.For(b.level), idx: ti.ints, v: v, d: d, src: ts.data, table: tt.data}
	switch nw := workers(n*d, elemGrain); {
	case nw == 1:
		t.run(0, 0, v)
	case d >= nw*scatterPiece:
		// Each goroutine adds its columns of every row, in the order of i.
		t.cols = true
		units := (d + scatterPiece - 1) / scatterPiece
		parallelDo(units, (units+nw-1)/nw, t)
	default:
		// Each goroutine adds the rows of its part of the table, scanning
		// all of idx in order.
		parallelDo(v, (v+nw-1)/nw, t)
	}
	*t = scatterTask{}
	scatterTasks.Put(t)
}

// scatterTask adds the rows of src into table: for the items [lo, hi) of
// table rows, or with cols set of scatterPiece-column pieces of every row.
type scatterTask struct {
	k          *vec.Kernels
	idx        []int32
	v, d       int
	src, table []float32
	cols       bool
}

var scatterTasks freelist.List[scatterTask]

func (t *scatterTask) run(_, lo, hi int) {
	d := t.d
	c0, c1 := 0, d
	v0, v1 := lo, hi
	if t.cols {
		c0, c1 = lo*scatterPiece, min(hi*scatterPiece, d)
		v0, v1 = 0, t.v
	}
	for i, x := range t.idx {
		r := int(x)
		if r < v0 || r >= v1 {
			continue
		}
		row := t.table[r*d+c0 : r*d+c1]
		t.k.Add(row, row, t.src[i*d+c0:i*d+c1])
	}
}

// OneHot writes out[…, k] = 1 where k = labels[…] and 0 elsewhere
// (torch.nn.functional.one_hot): labels is an int32 tensor of N elements
// and out, float32, has N·K elements with K its last dimension ([N, K] for
// labels [N]). It panics, naming the label and out's shape, if a label is
// outside [0, K).
func (b *Backend) OneHot(labels, out backend.Tensor) {
	tl, to := b.int32Tensor("OneHot", labels), b.tensor("OneHot", out)
	n := len(tl.ints)
	k := 1
	if len(to.shape) > 0 {
		k = to.shape[len(to.shape)-1]
	}
	if len(to.data) != n*k {
		panic(fmt.Sprintf("cpu: OneHot: labels %v, out %v: want out with %d×%d elements (K = out's last dimension)", tl.shape, to.shape, n, k))
	}
	checkIndices("OneHot", tl.ints, k, to)
	t := oneHotTasks.Get()
	*t = oneHotTask{labels: tl.ints, k: k, out: to.data}
	parallelDo(n, max(1, elemGrain/k), t)
	*t = oneHotTask{}
	oneHotTasks.Put(t)
}

// oneHotTask writes rows of a OneHot.
type oneHotTask struct {
	labels []int32
	k      int
	out    []float32
}

var oneHotTasks freelist.List[oneHotTask]

func (t *oneHotTask) run(_, lo, hi int) {
	clear(t.out[lo*t.k : hi*t.k])
	for i := lo; i < hi; i++ {
		t.out[i*t.k+int(t.labels[i])] = 1
	}
}

// CountCorrectLabels adds to count[0] the number of rows n of pred,
// read as a matrix [N, K], whose arg-max (the first on ties, as in
// CountCorrect) equals the int32 labels[n]; labels has N elements and count
// one. It panics, naming the label and pred's shape, if a label is outside
// [0, K).
func (b *Backend) CountCorrectLabels(pred, labels, count backend.Tensor) {
	tp, tl, tc := b.tensor("CountCorrectLabels", pred), b.int32Tensor("CountCorrectLabels", labels), b.tensor("CountCorrectLabels", count)
	if len(tl.ints) != tp.rows || len(tc.data) != 1 {
		panic(fmt.Sprintf("cpu: CountCorrectLabels: pred %v, labels %v, count %v: want one label per row of pred and one count", tp.shape, tl.shape, tc.shape))
	}
	checkIndices("CountCorrectLabels", tl.ints, tp.cols, tp)
	t := countTasks.Get()
	*t = countTask{pred: tp.data, labels: tl.ints, k: tp.cols}
	tc.data[0] += float32(sumChunks(tp.rows, max(1, sumChunk/tp.cols), tp.cols, t))
	*t = countTask{}
	countTasks.Put(t)
}

// countTask counts the correct rows of a CountCorrectLabels.
type countTask struct {
	pred   []float32
	labels []int32
	k      int
}

var countTasks freelist.List[countTask]

func (t *countTask) part(lo, hi int) float64 {
	var s float64
	for r := lo; r < hi; r++ {
		if argMax(t.pred[r*t.k:(r+1)*t.k]) == int(t.labels[r]) {
			s++
		}
	}
	return s
}
