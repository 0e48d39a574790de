package mnist

import (
	"errors"
	"math"
	"testing"
)

// TestStandardData checks the real MNIST files in this directory, where
// scripts/get-mnist.sh puts them, against facts published about the data
// set: sizes, the count of each digit, the first labels, and the pixel mean
// and standard deviation behind Mean and Std.
func TestStandardData(t *testing.T) {
	train, test, err := Load(".")
	if errors.Is(err, ErrNotFound) {
		t.Skip("MNIST files not found; run scripts/get-mnist.sh to fetch them")
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		set   *Set
		n     int
		count [Classes]int
		first byte
	}{
		{"train", train, 60000, [Classes]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, 5},
		{"test", test, 10000, [Classes]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, 7},
	} {
		s := c.set
		if s.N != c.n || s.Rows != 28 || s.Cols != 28 || len(s.Images) != c.n*28*28 || len(s.Labels) != c.n {
			t.Fatalf("%s: N=%d %d×%d, %d pixels, %d labels; want %d of 28×28", c.name, s.N, s.Rows, s.Cols, len(s.Images), len(s.Labels), c.n)
		}
		var count [Classes]int
		for _, l := range s.Labels {
			count[l]++
		}
		sum := 0
		for _, k := range count {
			sum += k
		}
		if count != c.count || sum != c.n {
			t.Errorf("%s: label counts %v (sum %d), want %v (sum %d)", c.name, count, sum, c.count, c.n)
		}
		if s.Labels[0] != c.first {
			t.Errorf("%s: first label %d, want %d", c.name, s.Labels[0], c.first)
		}
	}

	var sum, sumSq float64
	for _, p := range train.Images {
		v := float64(p) / 255
		sum += v
		sumSq += v * v
	}
	n := float64(len(train.Images))
	mean := sum / n
	std := math.Sqrt(sumSq/n - mean*mean)
	// Mean and Std are rounded to four decimals.
	if math.Abs(mean-Mean) > 5e-5 || math.Abs(std-Std) > 5e-5 {
		t.Errorf("training pixels have mean %.6f and std %.6f, want %v and %v to four decimals", mean, std, Mean, Std)
	}
}
