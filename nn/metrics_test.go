package nn_test

import (
	"math"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

func TestRegressionMetrics(t *testing.T) {
	// d = pred − target = [−0.5, 0, 1, −1]; t̄ = 2.625, Σ(t − t̄)² = 7.6875.
	r := nn.RegressionMetrics([]float32{1, 2, 3, 4}, []float32{1.5, 2, 2, 5})
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"MAE", r.MAE, 2.5 / 4},
		{"MSE", r.MSE, 2.25 / 4},
		{"RMSE", r.RMSE, 0.75},
		{"MAPE", r.MAPE, 100.0 / 4 * (0.5/1.5 + 0 + 0.5 + 0.2)},
		{"R2", r.R2, 1 - 2.25/7.6875},
	} {
		if math.Abs(c.got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got, want := r.String(), "MAE 0.625 · MSE 0.5625 · RMSE 0.75 · MAPE 25.83% · R² 0.7073"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}

	// A zero target is left out of MAPE: only |2 − 4|/4 counts.
	if got := nn.RegressionMetrics([]float32{1, 2}, []float32{0, 4}).MAPE; got != 50 {
		t.Errorf("MAPE with a zero target = %v, want 50", got)
	}
	z := nn.RegressionMetrics([]float32{1, 2}, []float32{0, 0})
	if !math.IsNaN(z.MAPE) || !math.IsNaN(z.R2) {
		t.Errorf("all-zero targets: MAPE %v, R2 %v, want NaN for both", z.MAPE, z.R2)
	}
	if got := nn.RegressionMetrics([]float32{1, 2, 3}, []float32{1, 2, 3}); got.R2 != 1 || got.MSE != 0 {
		t.Errorf("perfect predictions: %v, want R² 1 and MSE 0", got)
	}
	mustPanic(t, "3 predictions and 2 targets", func() { nn.RegressionMetrics(make([]float32, 3), make([]float32, 2)) })
}

func TestAccuracyConfusion(t *testing.T) {
	// Rows of 3 classes. True classes 0 0 1 1 2 2 0; predicted (arg-max,
	// the first on ties) 0 1 1 1 0 2 0.
	target := nn.OneHot([]int{0, 0, 1, 1, 2, 2, 0}, 3)
	pred := []float32{
		0.8, 0.1, 0.1,
		0.2, 0.7, 0.1,
		0.1, 0.5, 0.4,
		0.3, 0.3 + 1e-3, 0.3,
		0.6, 0.2, 0.2,
		-1, -2, 0,
		0.4, 0.4, 0.2, // tie: class 0
	}
	if got, want := nn.Accuracy(pred, target, 3), 5.0/7; math.Abs(got-want) > 1e-15 {
		t.Errorf("Accuracy = %v, want %v", got, want)
	}
	c := nn.NewConfusionMatrix(pred, target, 3)
	want := [][]int{{2, 1, 0}, {0, 2, 0}, {1, 0, 1}}
	for i := range want {
		for j := range want[i] {
			if c.Counts[i][j] != want[i][j] {
				t.Fatalf("Counts = %v, want %v", c.Counts, want)
			}
		}
	}
	if c.Total() != 7 || math.Abs(c.Accuracy()-5.0/7) > 1e-15 {
		t.Errorf("Total %d, Accuracy %v, want 7 and 5/7", c.Total(), c.Accuracy())
	}
	for k, w := range [][2]float64{{2.0 / 3, 2.0 / 3}, {2.0 / 3, 1}, {1, 0.5}} {
		if p, r := c.Precision(k), c.Recall(k); math.Abs(p-w[0]) > 1e-15 || math.Abs(r-w[1]) > 1e-15 {
			t.Errorf("class %d: precision %v, recall %v, want %v and %v", k, p, r, w[0], w[1])
		}
	}
	wantStr := "" +
		"  true \\ pred      0      1      2  recall\n" +
		"            0      2      1      0   0.667\n" +
		"            1      0      2      0   1.000\n" +
		"            2      1      0      1   0.500\n" +
		"    precision  0.667  0.667  1.000\n"
	if got := c.String(); got != wantStr {
		t.Errorf("String() =\n%s\nwant\n%s", got, wantStr)
	}
	// A class never predicted has no precision.
	if p := nn.NewConfusionMatrix([]float32{1, 0, 1, 0}, []float32{0, 1, 1, 0}, 2).Precision(1); !math.IsNaN(p) {
		t.Errorf("precision of a class never predicted = %v, want NaN", p)
	}
	mustPanic(t, "not rows of 3 classes", func() { nn.Accuracy(make([]float32, 4), make([]float32, 4), 3) })
}
