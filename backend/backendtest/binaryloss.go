package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// sigmoidCERef returns the mean of −t·log σ(z) − (1−t)·log(1−σ(z)) over
// the elements, computed as max(z, 0) − z·t + log(1 + e^(−|z|)) (the same
// value, without overflow), the mean magnitude of those three terms, and
// the gradient (σ(z) − t)/L.
func sigmoidCERef(z, target []float64) (loss, mag float64, grad []float64) {
	l := float64(len(z))
	grad = make([]float64, len(z))
	for i, v := range z {
		soft := math.Log1p(math.Exp(-math.Abs(v)))
		loss += (math.Max(v, 0) - v*target[i] + soft) / l
		mag += (math.Max(v, 0) + math.Abs(v*target[i]) + soft) / l
		var sig float64
		if v >= 0 {
			sig = 1 / (1 + math.Exp(-v))
		} else {
			sig = math.Exp(v) / (1 + math.Exp(v))
		}
		grad[i] = (sig - target[i]) / l
	}
	return loss, mag, grad
}

// checkSigmoidCrossEntropy checks the loss and gradient of
// SigmoidCrossEntropy against the float64 reference, the gradient also by
// central differences of the reference loss, with hard and soft targets
// and with logits of ±100 and ±1000, where the loss must stay finite and
// exact to the tolerance.
func checkSigmoidCrossEntropy(t *testing.T, b backend.Backend) {
	rng := newRand(43)
	hard := func(n int) []float32 {
		t := make([]float32, n)
		for i := range t {
			t[i] = float32(rng.Intn(2))
		}
		return t
	}
	extreme := []float32{100, -100, 100, -100, 1000, -1000, 1000, -1000, 30, -30, 0, 0}
	extremeTarget := []float32{1, 0, 0, 1, 1, 0, 0.5, 0.25, 0, 1, 1, 0.5}
	for _, c := range []struct {
		name      string
		shape     []int
		z, target []float32
	}{
		{"hard targets", []int{8, 5}, uniform(rng, 40, -6, 6), hard(40)},
		{"soft targets", []int{6, 1}, uniform(rng, 6, -4, 4), uniform(rng, 6, 0, 1)},
		{"extreme logits", []int{3, 4}, extreme, extremeTarget},
		{"many", []int{50, 20}, uniform(rng, 1000, -10, 10), hard(1000)},
	} {
		l := len(c.z)
		tgrad, tloss := poisoned(t, b, c.shape...), poisoned(t, b, 1)
		b.SigmoidCrossEntropy(upload(t, b, c.z, c.shape...), upload(t, b, c.target, c.shape...), tgrad, tloss)
		what := fmt.Sprintf("SigmoidCrossEntropy %v, %s", c.shape, c.name)
		z, tg := wide(c.z), wide(c.target)
		loss, mag, grad := sigmoidCERef(z, tg)
		lossBound := (transRelTol+gamma(l+2))*mag + transAbsTol
		expectClose(t, what+": loss", download(b, tloss), []float64{loss}, []float64{lossBound})
		bound := make([]float64, l)
		for i := range grad {
			sig := grad[i] + tg[i]/float64(l)
			bound[i] = transRelTol*(math.Abs(sig)+math.Abs(tg[i])/float64(l)) + transAbsTol/float64(l)
		}
		got := download(b, tgrad)
		if !expectClose(t, what+": gradient", got, grad, bound) {
			continue
		}
		f := func(z []float64) float64 {
			l, _, _ := sigmoidCERef(z, tg)
			return l
		}
		idx := sample(rng, l, 4*fdSamples())
		expectGradient(t, what+": gradient", got, idx, centralDiff(f, z, idx), bound)
	}
}

// checkMeanAbsError checks MeanAbsError against the float64 reference:
// the loss to the bound of a float32 sum of the |pred − target| (whose
// subtraction rounds by u of |pred| + |target|), and the gradient
// sign(pred − target)/L to 2u, exactly 0 where pred = target.
func checkMeanAbsError(t *testing.T, b backend.Backend) {
	rng := newRand(44)
	for _, shape := range [][]int{{1}, {7, 3}, {4, 2, 5, 5}, {300, 10}} {
		l := backend.Shape(shape).Len()
		pred, target := uniform(rng, l, -3, 3), uniform(rng, l, -3, 3)
		for i := 0; i < l; i += 5 {
			target[i] = pred[i] // equal pairs: gradient 0
		}
		tgrad, tloss := poisoned(t, b, shape...), poisoned(t, b, 1)
		b.MeanAbsError(upload(t, b, pred, shape...), upload(t, b, target, shape...), tgrad, tloss)
		what := fmt.Sprintf("MeanAbsError %v", shape)
		var loss, mag float64
		grad, bound := make([]float64, l), make([]float64, l)
		for i := range pred {
			d := float64(pred[i]) - float64(target[i])
			loss += math.Abs(d) / float64(l)
			mag += (math.Abs(float64(pred[i])) + math.Abs(float64(target[i]))) / float64(l)
			switch {
			case d > 0:
				grad[i] = 1 / float64(l)
			case d < 0:
				grad[i] = -1 / float64(l)
			}
			bound[i] = 2 * unitRoundoff / float64(l)
		}
		lossBound := gamma(l+2)*loss + 2*unitRoundoff*mag
		expectClose(t, what+": loss", download(b, tloss), []float64{loss}, []float64{lossBound})
		expectClose(t, what+": gradient", download(b, tgrad), grad, bound)
	}
}
