package backendtest

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

func TestBroadcastIndex(t *testing.T) {
	// A [3, 1] column against [2, 3, 2]: element (i, j, k) reads row j.
	got := broadcastIndex([]int{3, 1}, []int{2, 3, 2})
	if want := []int{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2}; !slices.Equal(got, want) {
		t.Errorf("column: got %v, want %v", got, want)
	}
	// A [2] row against [3, 2], and a one-element tensor against anything.
	if got, want := broadcastIndex([]int{2}, []int{3, 2}), []int{0, 1, 0, 1, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("row: got %v, want %v", got, want)
	}
	if got, want := broadcastIndex([]int{1, 1}, []int{2, 2}), []int{0, 0, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("scalar: got %v, want %v", got, want)
	}
}

func TestReduceRef(t *testing.T) {
	x := []float32{1, -2, 3, 4, 5, -6} // [2, 3]
	want, mag, n := reduceRef(backend.ReduceSum, x, []int{2, 3}, 0)
	near(t, "column sums", want, []float64{5, 3, -3}, 0)
	near(t, "column magnitudes", mag, []float64{5, 7, 9}, 0)
	if n != 2 {
		t.Errorf("axis length %d, want 2", n)
	}
	want, _, _ = reduceRef(backend.ReduceMean, x, []int{2, 3}, 1)
	near(t, "row means", want, []float64{2.0 / 3, 1}, 1e-15)
	x[4] = float32(math.NaN())
	want, _, _ = reduceRef(backend.ReduceMax, x, []int{2, 3}, 1)
	if want[0] != 3 || !math.IsNaN(want[1]) {
		t.Errorf("row maxima %v, want [3 NaN]", want)
	}
}

func TestArgMaxRef(t *testing.T) {
	// Ties go to the first; a NaN wins, the first of them.
	nan := float32(math.NaN())
	idx, val := argMaxRef([]float32{1, 3, 3, 2, nan, nan, 0, 5, 5}, []int{3, 3}, 1)
	if !slices.Equal(idx, []int32{1, 1, 1}) || val[0] != 3 || val[1] == val[1] || val[2] != 5 {
		t.Errorf("rows: indices %v values %v, want [1 1 1] [3 NaN 5]", idx, val)
	}
	idx, _ = argMaxRef([]float32{1, 3, 3, 2, nan, nan, 0, 5, 5}, []int{3, 3}, 0)
	if !slices.Equal(idx, []int32{1, 1, 1}) {
		t.Errorf("columns: indices %v, want [1 1 1]", idx)
	}
}

func TestSpecialMismatch(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, c := range []struct {
		got  []float32
		want []float64
		bad  int
	}{
		{[]float32{1, float32(nan), float32(inf), float32(-inf)}, []float64{2, nan, inf, -inf}, -1},
		{[]float32{1, float32(inf)}, []float64{1, 1e-30}, 1}, // an infinity where the value is tiny
		{[]float32{0}, []float64{nan}, 0},
		{[]float32{float32(nan)}, []float64{0}, 0},
		{[]float32{float32(-inf)}, []float64{inf}, 0},
	} {
		if got := specialMismatch(c.got, c.want); got != c.bad {
			t.Errorf("got %v want %v: mismatch at %d, want %d", c.got, c.want, got, c.bad)
		}
	}
}

// coreOnly is a backend with the core's methods only.
type coreOnly struct{ backend.Backend }

func (coreOnly) Name() string { return "core-only" }

func TestNeedSkips(t *testing.T) {
	var skipped bool
	t.Run("lacking", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		need[backend.Math](t, coreOnly{})
		t.Error("need returned for a backend without backend.Math")
	})
	if !skipped {
		t.Error("need did not skip a backend without backend.Math")
	}
}

func TestNeedMessage(t *testing.T) {
	// The skip message names the backend and the group.
	msg := "backend core-only lacks backend.Math"
	if got := strings.TrimSpace(needMessage[backend.Math](coreOnly{})); got != msg {
		t.Errorf("message %q, want %q", got, msg)
	}
}
