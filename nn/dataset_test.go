package nn_test

import (
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
