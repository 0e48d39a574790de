package cpu

import (
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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

// workers returns the number of goroutines parallelDo uses for n items of
// which each goroutine must get at least grain: at most GOMAXPROCS.
func workers(n, grain int) int {
	m := n / max(grain, 1)
	if m <= 1 {
		return 1 // without asking the runtime, which takes a lock
	}
	return min(m, runtime.GOMAXPROCS(0))
}

// A task is work over a range of items that parallelDo splits among
// workers: run does items [lo, hi) as worker w. Ops on hot paths implement
// it with a small struct taken from a freelist.List, so that they allocate
// nothing per call (a closure handed to another goroutine always does).
type task interface {
	run(w, lo, hi int)
}

// parallelDo splits [0, n) into workers(n, grain) contiguous ranges and
// runs t.run on each, range w = 0 on the caller and the others on the
// package's worker goroutines (or on the caller, if it finishes its own
// range while one is still queued), and returns when all have returned.
// A panic in any range is raised again on the caller once all have
// returned. It allocates nothing in steady state. A task must not call
// parallelDo itself: the worker goroutines would wait on each other.
func parallelDo(n, grain int, t task) {
	nw := workers(n, grain)
	if nw == 1 {
		t.run(0, 0, n)
		return
	}
	g := groups.Get()
	g.pending.Store(int32(nw - 1))
	for w := 1; w < nw; w++ {
		pool.submit(job{t: t, g: g, w: w, lo: w * n / nw, hi: (w + 1) * n / nw})
	}
	g.do(t, 0, 0, n/nw)
	// Wait for the workers, yielding: the ranges are equal, so the wait is
	// short, and blocking (a semaphore or channel) would cost a wake-up.
	// A range still queued meanwhile, of this call or another, is run here:
	// all workers may be busy with other calls, or may have retired after
	// GOMAXPROCS was lowered.
	for g.pending.Load() > 0 {
		select {
		case j := <-pool.jobs:
			j.run()
		default:
			runtime.Gosched()
		}
	}
	failure := g.failure
	g.failure = nil
	groups.Put(g)
	if failure != nil {
		panic(failure)
	}
}

// group tracks the ranges of one parallelDo call.
type group struct {
	pending atomic.Int32 // ranges on workers not yet done, which the caller polls
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

var groups freelist.List[group]

// job is one range of a parallelDo call, queued for a worker goroutine.
type job struct {
	t         task
	g         *group
	w, lo, hi int
}

// run runs the job's range and counts it done.
func (j job) run() {
	j.g.do(j.t, j.w, j.lo, j.hi)
	j.g.pending.Add(-1)
}

// workerPool is a set of goroutines that run jobs: it grows to GOMAXPROCS−1
// goroutines as calls need them, and shrinks to that number when
// GOMAXPROCS is lowered, so that idle workers, which poll for a while
// (see spinTime), never outnumber the processors the busy ones need.
type workerPool struct {
	mu    sync.Mutex
	alive int // worker goroutines started and not retired
	jobs  chan job
}

var pool = workerPool{jobs: make(chan job, 256)}

// submit queues j, first starting worker goroutines up to GOMAXPROCS−1.
func (p *workerPool) submit(j job) {
	want := runtime.GOMAXPROCS(0) - 1
	p.mu.Lock()
	for p.alive < want {
		p.alive++
		go p.work()
	}
	p.mu.Unlock()
	p.jobs <- j
}

// retire reports whether the calling worker is one too many for
// GOMAXPROCS, counting it out of the pool if so; it must then exit.
func (p *workerPool) retire() bool {
	want := runtime.GOMAXPROCS(0) - 1
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.alive <= want {
		return false
	}
	p.alive--
	return true
}

// An idle worker waits for its next job in three phases: for spinTime it
// polls, yielding between polls (runtime.Gosched); then, until it has been
// idle for napTime, it polls after naps of napStep; then it blocks on the
// queue. A training step's parallel ops follow each other within a
// millisecond or two, and waking a blocked goroutine's thread costs tens
// of microseconds per op; blocking also makes the runtime allocate when
// the goroutine wakes on another processor, which the naps avoid between
// the steps of a training loop.
const (
	spinTime = 2 * time.Millisecond
	napStep  = 20 * time.Microsecond
	napTime  = 20 * time.Millisecond
)

// work runs queued jobs until the worker retires.
func (p *workerPool) work() {
	for {
		j, ok := p.next()
		if !ok {
			return
		}
		j.run()
	}
}

// next returns the next job, waiting for it as described at spinTime, or
// false when the worker is to exit: it checks whether it is one too many
// (retire) before it waits and again when it stops spinning.
func (p *workerPool) next() (job, bool) {
	if p.retire() {
		return job{}, false
	}
	start, spinning := time.Now(), true
	for {
		select {
		case j := <-p.jobs:
			return j, true
		default:
		}
		idle := time.Since(start)
		if spinning && idle >= spinTime {
			if p.retire() {
				return job{}, false
			}
			spinning = false
		}
		switch {
		case idle < spinTime:
			runtime.Gosched()
		case idle < napTime:
			time.Sleep(napStep)
		default:
			return <-p.jobs, true
		}
	}
}

// grainFor returns the number of items, each costing cost units of work,
// that make up workGrain.
func grainFor(cost int) int {
	return max(1, workGrain/max(cost, 1))
}
