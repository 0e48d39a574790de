package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

var _ backend.Reducer = (*Backend)(nil)

// axisBlock is the number of columns an axis reduction with elements after
// its axis accumulates at once: a float64 accumulator of 16 KB that stays
// in the level-1 cache while the reduced axis streams past it.
const axisBlock = 2048

// axisRows is the number of rows of the reduced axis an axis sum or
// maximum folds into its accumulator per pass: few enough streams for the
// prefetchers, enough to keep the accumulator's loads and stores off the
// critical path.
const axisRows = 8

// axisDims splits x's shape around axis into the elements before it
// (outer), along it (n) and after it (inner), panicking with the op's name
// unless axis is one of x's, and unless out (named name) has
// outer·inner elements.
func axisDims(op string, x *tensor, axis int, name string, out *tensor) (outer, n, inner int) {
	if axis < 0 || axis >= len(x.shape) {
		panic(fmt.Sprintf("cpu: %s: axis %d of x %v: want 0 ≤ axis < %d", op, axis, x.shape, len(x.shape)))
	}
	outer, n, inner = 1, x.shape[axis], 1
	for _, d := range x.shape[:axis] {
		outer *= d
	}
	for _, d := range x.shape[axis+1:] {
		inner *= d
	}
	if l := max(len(out.data), len(out.ints)); l != outer*inner {
		panic(fmt.Sprintf("cpu: %s: %s has shape %v, want %d elements: x %v without axis %d", op, name, out.shape, outer*inner, x.shape, axis))
	}
	return outer, n, inner
}

// accumulate returns r + beta·old rounded to float32, or r alone when beta
// is 0 (so that a NaN in old is ignored).
func accumulate(r float64, beta, old float32) float32 {
	if beta == 0 {
		return float32(r)
	}
	return float32(r + float64(beta)*float64(old))
}

// rowSum returns Σ x in float64: fixed chunks of sumChunk elements summed
// by the level's Sum kernel, their sums added in order, as Sum does.
func rowSum(k *vec.Kernels, x []float32) float64 {
	var s float64
	for lo := 0; lo < len(x); lo += sumChunk {
		s += k.Sum(x[lo:min(lo+sumChunk, len(x))])
	}
	return s
}

// axisTask runs Reduce or ArgMax over a range of items: rows of x when
// inner is 1 (the reduced axis is the last), else blocks of up to
// axisBlock columns of one outer index.
type axisTask struct {
	k        *vec.Kernels
	op       backend.ReduceOp
	argMax   bool
	x, y     []float32 // y: the reduction, or ArgMax's values (nil if not asked for)
	idx      []int32
	n, inner int // x as [outer, n, inner], reduced along n
	block    int // column blocks per outer index
	beta     float32
	wide     [][]float64 // per worker: the float64 accumulator of a block
	narrow   [][]float32 // per worker: the running maximum of a block
}

func (t *axisTask) run(w, lo, hi int) {
	for it := lo; it < hi; it++ {
		if t.inner == 1 {
			t.row(it)
		} else {
			t.columns(w, it/t.block, it%t.block*axisBlock)
		}
	}
}

// row reduces row o of x, x[o·n : (o+1)·n].
func (t *axisTask) row(o int) {
	x := t.x[o*t.n : (o+1)*t.n]
	if t.argMax {
		best := 0
		for j, v := range x {
			if v != v {
				best = j
				break
			}
			if v > x[best] {
				best = j
			}
		}
		t.idx[o] = int32(best)
		if t.y != nil {
			t.y[o] = x[best]
		}
		return
	}
	var r float64
	switch t.op {
	case backend.ReduceSum:
		r = rowSum(t.k, x)
	case backend.ReduceMean:
		r = rowSum(t.k, x) / float64(t.n)
	case backend.ReduceMax:
		r = float64(t.k.MaxRow(x))
	}
	t.y[o] = accumulate(r, t.beta, t.y[o])
}

// columns reduces columns [i0, i0+axisBlock) ∩ [0, inner) of outer index
// o, streaming the rows of the reduced axis in order past an accumulator.
func (t *axisTask) columns(w, o, i0 int) {
	bw := min(axisBlock, t.inner-i0)
	base := o*t.n*t.inner + i0
	out := o*t.inner + i0
	rowAt := func(j int) []float32 { return t.x[base+j*t.inner : base+j*t.inner+bw] }
	if t.argMax || t.op == backend.ReduceMax {
		m := t.narrow[w][:bw]
		copy(m, rowAt(0))
		if t.argMax {
			t.argColumns(m, rowAt, t.idx[out:out+bw])
			if t.y != nil {
				copy(t.y[out:out+bw], m)
			}
			return
		}
		for j := 1; j < t.n; j += axisRows {
			rows := min(axisRows, t.n-j)
			t.k.MaxRows(m, t.x[base+j*t.inner:base+(j+rows-1)*t.inner+bw], t.inner, rows)
		}
		y := t.y[out : out+bw]
		for i, v := range m {
			y[i] = accumulate(float64(v), t.beta, y[i])
		}
		return
	}
	acc := t.wide[w][:bw]
	clear(acc)
	for j := 0; j < t.n; j += axisRows {
		rows := min(axisRows, t.n-j)
		t.k.AddWideRows(acc, t.x[base+j*t.inner:base+(j+rows-1)*t.inner+bw], t.inner, rows)
	}
	y := t.y[out : out+bw]
	for i, s := range acc {
		if t.op == backend.ReduceMean {
			s /= float64(t.n)
		}
		y[i] = accumulate(s, t.beta, y[i])
	}
}

