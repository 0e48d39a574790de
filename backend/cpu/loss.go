package cpu

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// lossTask is the partSummer of the elementwise losses: it writes the
// gradient of elements [lo, hi) and returns their summed loss.
type lossTask struct {
	k       *vec.Kernels
	sigmoid bool // SigmoidCrossEntropy, else MeanAbsError
	x, t, g []float32
	invL    float32
}

func (t *lossTask) part(lo, hi int) float64 {
	if t.sigmoid {
		return t.k.SigmoidXent(t.g[lo:hi], t.x[lo:hi], t.t[lo:hi], t.invL)
	}
	return t.k.AbsDiff(t.g[lo:hi], t.x[lo:hi], t.t[lo:hi], t.invL)
}

var lossTasks freelist.List[lossTask]

// elementLoss runs a lossTask over n elements and returns the mean loss.
func (b *Backend) elementLoss(sigmoid bool, x, t, g []float32, cost int) float32 {
	n := len(x)
	lt := lossTasks.Get()
	*lt = lossTask{k: vec.For(b.level), sigmoid: sigmoid, x: x, t: t, g: g, invL: 1 / float32(n)}
	sum := sumChunks(n, sumChunk, cost, lt)
	*lt = lossTask{}
	lossTasks.Put(lt)
	return float32(sum / float64(n))
}

// SigmoidCrossEntropy writes the mean binary cross-entropy of sigmoid(z)
// against t, loss = (1/L)·Σ max(z,0) − z·t + log(1+e^(−|z|)), and grad =
// (σ(z) − t)/L, with the vec package's exp and log1p polynomials. The loss
// is summed in float64 over fixed chunks.
func (b *Backend) SigmoidCrossEntropy(logits, target, grad, loss backend.Tensor) {
	const op = "SigmoidCrossEntropy"
	tz, tt, tg, tl := b.tensor(op, logits), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	check.SameLen(op, []string{"logits", "target", "grad"}, tz.shape, tt.shape, tg.shape)
	check.Scalar(op, "loss", tl.shape)
	tl.data[0] = b.elementLoss(true, tz.data, tt.data, tg.data, mathCost)
}

// MeanAbsError writes loss = (1/L)·Σ|pred − target| and grad =
// sign(pred − target)/L, the loss summed in float64 over fixed chunks.
func (b *Backend) MeanAbsError(pred, target, grad, loss backend.Tensor) {
	const op = "MeanAbsError"
	tp, tt, tg, tl := b.tensor(op, pred), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	check.SameLen(op, []string{"pred", "target", "grad"}, tp.shape, tt.shape, tg.shape)
	check.Scalar(op, "loss", tl.shape)
	tl.data[0] = b.elementLoss(false, tp.data, tt.data, tg.data, 2)
}
