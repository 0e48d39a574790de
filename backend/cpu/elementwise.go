package cpu

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// elemOp names the simple elementwise kernels an elemTask runs.
type elemOp int

const (
	opAdd   elemOp = iota // c = a + b
	opMul                 // c = a∘b
	opScale               // c = alpha·c
	opAxpy                // c = alpha·a + c
	opFill                // c = alpha
)

// elemTask runs one simple elementwise kernel over a range of elements.
type elemTask struct {
	k       *vec.Kernels
	op      elemOp
	a, b, c []float32
	alpha   float32
}

func (t *elemTask) run(_, lo, hi int) {
	c := t.c[lo:hi]
	switch t.op {
	case opAdd:
		t.k.Add(c, t.a[lo:hi], t.b[lo:hi])
	case opMul:
		t.k.Mul(c, t.a[lo:hi], t.b[lo:hi])
	case opScale:
		t.k.Scale(c, t.alpha)
	case opAxpy:
		t.k.Axpy(c, t.a[lo:hi], t.alpha)
	case opFill:
		t.k.Fill(c, t.alpha)
	}
}

var elemTasks freelist.List[elemTask]

// elementwise runs op over all of c in parallel, without allocating.
func (b *Backend) elementwise(op elemOp, a, bs, c []float32, alpha float32) {
	t := elemTasks.Get()
	*t = elemTask{k: vec.For(b.level), op: op, a: a, b: bs, c: c, alpha: alpha}
	parallelDo(len(c), elemGrain, t)
	*t = elemTask{}
	elemTasks.Put(t)
}

// fill sets every element of d to v with the backend's kernels, in
// parallel and without allocating.
func (b *Backend) fill(d []float32, v float32) { b.elementwise(opFill, nil, nil, d, v) }

// Add writes c = a + b elementwise; c may be a or b.
func (b *Backend) Add(a, bt, c backend.Tensor) {
	ta, tb, tc := b.tensor("Add", a), b.tensor("Add", bt), b.tensor("Add", c)
	check.SameLen("Add", []string{"a", "b", "c"}, ta.shape, tb.shape, tc.shape)
	b.elementwise(opAdd, ta.data, tb.data, tc.data, 0)
}

// Mul writes c = a∘b elementwise; c may be a or b.
func (b *Backend) Mul(a, bt, c backend.Tensor) {
	ta, tb, tc := b.tensor("Mul", a), b.tensor("Mul", bt), b.tensor("Mul", c)
	check.SameLen("Mul", []string{"a", "b", "c"}, ta.shape, tb.shape, tc.shape)
	b.elementwise(opMul, ta.data, tb.data, tc.data, 0)
}

// Scale sets x = alpha·x.
func (b *Backend) Scale(alpha float32, x backend.Tensor) {
	b.elementwise(opScale, nil, nil, b.tensor("Scale", x).data, alpha)
}

// Axpy sets y = alpha·x + y (fused multiply-add on the assembly levels).
func (b *Backend) Axpy(alpha float32, x, y backend.Tensor) {
	tx, ty := b.tensor("Axpy", x), b.tensor("Axpy", y)
	check.SameLen("Axpy", []string{"x", "y"}, tx.shape, ty.shape)
	b.elementwise(opAxpy, tx.data, nil, ty.data, alpha)
}

// biasTask adds or sums per-channel values over a range of items: planes
// (n, c) for AddBias with a spatial extent, rows n without one, channels
// for BiasGrad.
type biasTask struct {
	k             *vec.Kernels
	y, b          []float32
	n, c, spatial int
	grad          bool
	beta          float32 // BiasGradAdd's factor of the old db
}

func (t *biasTask) run(_, lo, hi int) {
	switch {
	case t.grad:
		for ch := lo; ch < hi; ch++ {
			var s float64
			for i := 0; i < t.n; i++ {
				s += t.k.Sum(t.y[(i*t.c+ch)*t.spatial : (i*t.c+ch+1)*t.spatial])
			}
			t.b[ch] = accumulate(s, t.beta, t.b[ch])
		}
	case t.spatial == 1:
		for i := lo; i < hi; i++ {
			row := t.y[i*t.c : (i+1)*t.c]
			t.k.Add(row, row, t.b)
		}
	default:
		for i := lo; i < hi; i++ {
			t.k.AddConst(t.y[i*t.spatial:(i+1)*t.spatial], t.b[i%t.c])
		}
	}
}

var biasTasks freelist.List[biasTask]

// AddBias adds b[c] to every y[n, c, …].
func (b *Backend) AddBias(y, bias backend.Tensor) {
	ty, tb := b.tensor("AddBias", y), b.tensor("AddBias", bias)
	n, c, spatial := check.Channels("AddBias", "y", ty.shape, tb.shape)
	t := biasTasks.Get()
	*t = biasTask{k: vec.For(b.level), y: ty.data, b: tb.data, n: n, c: c, spatial: spatial}
	if spatial == 1 {
		parallelDo(n, max(1, elemGrain/c), t)
	} else {
		parallelDo(n*c, max(1, elemGrain/spatial), t)
	}
	*t = biasTask{}
	biasTasks.Put(t)
}

// BiasGrad overwrites db[c] with Σₙ Σₛ dy[n, c, s]: each plane summed in
// float64 by the level's Sum kernel, the planes added in order of n.
func (b *Backend) BiasGrad(dy, db backend.Tensor) { b.biasGrad("BiasGrad", dy, 0, db) }

// biasGrad is BiasGrad and BiasGradAdd: db = Σₙ Σₛ dy[n, c, s] + beta·db,
// db's old contents ignored when beta is 0.
func (b *Backend) biasGrad(op string, dy backend.Tensor, beta float32, db backend.Tensor) {
	tdy, tdb := b.tensor(op, dy), b.tensor(op, db)
	n, c, spatial := check.Channels(op, "dy", tdy.shape, tdb.shape)
	if spatial == 1 {
		// A matrix [N, C]: its column sums, which the axis reduction adds
		// a block of rows at a time (a plane of one element per Sum call
		// costs a call per element).
		t := axisTasks.Get()
		t.k, t.op, t.x, t.y, t.n, t.inner, t.beta = vec.For(b.level), backend.ReduceSum, tdy.data, tdb.data, n, c, beta
		runAxis(t, 1)
		return
	}
	t := biasTasks.Get()
	*t = biasTask{k: vec.For(b.level), y: tdy.data, b: tdb.data, n: n, c: c, spatial: spatial, grad: true, beta: beta}
	parallelDo(c, max(1, elemGrain/(n*spatial)), t)
	*t = biasTask{}
	biasTasks.Put(t)
}

// sumAllTask is the partSummer of Sum.
type sumAllTask struct {
	k *vec.Kernels
	x []float32
}

func (t *sumAllTask) part(lo, hi int) float64 { return t.k.Sum(t.x[lo:hi]) }

var sumAllTasks freelist.List[sumAllTask]

// Sum writes the sum of all elements of x into dst[0]: fixed chunks of
// sumChunk elements summed in float64 by the level's Sum kernel, their
// sums added in order.
func (b *Backend) Sum(x, dst backend.Tensor) {
	tx, td := b.tensor("Sum", x), b.tensor("Sum", dst)
	check.Scalar("Sum", "dst", td.shape)
	t := sumAllTasks.Get()
	*t = sumAllTask{k: vec.For(b.level), x: tx.data}
	s := sumChunks(len(tx.data), sumChunk, 1, t)
	*t = sumAllTask{}
	sumAllTasks.Put(t)
	td.data[0] = float32(s)
}
