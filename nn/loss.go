package nn

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// Loss computes a scalar loss of a batch of predictions against targets
// (same shape) and its gradient with respect to pred. Both returned tensors
// belong to the loss and stay valid until the next call; loss has one
// element, the mean over the batch.
type Loss interface {
	Loss(pred, target backend.Tensor) (loss, grad backend.Tensor)
	String() string
}

// SoftmaxCrossEntropy is the cross-entropy of the softmax of logits against
// target distributions (one-hot rows for classification), fused for
// stability. For logits and targets [N, K]:
//
//	loss = −(1/N)·Σ_n Σ_k target[n,k]·log softmax(logits[n])[k]
//	grad = (softmax(logits) − target)/N
//
// With label smoothing ε (NewLabelSmoothingCrossEntropy) the targets are first
// mixed with the uniform distribution, target ← (1−ε)·target + ε/K, as
// PyTorch's cross_entropy(label_smoothing=ε) does. Create it with
// NewSoftmaxCrossEntropy or NewLabelSmoothingCrossEntropy.
type SoftmaxCrossEntropy struct {
	lossCore
	smoothing float32
}

// NewSoftmaxCrossEntropy returns the softmax cross-entropy loss on b, to
// be applied to a model's logits (the output of its last Dense layer).
func NewSoftmaxCrossEntropy(b backend.Backend) Loss {
	return &SoftmaxCrossEntropy{lossCore: newLossCore(b)}
}

// NewLabelSmoothingCrossEntropy returns the softmax cross-entropy loss on
// b with label smoothing ε: the targets become (1−ε)·target + ε/K for K
// classes (PyTorch's cross_entropy(label_smoothing=ε)). ε = 0 is
// NewSoftmaxCrossEntropy. It panics unless 0 ≤ ε ≤ 1.
func NewLabelSmoothingCrossEntropy(b backend.Backend, eps float32) Loss {
	if !(eps >= 0 && eps <= 1) {
		panic(fmt.Sprintf("nn: NewLabelSmoothingCrossEntropy(%g): ε must be in [0, 1]", eps))
	}
	return &SoftmaxCrossEntropy{lossCore: newLossCore(b), smoothing: eps}
}

// Loss implements Loss via Backend.SoftmaxCrossEntropy, after Fill and
// Axpy make the smoothed targets when label smoothing is on.
func (l *SoftmaxCrossEntropy) Loss(pred, target backend.Tensor) (loss, grad backend.Tensor) {
	smooth := l.smoothing != 0
	bufs := lossBuffers(l, l.b, &l.bufs, pred, target, smooth)
	if smooth {
		k := pred.Shape().Cols()
		l.b.Fill(bufs.aux, l.smoothing/float32(k))
		l.b.Axpy(1-l.smoothing, target, bufs.aux)
		target = bufs.aux
	}
	l.b.SoftmaxCrossEntropy(pred, target, bufs.grad, l.loss)
	return l.loss, bufs.grad
}

// String returns "SoftmaxCrossEntropy", followed by "(label smoothing ε)"
// when it smooths.
func (l *SoftmaxCrossEntropy) String() string {
	if l.smoothing != 0 {
		return fmt.Sprintf("SoftmaxCrossEntropy(label smoothing %g)", l.smoothing)
	}
	return "SoftmaxCrossEntropy"
}

// MSE is the mean squared error over all M elements of a batch:
//
//	loss = (1/M)·Σ_i (pred[i] − target[i])²
//	grad = (2/M)·(pred − target)
//
// Create it with NewMSE.
type MSE struct{ lossCore }

// NewMSE returns the mean-squared-error loss on b.
func NewMSE(b backend.Backend) Loss {
	return &MSE{newLossCore(b)}
}

// Loss implements Loss with Copy, Axpy, Mul, Sum and Scale.
func (l *MSE) Loss(pred, target backend.Tensor) (loss, grad backend.Tensor) {
	bufs := lossBuffers(l, l.b, &l.bufs, pred, target, true)
	m := float32(pred.Shape().Len())
	d := bufs.grad
	l.b.Copy(d, pred)
	l.b.Axpy(-1, target, d) // d = pred − target
	l.b.Mul(d, d, bufs.aux)
	l.b.Sum(bufs.aux, l.loss)
	l.b.Scale(1/m, l.loss)
	l.b.Scale(2/m, d)
	return l.loss, d
}

