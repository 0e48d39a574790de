package cpu

import (
	"math"

	"github.com/myelin-go/myelin/backend"
)

// SigmoidCrossEntropy writes the mean binary cross-entropy of sigmoid(z)
// against t, loss = (1/L)·Σ max(z,0) − z·t + log(1+e^(−|z|)), and grad =
// (σ(z) − t)/L. The loss is summed in float64 over fixed chunks.
func (b *Backend) SigmoidCrossEntropy(logits, target, grad, loss backend.Tensor) {
	const op = "SigmoidCrossEntropy"
	tz, tt, tg, tl := b.tensor(op, logits), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	checkSameLen(op, []string{"logits", "target", "grad"}, tz, tt, tg)
	checkScalar(op, "loss", tl)
	n := len(tz.data)
	invL := 1 / float32(n)
	sum := chunkedSum(n, sumChunk, mathCost, func(lo, hi int) float64 {
		var s float64
		for i := lo; i < hi; i++ {
			z, t := float64(tz.data[i]), float64(tt.data[i])
			s += max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z)))
			tg.data[i] = (float32(1/(1+math.Exp(-z))) - tt.data[i]) * invL
		}
		return s
	})
	tl.data[0] = float32(sum / float64(n))
}

// MeanAbsError writes loss = (1/L)·Σ|pred − target| and grad =
// sign(pred − target)/L.
func (b *Backend) MeanAbsError(pred, target, grad, loss backend.Tensor) {
	const op = "MeanAbsError"
	tp, tt, tg, tl := b.tensor(op, pred), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	checkSameLen(op, []string{"pred", "target", "grad"}, tp, tt, tg)
	checkScalar(op, "loss", tl)
	n := len(tp.data)
	invL := 1 / float32(n)
	sum := chunkedSum(n, sumChunk, 2, func(lo, hi int) float64 {
		var s float64
		for i := lo; i < hi; i++ {
			d := tp.data[i] - tt.data[i]
			switch {
			case d > 0:
				s += float64(d)
				tg.data[i] = invL
			case d < 0:
				s -= float64(d)
				tg.data[i] = -invL
			default:
				tg.data[i] = 0
			}
		}
		return s
	})
	tl.data[0] = float32(sum / float64(n))
}
