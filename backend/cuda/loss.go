//go:build cuda

package cuda

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// SigmoidCrossEntropy writes loss = (1/L)·Σ max(z,0) − z·t + log(1+e^(−|z|))
// and grad = (σ(z) − t)/L; the terms and their sum are in double.
func (b *Backend) SigmoidCrossEntropy(logits, target, grad, loss backend.Tensor) {
	const op = "SigmoidCrossEntropy"
	tz, tt, tg, tl := b.tensor(op, logits), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	check.SameLen(op, []string{"logits", "target", "grad"}, tz.shape, tt.shape, tg.shape)
	check.Scalar(op, "loss", tl.shape)
	b.meanLoss(op, kernels.SigmoidXent, tz, tt, tg, tl)
}

// MeanAbsError writes loss = (1/L)·Σ|pred − target| and grad =
// sign(pred − target)/L.
func (b *Backend) MeanAbsError(pred, target, grad, loss backend.Tensor) {
	const op = "MeanAbsError"
	tp, tt, tg, tl := b.tensor(op, pred), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	check.SameLen(op, []string{"pred", "target", "grad"}, tp.shape, tt.shape, tg.shape)
	check.Scalar(op, "loss", tl.shape)
	b.meanLoss(op, kernels.AbsError, tp, tt, tg, tl)
}

// meanLoss runs the elementwise loss kernel k, which writes the gradient
// and one double term per element, then sets loss to the mean of the
// terms.
func (b *Backend) meanLoss(op string, k kernels.Kernel, x, t, grad, loss *tensor) {
	n := x.len()
	terms, done := b.scratch(op, uint64(8*n))
	defer done()
	b.launch(op, k, b.grid(n), new(args).ptr(x).ptr(t).ptr(grad).addr(terms).i64(n).f32(1/float32(n)))
	b.reduce(op, terms, true, n, 1/float64(n), loss.ptr, 0)
}
