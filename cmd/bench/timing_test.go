package main

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{7 * ms}, 7 * ms},
		{[]time.Duration{5 * ms, 1 * ms, 4 * ms}, 4 * ms},
		{[]time.Duration{4 * ms, 1 * ms, 2 * ms, 9 * ms}, 3 * ms}, // mean of 2 and 4
		{[]time.Duration{3, 3, 1, 8, 2}, 3},
	} {
		in := slices.Clone(tc.in)
		if got := median(in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("median modified its input: %v, was %v", in, tc.in)
		}
	}
}

// fakeClock is a clock that only the fake op advances.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestMeasureCalibrates(t *testing.T) {
	var clock fakeClock
	calls, syncs := 0, 0
	call := func() {
		calls++
		clock.t = clock.t.Add(time.Millisecond)
	}
	sync := func() error {
		syncs++
		return nil
	}
	s, err := measure(call, sync, timing{warmup: 2, minTime: 10 * time.Millisecond, runs: 3, now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	// 1 call lasts 1 ms < 10 ms, so the next batch has 1.2·10/1 = 12 calls,
	// which is long enough and the first of the 3 timed batches.
	if s.calls != 12 {
		t.Errorf("calls per batch = %d, want 12", s.calls)
	}
	if s.median != time.Millisecond || s.min != time.Millisecond {
		t.Errorf("median, min = %v, %v, want 1ms, 1ms", s.median, s.min)
	}
	if want := 2 + 1 + 3*12; calls != want {
		t.Errorf("op called %d times, want %d (2 warm-up, 1 calibration, 3 batches of 12)", calls, want)
	}
	if want := 1 + 1 + 3; syncs != want {
		t.Errorf("sync called %d times, want %d (after warm-up and after each batch)", syncs, want)
	}
}

func TestMeasureMedianOfRuns(t *testing.T) {
	var clock fakeClock
	costs := []time.Duration{5, 1, 4, 2, 3} // ms per call in successive batches
	batch := -1                             // the sync after the (empty) warm-up moves to costs[0]
	call := func() { clock.t = clock.t.Add(costs[batch] * time.Millisecond) }
	sync := func() error {
		batch++
		return nil
	}
	s, err := measure(call, sync, timing{minTime: time.Millisecond, runs: 5, now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if s.calls != 1 || s.median != 3*time.Millisecond || s.min != time.Millisecond {
		t.Errorf("measure = %+v, want 1 call per batch, median 3ms, min 1ms", s)
	}
}

func TestMeasureReportsSyncError(t *testing.T) {
	var clock fakeClock
	failure := errors.New("device lost")
	syncs := 0
	sync := func() error {
		if syncs++; syncs == 3 {
			return failure
		}
		return nil
	}
	call := func() { clock.t = clock.t.Add(time.Millisecond) }
	if _, err := measure(call, sync, timing{minTime: time.Millisecond, runs: 5, now: clock.now}); !errors.Is(err, failure) {
		t.Errorf("measure error = %v, want %v", err, failure)
	}
}

func TestNextCount(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		n         int
		d, target time.Duration
		want      int
	}{
		{1, 1 * ms, 10 * ms, 12},   // rate predicts 12 calls for 12 ms
		{4, 9 * ms, 10 * ms, 8},    // at least double
		{1, 1, 50 * ms, 100},       // at most 100 times
		{3, 0, 50 * ms, 300},       // a batch too fast to time
		{10, 2 * ms, 50 * ms, 300}, // 10·1.2·25
	} {
		if got := nextCount(tc.n, tc.d, tc.target); got != tc.want {
			t.Errorf("nextCount(%d, %v, %v) = %d, want %d", tc.n, tc.d, tc.target, got, tc.want)
		}
	}
}