// argColumns finds, for each column of a block, the first index along the
// axis of its maximum (or of its first NaN), m holding row 0 on entry and
// the maxima on return.
func (t *axisTask) argColumns(m []float32, rowAt func(int) []float32, idx []int32) {
	clear(idx)
	for j := 1; j < t.n; j++ {
		for i, v := range rowAt(j) {
			if (v > m[i] || v != v) && m[i] == m[i] {
				m[i], idx[i] = v, int32(j)
			}
		}
	}
}

var axisTasks freelist.List[axisTask]

// runAxis runs t over outer·(rows or column blocks) items in parallel,
// giving each worker its accumulators, and returns t to its pool.
func runAxis(t *axisTask, outer int) {
	items, cost := outer, t.n
	if t.inner > 1 {
		t.block = (t.inner + axisBlock - 1) / axisBlock
		items, cost = outer*t.block, t.n*min(t.inner, axisBlock)
	}
	grain := max(1, elemGrain/max(cost, 1))
	if t.inner > 1 {
		for len(t.wide) < workers(items, grain) {
			t.wide = append(t.wide, make([]float64, axisBlock))
			t.narrow = append(t.narrow, make([]float32, axisBlock))
		}
	}
	parallelDo(items, grain, t)
	wide, narrow := t.wide, t.narrow
	*t = axisTask{wide: wide, narrow: narrow}
	axisTasks.Put(t)
}

// Reduce writes y = op over axis of x, + beta·y (beta 0 ignores y's old
// contents, NaN included): torch.sum, torch.mean, torch.amax(x, dim=axis).
// Sums are taken in float64 and rounded once (Mean divides in float64):
// along the last axis by the level's Sum kernel over fixed chunks of
// sumChunk elements, as Sum; along any other, by adding the rows of the
// axis in order into a float64 accumulator of up to axisBlock columns. Max
// (the level's MaxRow kernel along the last axis, its MaxRows kernel along
// any other) is NaN where any element is. Work is split by output position only, so
// the result is the same bits for any GOMAXPROCS.
func (b *Backend) Reduce(op backend.ReduceOp, x backend.Tensor, axis int, y backend.Tensor, beta float32) {
	if op < backend.ReduceSum || op > backend.ReduceMax {
		panic(fmt.Sprintf("cpu: Reduce: unknown reduction %v", op))
	}
	tx, ty := b.tensor("Reduce", x), b.tensor("Reduce", y)
	outer, n, inner := axisDims("Reduce", tx, axis, "y", ty)
	if outer == 1 && inner == 1 && op != backend.ReduceMax {
		// One row: its chunks in parallel, added in order as rowSum does.
		t := sumAllTasks.Get()
		*t = sumAllTask{k: vec.For(b.level), x: tx.data}
		s := sumChunks(n, sumChunk, 1, t)
		*t = sumAllTask{}
		sumAllTasks.Put(t)
		if op == backend.ReduceMean {
			s /= float64(n)
		}
		ty.data[0] = accumulate(s, beta, ty.data[0])
		return
	}
	t := axisTasks.Get()
	t.k, t.op, t.x, t.y, t.n, t.inner, t.beta = vec.For(b.level), op, tx.data, ty.data, n, inner, beta
	runAxis(t, outer)
}

// ArgMax writes, for each position of x with axis removed, the index along
// axis of the maximum into the int32 tensor indices and, unless values is
// nil, the maximum into values (torch.max(x, dim=axis)): the first maximum
// on ties, and the first NaN where there is one, NaN counting as the
// largest value as in PyTorch.
func (b *Backend) ArgMax(x backend.Tensor, axis int, values, indices backend.Tensor) {
	tx, ti := b.tensor("ArgMax", x), b.int32Tensor("ArgMax", indices)
	outer, n, inner := axisDims("ArgMax", tx, axis, "indices", ti)
	var v []float32
	if values != nil {
		tv := b.tensor("ArgMax", values)
		axisDims("ArgMax", tx, axis, "values", tv)
		v = tv.data
	}
	t := axisTasks.Get()
	t.k, t.argMax, t.x, t.y, t.idx, t.n, t.inner = vec.For(b.level), true, tx.data, v, ti.ints, n, inner
	runAxis(t, outer)
}

// BiasGradAdd writes db[c] = Σₙ Σₛ dy[n, c, s] + beta·db[c] (beta 0
// ignores db's old contents, NaN included), summed as BiasGrad sums.
func (b *Backend) BiasGradAdd(dy backend.Tensor, beta float32, db backend.Tensor) {
	b.biasGrad("BiasGradAdd", dy, beta, db)
}

// ActivateBackwardAdd writes dx = dy·f′(x) + beta·dx (beta 0 ignores dx's
// old contents, NaN included), f′ as in ActivateBackward; with beta ≠ 0 the
// sum is one fused multiply-add on the assembly levels. dx must not alias
// dy unless beta is 0.
func (b *Backend) ActivateBackwardAdd(a backend.Activation, x, y, dy backend.Tensor, beta float32, dx backend.Tensor) {
	b.activateBackward("ActivateBackwardAdd", a, x, y, dy, beta, dx)
}
