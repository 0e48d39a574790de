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

// parallelFor splits [0, n) into workers(n, grain) contiguous ranges and
// calls body(w, lo, hi) for each, the w-th range on goroutine w, and
// returns when all have returned. Range w = 0 runs on the caller. A panic
// in any range is raised again on the caller once all have returned.
func parallelFor(n, grain int, body func(w, lo, hi int)) {
	nw := workers(n, grain)
	if nw == 1 {
		body(0, 0, n)
		return
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		failure any
	)
	run := func(w int) {
		defer func() {
			if r := recover(); r != nil {
				mu.Lock()
				if failure == nil {
					failure = r
				}
				mu.Unlock()
			}
		}()
		body(w, w*n/nw, (w+1)*n/nw)
	}
	wg.Add(nw - 1)
	for w := 1; w < nw; w++ {
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(0)
	wg.Wait()
	if failure != nil {
		panic(failure)
	}
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
