package cpu

import "github.com/myelin-go/myelin/backend/cpu/internal/freelist"

// partSummer is a reduction over items: part returns the partial sum of
// items [lo, hi). Ops implement it with a pooled task struct, so that a
// reduction allocates nothing.
type partSummer interface {
	part(lo, hi int) float64
}

// sumJob computes the partial sums of a sumChunks call, one per chunk.
type sumJob struct {
	s        partSummer
	parts    []float64
	chunk, n int
}

func (j *sumJob) run(_, lo, hi int) {
	for c := lo; c < hi; c++ {
		j.parts[c] = j.s.part(c*j.chunk, min((c+1)*j.chunk, j.n))
	}
}

var sumJobs freelist.List[sumJob]

// sumChunks splits [0, n) into fixed chunks of chunk items, computes
// s.part for every chunk in parallel (cost is the work per item) and
// returns the sum of the parts in chunk order. The result does not depend
// on GOMAXPROCS, and in steady state the call allocates nothing: the parts
// live in a pooled buffer.
func sumChunks(n, chunk, cost int, s partSummer) float64 {
	nc := (n + chunk - 1) / chunk
	if nc <= 1 {
		return s.part(0, n)
	}
	j := sumJobs.Get()
	if cap(j.parts) < nc {
		j.parts = make([]float64, nc)
	}
	j.s, j.parts, j.chunk, j.n = s, j.parts[:nc], chunk, n
	parallelDo(nc, grainFor(chunk*cost), j)
	var sum float64
	for _, p := range j.parts {
		sum += p
	}
	j.s = nil
	sumJobs.Put(j)
	return sum
}
