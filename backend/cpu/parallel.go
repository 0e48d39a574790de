package cpu

import (
	"runtime"
	"sync"
)

// elemGrain is the fewest elements worth handing to a goroutine in a cheap
// elementwise loop; smaller ops run on the calling goroutine.
const elemGrain = 1 << 15

// workGrain is the fewest multiply-adds (or comparable units of work) worth
// handing to a goroutine.
const workGrain = 1 << 16

// sumChunk is the fixed number of elements a reduction sums serially before
// its partial sums are combined. It does not depend on the number of
// threads, which keeps reductions bit-identical for any GOMAXPROCS.
const sumChunk = 1 << 12

// workers returns the number of goroutines parallelFor uses for n items of
// which each goroutine must get at least grain: at most GOMAXPROCS.
func workers(n, grain int) int {
	w := runtime.GOMAXPROCS(0)
	if m := n / max(grain, 1); m < w {
		w = m
	}
	return max(w, 1)
}

// A task is work over a range of items that parallelDo splits among
// workers: run does items [lo, hi) as worker w. Ops on hot paths implement
// it with a small struct taken from a taskPool, so that they allocate
// nothing per call (a closure handed to another goroutine always does).
type task interface {
	run(w, lo, hi int)
}

// parallelDo splits [0, n) into workers(n, grain) contiguous ranges and
// runs t.run on each, range w = 0 on the caller and the others on the
// package's persistent worker goroutines, and returns when all have
// returned. A panic in any range is raised again on the caller once all
// have returned. It allocates nothing in steady state. A task must not
// call parallelDo itself: the worker goroutines would wait on each other.
func parallelDo(n, grain int, t task) {
	nw := workers(n, grain)
	if nw == 1 {
		t.run(0, 0, n)
		return
	}
	g := groups.get()
	g.wg.Add(nw - 1)
	for w := 1; w < nw; w++ {
		pool.submit(job{t: t, g: g, w: w, lo: w * n / nw, hi: (w + 1) * n / nw})
	}
	g.do(t, 0, 0, n/nw)
	g.wg.Wait()
	failure := g.failure
	g.failure = nil
	groups.put(g)
	if failure != nil {
		panic(failure)
	}
}

// group tracks the ranges of one parallelDo call.
type group struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	failure any // the first panic of any range
}

// do runs t.run(w, lo, hi), recording a panic in g instead of raising it.
func (g *group) do(t task, w, lo, hi int) {
	defer func() {
		if r := recover(); r != nil {
			g.mu.Lock()
			if g.failure == nil {
				g.failure = r
			}
			g.mu.Unlock()
		}
	}()
	t.run(w, lo, hi)
}

var groups taskPool[group]

// job is one range of a parallelDo call, queued for a worker goroutine.
type job struct {
	t         task
	g         *group
	w, lo, hi int
}

// workerPool is a set of goroutines that live as long as the program and
// run jobs; it grows to GOMAXPROCS−1 goroutines as calls need them.
type workerPool struct {
	mu      sync.Mutex
	started int
	jobs    chan job
}

var pool = workerPool{jobs: make(chan job, 256)}

// submit queues j, first starting worker goroutines up to GOMAXPROCS−1.
func (p *workerPool) submit(j job) {
	if want := runtime.GOMAXPROCS(0) - 1; p.startedLess(want) {
		p.mu.Lock()
		for p.started < want {
			p.started++
			go p.work()
		}
		p.mu.Unlock()
	}
	p.jobs <- j
}

func (p *workerPool) startedLess(n int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started < n
}

// work runs queued jobs forever.
func (p *workerPool) work() {
	for j := range p.jobs {
		j.g.do(j.t, j.w, j.lo, j.hi)
		j.g.wg.Done()
	}
}

// taskPool recycles values of type T (task structs, groups) so that hot
// ops allocate nothing in steady state.
type taskPool[T any] struct{ p sync.Pool }

// get returns a recycled *T, or a new zero one.
func (tp *taskPool[T]) get() *T {
	if v := tp.p.Get(); v != nil {
		return v.(*T)
	}
	return new(T)
}

// put returns v to the pool. The caller must not use v afterwards.
func (tp *taskPool[T]) put(v *T) { tp.p.Put(v) }

// funcTask adapts a closure to task, for parallelFor.
type funcTask func(w, lo, hi int)

func (f funcTask) run(w, lo, hi int) { f(w, lo, hi) }

// parallelFor is parallelDo for a closure: simpler to write, but the
// closure is allocated on every call, so hot ops use parallelDo.
func parallelFor(n, grain int, body func(w, lo, hi int)) {
	parallelDo(n, grain, funcTask(body))
}

// grainFor returns the number of items, each costing cost units of work,
// that make up workGrain.
func grainFor(cost int) int {
	return max(1, workGrain/max(cost, 1))
}

// chunkedSum splits [0, n) into fixed chunks of chunk items, computes
// part(lo, hi) for every chunk in parallel, and returns the sum of the parts
// in chunk order. The result does not depend on GOMAXPROCS.
func chunkedSum(n, chunk, cost int, part func(lo, hi int) float64) float64 {
	nc := (n + chunk - 1) / chunk
	if nc <= 1 {
		return part(0, n)
	}
	parts := make([]float64, nc)
	parallelFor(nc, grainFor(chunk*cost), func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			parts[c] = part(c*chunk, min((c+1)*chunk, n))
		}
	})
	var s float64
	for _, p := range parts {
		s += p
	}
	return s
}
