package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// funcTask is a task that calls a function.
type funcTask func(w, lo, hi int)

func (f funcTask) run(w, lo, hi int) { f(w, lo, hi) }

// aliveNow returns the number of worker goroutines in the pool.
func (p *workerPool) aliveNow() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.alive
}

// setProcs sets GOMAXPROCS to procs and makes parallel calls until the
// pool has procs−1 workers, failing t if that takes over 5 s. Workers
// idle long enough to block retire only once they take a job.
func setProcs(t *testing.T, procs int) {
	t.Helper()
	runtime.GOMAXPROCS(procs)
	deadline := time.Now().Add(5 * time.Second)
	for pool.aliveNow() != procs-1 && time.Now().Before(deadline) {
		parallelDo(procs, 1, funcTask(func(w, lo, hi int) {}))
		time.Sleep(time.Millisecond)
	}
	if got := pool.aliveNow(); got != procs-1 {
		t.Fatalf("GOMAXPROCS %d: %d workers after 5 s, want %d", procs, got, procs-1)
	}
}

// TestParallelDoCoversRange checks that parallelDo runs every item once,
// in ranges of at least grain items, at several GOMAXPROCS.
func TestParallelDoCoversRange(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 7} {
		runtime.GOMAXPROCS(procs)
		for _, c := range []struct{ n, grain int }{{1, 1}, {10, 1}, {10, 3}, {1000, 7}, {5, 10}} {
			var mu sync.Mutex
			seen := make([]int, c.n)
			ranges := 0
			parallelDo(c.n, c.grain, funcTask(func(w, lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				ranges++
				if hi-lo < min(c.grain, c.n) {
					t.Errorf("GOMAXPROCS %d, n %d, grain %d: range [%d, %d) is under the grain", procs, c.n, c.grain, lo, hi)
				}
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			}))
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("GOMAXPROCS %d, n %d, grain %d: item %d run %d times", procs, c.n, c.grain, i, s)
				}
			}
			if want := min(max(c.n/c.grain, 1), procs); ranges != want {
				t.Errorf("GOMAXPROCS %d, n %d, grain %d: %d ranges, want %d", procs, c.n, c.grain, ranges, want)
			}
		}
	}
}

// TestPoolShrinksWithGOMAXPROCS checks that workers started at a high
// GOMAXPROCS retire when it is lowered: idle workers poll, and more of them
// than processors would take the busy ones' time.
func TestPoolShrinksWithGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	setProcs(t, 6)
	setProcs(t, 2)
}

// TestParallelDoRunsQueuedRanges checks that a parallelDo call whose ranges
// no worker is free to take runs them on the caller instead of waiting for
// a worker.
func TestParallelDoRunsQueuedRanges(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	const procs = 4
	setProcs(t, procs)
	// Occupy the caller and every worker with the ranges of one call.
	release := make(chan struct{})
	var started atomic.Int32
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		parallelDo(procs, 1, funcTask(func(w, lo, hi int) {
			started.Add(1)
			<-release
		}))
	}()
	for started.Load() < procs {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	var sum atomic.Int64
	go func() {
		defer close(done)
		parallelDo(10, 1, funcTask(func(w, lo, hi int) {
			for i := lo; i < hi; i++ {
				sum.Add(int64(i))
			}
		}))
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("parallelDo waited for a busy worker instead of running its queued ranges")
	}
	close(release)
	<-blocked
	if got := sum.Load(); got != 45 {
		t.Errorf("sum of the items 0..9 is %d, want 45", got)
	}
}
