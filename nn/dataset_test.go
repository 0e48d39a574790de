package nn_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

func TestDataset(t *testing.T) {
	d := nn.Dataset{
		X:      []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		XShape: []int{1, 2},
		Y:      nn.OneHot([]int{2, 0, 1, 1, 0, 2}, 3),
		YShape: []int{3},
	}
	if d.Len() != 6 {
		t.Fatalf("Len() = %d, want 6", d.Len())
	}
	if err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	s := d.Slice(2, 4)
	if s.Len() != 2 || s.X[0] != 4 || s.X[3] != 7 || len(s.Y) != 6 || s.Y[1] != 1 || s.Y[4] != 1 {
		t.Fatalf("Slice(2, 4) = %+v", s)
	}
	s.X[0] = 40
	if d.X[4] != 40 {
		t.Error("Slice does not share memory with the dataset")
	}
	if noY := (nn.Dataset{X: d.X, XShape: d.XShape}).Slice(1, 3); noY.Y != nil || noY.Len() != 2 {
		t.Errorf("Slice of a dataset without targets: %+v", noY)
	}
	mustPanic(t, "Slice(4, 7) out of range for 6 samples", func() { d.Slice(4, 7) })
	if got := (nn.Dataset{XShape: []int{0}}).Len(); got != 0 {
		t.Errorf("Len() with XShape [0] = %d, want 0", got)
	}
}

func TestDatasetCheck(t *testing.T) {
	for _, tc := range []struct {
		d    nn.Dataset
		want string
	}{
		{nn.Dataset{X: make([]float32, 10), XShape: []int{4}}, "len(X) = 10 is not a multiple of the sample size 4 (XShape [4])"},
		{nn.Dataset{X: make([]float32, 8), XShape: []int{2, 0}}, "XShape [2 0] must have at least one dimension, all of them positive"},
		{nn.Dataset{X: nil, XShape: []int{4}}, "no samples"},
		{nn.Dataset{X: make([]float32, 8), XShape: []int{4}, Y: make([]float32, 5), YShape: []int{3}}, "len(Y) = 5, want 6 (2 samples × YShape [3])"},
		{nn.Dataset{X: make([]float32, 8), XShape: []int{4}, Y: make([]float32, 2)}, "YShape [] must have at least one dimension"},
	} {
		if err := tc.d.Check(true); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check: %v, want an error containing %q", err, tc.want)
		}
	}
	if err := (nn.Dataset{X: make([]float32, 8), XShape: []int{4}}).Check(false); err != nil {
		t.Errorf("Check(false) without targets: %v", err)
	}
}

func TestOneHot(t *testing.T) {
	got := nn.OneHot([]int{1, 0, 2}, 3)
	want := []float32{0, 1, 0, 1, 0, 0, 0, 0, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("OneHot = %v, want %v", got, want)
		}
	}
	mustPanic(t, "label 3 at index 1 is outside [0, 3)", func() { nn.OneHot([]int{0, 3}, 3) })
}

func TestSplit(t *testing.T) {
	const n = 23
	d := nn.Dataset{X: make([]float32, 2*n), XShape: []int{2}, Y: make([]float32, n), YShape: []int{1}}
	for i := range n {
		d.X[2*i], d.X[2*i+1], d.Y[i] = float32(i), float32(-i), float32(10*i)
	}
	train, val, err := d.Split(nn.DefaultValFraction, 5)
	if err != nil {
		t.Fatal(err)
	}
	// round(0.2·23) = 5 validation samples.
	if train.Len() != 18 || val.Len() != 5 || len(train.Y) != 18 || len(val.Y) != 5 {
		t.Fatalf("split of %d: %d and %d samples (%d and %d targets), want 18 and 5", n, train.Len(), val.Len(), len(train.Y), len(val.Y))
	}
	seen := make([]int, n)
	for _, s := range []nn.Dataset{train, val} {
		last := -1
		for i := range s.Len() {
			k := int(s.X[2*i])
			if s.X[2*i+1] != float32(-k) || s.Y[i] != float32(10*k) {
				t.Fatalf("sample %d of a split is (%v, %v → %v): not a sample of the set", i, s.X[2*i], s.X[2*i+1], s.Y[i])
			}
			if k <= last {
				t.Errorf("split out of order: %d after %d", k, last)
			}
			last = k
			seen[k]++
		}
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("sample %d is in %d of the two sets, want exactly 1", k, c)
		}
	}
	train.X[0] = 99
	if d.X[0] == 99 {
		t.Error("Split shares memory with the dataset")
	}
	_, again, _ := d.Split(0.2, 5)
	_, other, _ := d.Split(0.2, 6)
	if !slices.Equal(again.X, val.X) {
		t.Error("two splits with the same seed differ")
	}
	if slices.Equal(other.X, val.X) {
		t.Error("splits with different seeds are the same")
	}
	for _, frac := range []float64{0, 1, 0.01, 0.99, -0.5, math.NaN()} {
		if _, _, err := d.Split(frac, 1); err == nil || !strings.Contains(err.Error(), "leaves an empty set") {
			t.Errorf("Split(%g): %v, want an error about an empty set", frac, err)
		}
	}
	if _, _, err := (nn.Dataset{XShape: []int{2}}).Split(0.2, 1); err == nil || !strings.Contains(err.Error(), "no samples") {
		t.Errorf("Split of an empty set: %v", err)
	}
}