// String returns "MSE".
func (l *MSE) String() string { return "MSE" }

// MAE is the mean absolute error over all M elements of a batch (L1 loss):
//
//	loss = (1/M)·Σ_i |pred[i] − target[i]|
//	grad = sign(pred − target)/M   (0 where they are equal)
//
// Create it with NewMAE.
type MAE struct{ lossCore }

// NewMAE returns the mean-absolute-error loss on b.
func NewMAE(b backend.Backend) Loss {
	return &MAE{newLossCore(b)}
}

// Loss implements Loss via Backend.MeanAbsError.
func (l *MAE) Loss(pred, target backend.Tensor) (loss, grad backend.Tensor) {
	bufs := lossBuffers(l, l.b, &l.bufs, pred, target, false)
	l.b.MeanAbsError(pred, target, bufs.grad, l.loss)
	return l.loss, bufs.grad
}

// String returns "MAE".
func (l *MAE) String() string { return "MAE" }

// BCEWithLogits is binary cross-entropy on the sigmoid σ(z) = 1/(1+e^−z)
// of logits z, against targets t in [0, 1], averaged over all M elements
// of a batch (PyTorch's BCEWithLogitsLoss). Computed from the logits, it
// stays finite for any z:
//
//	loss = (1/M)·Σ_i −t·log σ(z) − (1−t)·log(1 − σ(z))
//	     = (1/M)·Σ_i max(z, 0) − z·t + log(1 + e^−|z|)
//	grad = (σ(z) − t)/M
//
// A binary classifier ends in one logit per sample (Dense{Units: 1}), with
// no Sigmoid layer; σ(z) is the predicted probability of class 1. Create it
// with NewBCEWithLogits.
type BCEWithLogits struct{ lossCore }

// NewBCEWithLogits returns the binary cross-entropy loss on logits on b.
func NewBCEWithLogits(b backend.Backend) Loss {
	return &BCEWithLogits{newLossCore(b)}
}

// Loss implements Loss via Backend.SigmoidCrossEntropy.
func (l *BCEWithLogits) Loss(pred, target backend.Tensor) (loss, grad backend.Tensor) {
	bufs := lossBuffers(l, l.b, &l.bufs, pred, target, false)
	l.b.SigmoidCrossEntropy(pred, target, bufs.grad, l.loss)
	return l.loss, bufs.grad
}

// String returns "BCEWithLogits".
func (l *BCEWithLogits) String() string { return "BCEWithLogits" }

// lossCore is what every loss keeps: its backend, the one-element loss
// tensor it returns, and its buffers per batch size.
type lossCore struct {
	b    backend.Backend
	loss backend.Tensor
	bufs BatchCache[lossBufs]
}

// newLossCore allocates a lossCore on b.
func newLossCore(b backend.Backend) lossCore {
	return lossCore{b: b, loss: b.Alloc(1)}
}

// lossBufs are a loss's buffers for one batch size: the gradient it
// returns and aux, shaped like it: MSE's squared differences, or the
// smoothed targets of SoftmaxCrossEntropy.
type lossBufs struct {
	grad, aux backend.Tensor
}

// lossBuffers returns loss l's buffers for pred, after checking that pred
// and target have the same shape (it panics naming the loss otherwise). The
// buffers are cached per batch size and replaced when a prediction of that
// batch size comes with another shape.
func lossBuffers(l Loss, b backend.Backend, cache *BatchCache[lossBufs], pred, target backend.Tensor, withAux bool) *lossBufs {
	s := pred.Shape()
	if !s.Equal(target.Shape()) {
		panic(fmt.Sprintf("nn: %v: prediction shape %v, target shape %v: want equal shapes", l, s, target.Shape()))
	}
	alloc := func(int) *lossBufs {
		bufs := &lossBufs{grad: b.Alloc(s...)}
		if withAux {
			bufs.aux = b.Alloc(s...)
		}
		return bufs
	}
	bufs := cache.Get(s[0], alloc)
	if !bufs.grad.Shape().Equal(s) {
		b.Free(bufs.grad)
		b.Free(bufs.aux)
		*bufs = *alloc(s[0])
	}
	return bufs
}
