package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Regression holds the regression metrics of predictions p against targets
// t over their n elements, accumulated in float64:
//
//	MAE  = (1/n)·Σ|p − t|
//	MSE  = (1/n)·Σ(p − t)²
//	RMSE = √MSE
//	MAPE = (100/n′)·Σ_{t≠0} |(p − t)/t|   (percent)
//	R2   = 1 − Σ(p − t)² / Σ(t − t̄)²,  t̄ = (1/n)·Σt
//
// MAPE is undefined where a target is 0: it skips those elements and
// averages over the n′ others, and is NaN when every target is 0. R2 is NaN
// when the targets are all equal (Σ(t − t̄)² = 0).
type Regression struct {
	MAE, MSE, RMSE, MAPE, R2 float64
}

// RegressionMetrics returns the regression metrics of pred against target,
// flat arrays of the same length as Trainer.Predict returns them. It
// panics when the lengths differ or are 0.
func RegressionMetrics(pred, target []float32) Regression {
	checkMetricLens("RegressionMetrics", pred, target)
	n := float64(len(pred))
	var r Regression
	var mean, nonZero float64
	for i, p := range pred {
		t := float64(target[i])
		d := float64(p) - t
		r.MAE += math.Abs(d)
		r.MSE += d * d
		if t != 0 {
			r.MAPE += math.Abs(d / t)
			nonZero++
		}
		mean += t
	}
	mean /= n
	var ssTot float64
	for _, t := range target {
		d := float64(t) - mean
		ssTot += d * d
	}
	r.R2 = math.NaN()
	if ssTot > 0 {
		r.R2 = 1 - r.MSE/ssTot
	}
	r.MAPE = 100 * r.MAPE / nonZero // NaN for 0/0
	r.MAE /= n
	r.MSE /= n
	r.RMSE = math.Sqrt(r.MSE)
	return r
}

// String formats the metrics on one line, e.g.
// "MAE 0.1 · MSE 0.02 · RMSE 0.141 · MAPE 5.3% · R² 0.97".
func (r Regression) String() string {
	return fmt.Sprintf("MAE %.4g · MSE %.4g · RMSE %.4g · MAPE %.4g%% · R² %.4g", r.MAE, r.MSE, r.RMSE, r.MAPE, r.R2)
}

// Accuracy returns the fraction of rows of pred whose arg-max (the first
// maximum on ties) equals the arg-max of the same row of target, for
// pred and target holding rows of classes values each (one-hot or
// probability rows, as Trainer.Predict and OneHot give). It panics when
// the lengths differ or are not a positive multiple of classes.
func Accuracy(pred, target []float32, classes int) float64 {
	checkClassLens("Accuracy", pred, target, classes)
	correct := 0
	for r := 0; r < len(pred); r += classes {
		if ArgMax(pred[r:r+classes]) == ArgMax(target[r:r+classes]) {
			correct++
		}
	}
	return float64(correct) / float64(len(pred)/classes)
}

// ConfusionMatrix counts classification outcomes: Counts[t][p] is the
// number of samples of true class t predicted as class p.
type ConfusionMatrix struct {
	Counts [][]int
}

// NewConfusionMatrix returns the confusion matrix of the rows of pred
// against the rows of target (classes values each; the class of a row is
// its arg-max, the first maximum on ties). It panics when the lengths
// differ or are not a positive multiple of classes.
func NewConfusionMatrix(pred, target []float32, classes int) *ConfusionMatrix {
	checkClassLens("NewConfusionMatrix", pred, target, classes)
	c := &ConfusionMatrix{Counts: make([][]int, classes)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, classes)
	}
	for r := 0; r < len(pred); r += classes {
		c.Counts[ArgMax(target[r:r+classes])][ArgMax(pred[r:r+classes])]++
	}
	return c
}

// Total returns the number of samples counted.
func (c *ConfusionMatrix) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Accuracy returns the fraction of samples on the diagonal,
// Σ_k Counts[k][k] / Total (NaN when there are none).
func (c *ConfusionMatrix) Accuracy() float64 {
	diag := 0
	for k := range c.Counts {
		diag += c.Counts[k][k]
	}
	return float64(diag) / float64(c.Total())
}

// Precision returns the fraction of the samples predicted as class k that
// are of class k: Counts[k][k] / Σ_t Counts[t][k]. It is NaN when no
// sample was predicted as k.
func (c *ConfusionMatrix) Precision(k int) float64 {
	predicted := 0
	for t := range c.Counts {
		predicted += c.Counts[t][k]
	}
	return float64(c.Counts[k][k]) / float64(predicted)
}

// Recall returns the fraction of the samples of class k predicted as k:
// Counts[k][k] / Σ_p Counts[k][p]. It is NaN when there is no sample of
// class k.
func (c *ConfusionMatrix) Recall(k int) float64 {
	actual := 0
	for _, v := range c.Counts[k] {
		actual += v
	}
	return float64(c.Counts[k][k]) / float64(actual)
}

// String prints the matrix as a table: one row per true class, one column
// per predicted class, then each class's recall; a last row gives each
// predicted class's precision. Undefined ratios print as "-".
func (c *ConfusionMatrix) String() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "true \\ pred\t")
	for k := range c.Counts {
		fmt.Fprintf(w, "%d\t", k)
	}
	fmt.Fprint(w, "recall\t\n")
	for t, row := range c.Counts {
		fmt.Fprintf(w, "%d\t", t)
		for _, v := range row {
			fmt.Fprintf(w, "%d\t", v)
		}
		fmt.Fprintf(w, "%s\t\n", ratio(c.Recall(t)))
	}
	fmt.Fprint(w, "precision\t")
	for k := range c.Counts {
		fmt.Fprintf(w, "%s\t", ratio(c.Precision(k)))
	}
	fmt.Fprint(w, "\n")
	w.Flush()
	return sb.String()
}

// ratio formats a ratio with three decimals, or "-" for NaN.
func ratio(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// checkMetricLens panics unless pred and target have the same, positive
// length.
func checkMetricLens(fn string, pred, target []float32) {
	if len(pred) != len(target) || len(pred) == 0 {
		panic(fmt.Sprintf("nn: %s: %d predictions and %d targets, want equal positive lengths", fn, len(pred), len(target)))
	}
}

// checkClassLens panics unless pred and target have the same length, a
// positive multiple of classes.
func checkClassLens(fn string, pred, target []float32, classes int) {
	checkMetricLens(fn, pred, target)
	if classes < 1 || len(pred)%classes != 0 {
		panic(fmt.Sprintf("nn: %s: %d values are not rows of %d classes", fn, len(pred), classes))
	}
}
