package nn

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// PerStep applies a loss to every position of a sequence: predictions
// and targets [N, T, K] are read as N·T rows of K ([N·T, K], torch's
// logits.reshape(−1, K)), so that with SoftmaxCrossEntropy the loss is
// the mean over all N·T positions of the cross-entropy of each
// position's K logits (a language model predicting the next token at
// every step, as torch.nn.functional.cross_entropy on the reshaped
// logits). The gradient comes back as [N, T, K]. Create it with
// NewPerStep.
type PerStep struct {
	Inner Loss

	b     backend.Backend
	views map[backend.Tensor]backend.Tensor // [N·T, K] or [N, T, K] views, by base tensor
}

// NewPerStep returns inner applied per step, on b.
func NewPerStep(b backend.Backend, inner Loss) *PerStep {
	return &PerStep{Inner: inner, b: b, views: map[backend.Tensor]backend.Tensor{}}
}

// view returns a view of t with the given shape, made once per tensor.
func (l *PerStep) view(t backend.Tensor, shape []int) backend.Tensor {
	v, ok := l.views[t]
	if !ok || !v.Shape().Equal(shape) {
		v = backend.Reshape(l.b, t, shape...)
		l.views[t] = v
	}
	return v
}

// rows returns a view of t [N, T, K] as a matrix [N·T, K].
func (l *PerStep) rows(t backend.Tensor) backend.Tensor {
	s := t.Shape()
	k := s[len(s)-1]
	if v, ok := l.views[t]; ok && len(v.Shape()) == 2 && v.Shape()[1] == k {
		return v
	}
	return l.view(t, []int{s.Len() / k, k})
}

// Loss implements Loss for pred and target [N, T, K] (at least three
// dimensions; those between the first and the last are all steps).
func (l *PerStep) Loss(pred, target backend.Tensor) (loss, grad backend.Tensor) {
	s := pred.Shape()
	if len(s) < 3 || !s.Equal(target.Shape()) {
		panic(fmt.Sprintf("nn: %v: prediction shape %v, target shape %v: want equal shapes [N T K]", l, s, target.Shape()))
	}
	loss, g := l.Inner.Loss(l.rows(pred), l.rows(target))
	return loss, l.view(g, s)
}

// String returns e.g. "PerStep(SoftmaxCrossEntropy)".
func (l *PerStep) String() string { return "PerStep(" + l.Inner.String() + ")" }

// positions returns the number of predictions per sample that accuracy
// counts: the steps T of a PerStep loss's [T, K] outputs, else 1.
func positions(l Loss, out []int) int {
	if _, ok := l.(*PerStep); ok && len(out) >= 2 {
		return shapeLen(out) / out[len(out)-1]
	}
	return 1
}

// countCorrect adds to count[0] the number of correct arg-max predictions
// of pred against target: one per sample, or one per step for a PerStep
// loss.
func countCorrect(b backend.Backend, l Loss, pred, target, count backend.Tensor) {
	if ps, ok := l.(*PerStep); ok {
		pred, target = ps.rows(pred), ps.rows(target)
	}
	b.CountCorrect(pred, target, count)
}
