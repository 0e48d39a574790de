package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// crossEntropyRef returns the loss −(1/N)·Σ target∘log softmax(logits), the
// magnitude of the terms it sums, and its gradient (softmax − target)/N.
func crossEntropyRef(logits, target []float64, cols int) (loss, mag float64, grad []float64) {
	n := float64(len(logits) / cols)
	grad = make([]float64, len(logits))
	for r := 0; r < len(logits); r += cols {
		m := math.Inf(-1)
		for _, v := range logits[r : r+cols] {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range logits[r : r+cols] {
			s += math.Exp(v - m)
		}
		lse := math.Log(s)
		for k := r; k < r+cols; k++ {
			logp := logits[k] - m - lse
			loss -= target[k] * logp / n
			mag += math.Abs(target[k]) * (math.Abs(logits[k]-m) + lse) / n
			grad[k] = (math.Exp(logp) - target[k]) / n
		}
	}
	return loss, mag, grad
}

// oneHot returns n rows of k columns, each with a 1 at a random column.
func oneHot(rng *rand.Rand, n, k int) []float32 {
	t := make([]float32, n*k)
	for r := range n {
		t[r*k+rng.Intn(k)] = 1
	}
	return t
}

// softTargets returns n random probability vectors of k entries.
func softTargets(rng *rand.Rand, n, k int) []float32 {
	t := uniform(rng, n*k, 0.05, 1)
	for r := range n {
		s := float32(0)
		for _, v := range t[r*k : r*k+k] {
			s += v
		}
		for c := range k {
			t[r*k+c] /= s
		}
	}
	return t
}

// checkSoftmaxCrossEntropy checks the loss and its gradient against the
// reference, the gradient also by central differences of the reference
// loss, with one-hot and soft targets and logits near 1000 whose loss must
// stay finite.
func checkSoftmaxCrossEntropy(t *testing.T, b backend.Backend) {
	rng := newRand(16)
	large := []float32{
		1000, 1001.5, 998, 999.25, 1000.5, // target on a random column
		1000, 880, 950, 999, 0, // target 120 below the maximum: its probability underflows float32
		-1000, -1000, -1000, -1000, -1000, // soft uniform target
		1000, -1000, 0, 500, 1000, // target on the second of two maxima
	}
	largeTarget := []float32{
		0, 0, 1, 0, 0,
		0, 1, 0, 0, 0,
		0.2, 0.2, 0.2, 0.2, 0.2,
		0, 0, 0, 0, 1,
	}
	for _, c := range []struct {
		name           string
		n, k           int
		logits, target []float32
	}{
		{"one-hot targets", 6, 10, uniform(rng, 60, -4, 4), oneHot(rng, 6, 10)},
		{"soft targets", 5, 7, uniform(rng, 35, -4, 4), softTargets(rng, 5, 7)},
		{"logits near ±1000", 4, 5, large, largeTarget},
		{"one column", 3, 1, uniform(rng, 3, -4, 4), []float32{1, 1, 1}},
		{"many rows", 64, 10, uniform(rng, 640, -6, 6), oneHot(rng, 64, 10)},
	} {
		tgrad, tloss := poisoned(t, b, c.n, c.k), poisoned(t, b, 1)
		b.SoftmaxCrossEntropy(upload(t, b, c.logits, c.n, c.k), upload(t, b, c.target, c.n, c.k), tgrad, tloss)
		what := fmt.Sprintf("SoftmaxCrossEntropy [%d %d], %s", c.n, c.k, c.name)
		x, tg := wide(c.logits), wide(c.target)
		loss, mag, grad := crossEntropyRef(x, tg, c.k)
		lossBound := (transRelTol+gamma(c.n*c.k+2))*mag + transAbsTol
		expectClose(t, what+": loss", download(b, tloss), []float64{loss}, []float64{lossBound})

		nf := float64(c.n)
		bound := make([]float64, len(grad))
		for i := range grad {
			p := grad[i] + tg[i]/nf // softmax/N
			bound[i] = transRelTol*(math.Abs(p)+math.Abs(tg[i])/nf) + transAbsTol/nf
		}
		got := download(b, tgrad)
		if !expectClose(t, what+": gradient", got, grad, bound) {
			continue
		}
		f := func(x []float64) float64 {
			l, _, _ := crossEntropyRef(x, tg, c.k)
			return l
		}
		idx := sample(rng, len(x), 4*fdSamples())
		expectGradient(t, what+": gradient", got, idx, centralDiff(f, x, idx), bound)
	}
}

// argmaxFirst returns the index of the first maximum of row.
func argmaxFirst(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// checkCountCorrect checks that CountCorrect adds the number of rows whose
// arg-maxima agree, taking the first maximum on ties, to the count it is
// given.
func checkCountCorrect(t *testing.T, b backend.Backend) {
	rng := newRand(17)
	const n, k = 40, 7
	pred := uniform(rng, n*k, -3, 3)
	target := oneHot(rng, n, k)
	for r := 0; r < n; r += 2 { // make about half the rows agree
		clear(target[r*k : r*k+k])
		target[r*k+argmaxFirst(pred[r*k:r*k+k])] = 1
	}
	ties := []struct{ pred, target []float32 }{
		{[]float32{1, 3, 3, 0}, []float32{0, 1, 0, 0}},         // agree on the first of two maxima
		{[]float32{1, 3, 3, 0}, []float32{0, 0, 1, 0}},         // the second maximum does not count
		{[]float32{2, 2, 2, 2}, []float32{1, 0, 0, 0}},         // all equal: column 0
		{[]float32{2, 2, 2, 2}, []float32{0.5, 0.5, 0, 0}},     // ties in the target too
		{[]float32{0, 5, 1, 5}, []float32{0, 0.4, 0.2, 0.4}},   // both tied, both first at 1
		{[]float32{0, 5, 1, 5}, []float32{0, 0.2, 0.4, 0.4}},   // target's maximum at 2
		{[]float32{-1, -3, -1, -2}, []float32{0, 0, 0, 1}},     // negative predictions
		{[]float32{-4, -3, -1, -2}, []float32{0.1, 0, 0.9, 0}}, // soft target, agree
	}
	var tp, tt []float32
	for _, r := range ties {
		tp, tt = append(tp, r.pred...), append(tt, r.target...)
	}
	for _, c := range []struct {
		name         string
		rows, cols   int
		pred, target []float32
	}{
		{"random", n, k, pred, target},
		{"ties", len(ties), 4, tp, tt},
	} {
		correct := 0
		for r := range c.rows {
			row := r * c.cols
			if argmaxFirst(c.pred[row:row+c.cols]) == argmaxFirst(c.target[row:row+c.cols]) {
				correct++
			}
		}
		tc := upload(t, b, []float32{5}, 1)
		tp, tt := upload(t, b, c.pred, c.rows, c.cols), upload(t, b, c.target, c.rows, c.cols)
		b.CountCorrect(tp, tt, tc)
		b.CountCorrect(tp, tt, tc)
		expectExact(t, fmt.Sprintf("CountCorrect, %s rows, twice onto 5", c.name),
			download(b, tc), []float32{float32(5 + 2*correct)})
	}
}
