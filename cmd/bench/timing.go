package main

import (
	"slices"
	"time"
)

// timing says how measure times an op.
type timing struct {
	warmup  int              // untimed calls before timing starts
	minTime time.Duration    // shortest timed batch of calls
	runs    int              // timed batches, at least 1
	now     func() time.Time // the clock: time.Now, or a fake in tests
}

// stats summarises the timed batches of one op.
type stats struct {
	median, min time.Duration // time per call: median and minimum over the batches
	calls       int           // calls in each timed batch
}

// measure times call. It makes t.warmup untimed calls and syncs, then looks
// for the number of calls that makes a batch last at least t.minTime:
// starting from one call, each batch that is too short sets the next count
// from its own rate (see nextCount). The first batch that lasts long enough
// is the first of t.runs timed batches of that many calls. sync ends every
// batch, inside the timing, so that an asynchronous backend is charged for
// the work it queued; its error, if any, is returned.
func measure(call func(), sync func() error, t timing) (stats, error) {
	for range t.warmup {
		call()
	}
	if err := sync(); err != nil {
		return stats{}, err
	}
	n := 1
	per := make([]time.Duration, 0, t.runs)
	for len(per) < t.runs {
		d, err := timeBatch(call, sync, n, t.now)
		if err != nil {
			return stats{}, err
		}
		if len(per) == 0 && d < t.minTime {
			n = nextCount(n, d, t.minTime)
			continue
		}
		per = append(per, d/time.Duration(n))
	}
	return stats{median: median(per), min: slices.Min(per), calls: n}, nil
}

// timeBatch returns how long n calls of call followed by sync take.
func timeBatch(call func(), sync func() error, n int, now func() time.Time) (time.Duration, error) {
	start := now()
	for range n {
		call()
	}
	err := sync()
	return now().Sub(start), err
}

// nextCount returns the number of calls for the batch after one of n calls
// that lasted d, shorter than target: the count that the rate of that batch
// predicts to last 1.2·target, but at least 2n and at most 100n.
func nextCount(n int, d, target time.Duration) int {
	next := 100 * n
	if d > 0 {
		next = int(1.2 * float64(n) * float64(target) / float64(d))
	}
	return max(2*n, min(next, 100*n))
}

// median returns the middle value of ds, or the mean of the two middle
// values when their number is even. ds must not be empty; it is not
// modified.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	h := len(s) / 2
	if len(s)%2 == 1 {
		return s[h]
	}
	return (s[h-1] + s[h]) / 2
}
