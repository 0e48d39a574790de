package cpu

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// bnShape checks a batch-norm call: x and the other full-size tensors have
// x's length, the per-channel ones C = x.Shape[1] elements. It returns the
// batch size, channels and spatial size of x.
func bnShape(op string, x *tensor, full []*tensor, perChannel []*tensor) (n, c, spatial int) {
	n, c, spatial = check.Channels(op, "x", x.shape)
	for _, t := range full {
		check.SameLen(op, []string{"x", "a same-size operand"}, x.shape, t.shape)
	}
	for _, t := range perChannel {
		check.Channels(op, "x", x.shape, t.shape)
	}
	return n, c, spatial
}

// bnOp names the pass a bnTask runs.
type bnOp int

const (
	bnTrain bnOp = iota
	bnInfer
	bnBackward
)

// bnTask runs a batch-norm pass over a range of channels (a range of
// (n, c) planes for bnInfer).
type bnTask struct {
	k               *vec.Kernels
	op              bnOp
	n, c, spatial   int
	x, y, dy, dx    []float32
	gamma, beta     []float32
	mean, invStd    []float32
	runMean, runVar []float32
	dgamma, dbeta   []float32
	momentum, eps   float32
}

// plane returns the elements of s in plane (i, ch).
func (t *bnTask) plane(s []float32, i, ch int) []float32 {
	lo := (i*t.c + ch) * t.spatial
	return s[lo : lo+t.spatial]
}

func (t *bnTask) run(_, lo, hi int) {
	for ch := lo; ch < hi; ch++ {
		switch t.op {
		case bnTrain:
			t.train(ch)
		case bnInfer:
			t.infer(ch)
		case bnBackward:
			t.backward(ch)
		}
	}
}

// train normalises channel ch with its batch statistics: the mean, then
// the variance as the sum of squared deviations from the float32 mean,
// both summed in float64 by the level's kernels.
func (t *bnTask) train(ch int) {
	m := t.n * t.spatial
	var s float64
	for i := 0; i < t.n; i++ {
		s += t.k.Sum(t.plane(t.x, i, ch))
	}
	mu := s / float64(m)
	var ss float64
	for i := 0; i < t.n; i++ {
		ss += t.k.SumSqDev(t.plane(t.x, i, ch), float32(mu))
	}
	inv := 1 / math.Sqrt(ss/float64(m)+float64(t.eps))
	scale := float32(float64(t.gamma[ch]) * inv)
	shift := float32(float64(t.beta[ch]) - mu*float64(t.gamma[ch])*inv)
	for i := 0; i < t.n; i++ {
		t.k.ScaleShift(t.plane(t.y, i, ch), t.plane(t.x, i, ch), scale, shift)
	}
	t.mean[ch], t.invStd[ch] = float32(mu), float32(inv)
	t.runMean[ch] = (1-t.momentum)*t.runMean[ch] + t.momentum*float32(mu)
	t.runVar[ch] = (1-t.momentum)*t.runVar[ch] + t.momentum*float32(ss/float64(m-1))
}

// infer normalises plane i = (n, c) with the running statistics.
func (t *bnTask) infer(i int) {
	ch := i % t.c
	inv := 1 / math.Sqrt(float64(t.runVar[ch])+float64(t.eps))
	scale := float32(float64(t.gamma[ch]) * inv)
	shift := float32(float64(t.beta[ch]) - float64(t.runMean[ch])*float64(t.gamma[ch])*inv)
	t.k.ScaleShift(t.y[i*t.spatial:(i+1)*t.spatial], t.x[i*t.spatial:(i+1)*t.spatial], scale, shift)
}

// backward writes channel ch's gradients: dβ = Σ dy and
// dγ = invStd·Σ dy·(x − μ) summed in float64, then
// dx = k·(M·dy − dβ − x̂·dγ) with k = γ·invStd/M, evaluated as
// (k·M)·dy + (k·(μ·invStd·dγ − dβ)) and then + (−k·invStd·dγ)·x.
func (t *bnTask) backward(ch int) {
	m := t.n * t.spatial
	mu, inv := t.mean[ch], t.invStd[ch]
	var sdy, sdyx float64
	for i := 0; i < t.n; i++ {
		dy := t.plane(t.dy, i, ch)
		sdy += t.k.Sum(dy)
		sdyx += t.k.DotDev(dy, t.plane(t.x, i, ch), mu)
	}
	sdyx *= float64(inv)
	t.dbeta[ch], t.dgamma[ch] = float32(sdy), float32(sdyx)
	k := float64(t.gamma[ch]) * float64(inv) / float64(m)
	a := float32(k * float64(m))
	c := float32(k * (float64(mu)*float64(inv)*sdyx - sdy))
	bx := float32(-k * float64(inv) * sdyx)
	for i := 0; i < t.n; i++ {
		dx := t.plane(t.dx, i, ch)
		t.k.ScaleShift(dx, t.plane(t.dy, i, ch), a, c)
		t.k.Axpy(dx, t.plane(t.x, i, ch), bx)
	}
}

var bnTasks freelist.List[bnTask]

// runBN runs t over items in parallel and recycles it.
func runBN(t *bnTask, items, grain int) {
	parallelDo(items, grain, t)
	*t = bnTask{}
	bnTasks.Put(t)
}

// BatchNormTrain normalises x per channel with the batch statistics and
// updates the running ones (see backend.Backend). Means and variances are
// accumulated in float64, the variance in a second pass over x − μ.
func (b *Backend) BatchNormTrain(x, gamma, beta, y, mean, invStd, runMean, runVar backend.Tensor, momentum, eps float32) {
	const op = "BatchNormTrain"
	tx, ty := b.tensor(op, x), b.tensor(op, y)
	tg, tb, tm, ti := b.tensor(op, gamma), b.tensor(op, beta), b.tensor(op, mean), b.tensor(op, invStd)
	trm, trv := b.tensor(op, runMean), b.tensor(op, runVar)
	n, c, spatial := bnShape(op, tx, []*tensor{ty}, []*tensor{tg, tb, tm, ti, trm, trv})
	m := n * spatial
	if m < 2 {
		panic(fmt.Sprintf("cpu: %s: x has shape %v: %d values per channel, want at least 2", op, tx.shape, m))
	}
	t := bnTasks.Get()
	*t = bnTask{k: vec.For(b.level), op: bnTrain, n: n, c: c, spatial: spatial, x: tx.data, y: ty.data,
		gamma: tg.data, beta: tb.data, mean: tm.data, invStd: ti.data, runMean: trm.data, runVar: trv.data,
		momentum: momentum, eps: eps}
	runBN(t, c, max(1, elemGrain/m))
}

// BatchNormInfer normalises x per channel with the running statistics.
func (b *Backend) BatchNormInfer(x, gamma, beta, runMean, runVar, y backend.Tensor, eps float32) {
	const op = "BatchNormInfer"
	tx, ty := b.tensor(op, x), b.tensor(op, y)
	tg, tb, trm, trv := b.tensor(op, gamma), b.tensor(op, beta), b.tensor(op, runMean), b.tensor(op, runVar)
	n, c, spatial := bnShape(op, tx, []*tensor{ty}, []*tensor{tg, tb, trm, trv})
	t := bnTasks.Get()
	*t = bnTask{k: vec.For(b.level), op: bnInfer, n: n, c: c, spatial: spatial, x: tx.data, y: ty.data,
		gamma: tg.data, beta: tb.data, runMean: trm.data, runVar: trv.data, eps: eps}
	runBN(t, n*c, max(1, elemGrain/spatial))
}

// BatchNormBackward writes dx, dgamma and dbeta for BatchNormTrain (see
// backend.Backend); the channel sums are accumulated in float64.
func (b *Backend) BatchNormBackward(x, dy, gamma, mean, invStd, dx, dgamma, dbeta backend.Tensor) {
	const op = "BatchNormBackward"
	tx, tdy, tdx := b.tensor(op, x), b.tensor(op, dy), b.tensor(op, dx)
	tg, tm, ti := b.tensor(op, gamma), b.tensor(op, mean), b.tensor(op, invStd)
	tdg, tdb := b.tensor(op, dgamma), b.tensor(op, dbeta)
	n, c, spatial := bnShape(op, tx, []*tensor{tdy, tdx}, []*tensor{tg, tm, ti, tdg, tdb})
	t := bnTasks.Get()
	*t = bnTask{k: vec.For(b.level), op: bnBackward, n: n, c: c, spatial: spatial, x: tx.data, dy: tdy.data, dx: tdx.data,
		gamma: tg.data, mean: tm.data, invStd: ti.data, dgamma: tdg.data, dbeta: tdb.data}
	runBN(t, c, max(1, elemGrain/(n*spatial)))
}
