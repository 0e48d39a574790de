package nn

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/myelin-go/myelin/backend"
)

// BatchNorm is batch normalisation (Ioffe & Szegedy, 2015) per channel c,
// the first per-sample dimension: the features after Dense ([F] per
// sample) or the channels after Conv2D ([C, H, W] per sample). With learned
// γ ("weight", initially 1) and β ("bias", initially 0),
//
//	y = γ·(x − μ)/√(σ² + ε) + β
//
// In training, μ and σ² are the mean and biased variance of the batch over
// channel c's M = N·H·W values, and the running statistics (buffers
// "running_mean", initially 0, and "running_var", initially 1) move towards
// them with momentum m as in PyTorch:
//
//	running_mean ← (1−m)·running_mean + m·μ
//	running_var  ← (1−m)·running_var + m·σ²·M/(M−1)
//
// In evaluation, μ and σ² are the running statistics. A training batch
// needs M ≥ 2. This is PyTorch's BatchNorm1d (on [N, F]) and BatchNorm2d
// (on [N, C, H, W]) with affine=True and track_running_stats=True.
type BatchNorm struct {
	Momentum float32 // running-statistics momentum m, PyTorch's convention; 0 means 0.1
	Eps      float32 // ε; 0 means 1e-5
	Tracked  int64   // training batches seen (PyTorch's num_batches_tracked), incremented by each training Forward

	b       backend.Backend
	in      []int
	gamma   *Param
	beta    *Param
	runMean *Param
	runVar  *Param
	mean    backend.Tensor // batch mean of the last training Forward
	invStd  backend.Tensor // 1/√(σ² + ε) of the last training Forward
	consts  *bnConsts      // for Backward after an evaluation Forward
	x       backend.Tensor // input of the last Forward
	train   bool           // whether the last Forward was in training mode
	cur     *bnBufs
	bufs    BatchCache[bnBufs]
}

// bnBufs are a BatchNorm layer's buffers for one batch size; xhat holds
// the normalised input for a Backward after an evaluation Forward.
type bnBufs struct {
	ioBufs
	xhat backend.Tensor
}

// bnConsts are per-channel constants for a Backward after an evaluation
// Forward: all ones and all zeros.
type bnConsts struct {
	ones, zeros backend.Tensor
}

// momentum returns the effective momentum: Momentum, or 0.1 when it is 0.
func (l *BatchNorm) momentum() float32 {
	if l.Momentum == 0 {
		return 0.1
	}
	return l.Momentum
}

// eps returns the effective ε: Eps, or 1e-5 when it is 0.
func (l *BatchNorm) eps() float32 {
	if l.Eps == 0 {
		return 1e-5
	}
	return l.Eps
}

// Build implements Layer.
func (l *BatchNorm) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	if !(l.Momentum >= 0 && l.Momentum <= 1) {
		return nil, fmt.Errorf("%v: Momentum must be in [0, 1]", l)
	}
	if !(l.Eps >= 0) {
		return nil, fmt.Errorf("%v: Eps must not be negative", l)
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", l, err)
	}
	*l = BatchNorm{Momentum: l.Momentum, Eps: l.Eps, b: b, in: append([]int(nil), in...)}
	c := []int{in[0]}
	l.gamma = NewParam(b, "weight", c, Ones, nil)
	l.beta = NewParam(b, "bias", c, Zeros, nil)
	l.runMean = NewBuffer(b, "running_mean", c, 0)
	l.runVar = NewBuffer(b, "running_var", c, 1)
	l.mean = b.Alloc(c...)
	l.invStd = b.Alloc(c...)
	return append([]int(nil), in...), nil
}

// Forward implements Layer: batch statistics when train is true, running
// statistics otherwise. It panics when a training batch has fewer than two
// values per channel.
func (l *BatchNorm) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(l, x, l.in)
	if train && n*shapeLen(l.in[1:]) < 2 {
		panic(fmt.Sprintf("nn: %v: training Forward on input %v: batch statistics need at least 2 values per channel", l, x.Shape()))
	}
	l.cur = l.bufs.Get(n, func(n int) *bnBufs {
		return &bnBufs{ioBufs: ioBufs{y: l.b.Alloc(withBatch(n, l.in)...)}}
	})
	l.x, l.train = x, train
	if train {
		l.b.BatchNormTrain(x, l.gamma.Value, l.beta.Value, l.cur.y, l.mean, l.invStd,
			l.runMean.Value, l.runVar.Value, l.momentum(), l.eps())
		l.Tracked++
	} else {
		l.b.BatchNormInfer(x, l.gamma.Value, l.beta.Value, l.runMean.Value, l.runVar.Value, l.cur.y, l.eps())
	}
	return l.cur.y
}

// Backward implements Layer. After a training Forward it is
// Backend.BatchNormBackward (the gradient through the batch statistics).
// After an evaluation Forward the statistics are constants, so with
// x̂ = (x − running_mean)/√(running_var + ε): ∂L/∂x = γ·dy/√(running_var + ε),
// ∂L/∂γ = Σ dy·x̂ and ∂L/∂β = Σ dy, sums over each channel.
func (l *BatchNorm) Backward(dy backend.Tensor) backend.Tensor {
	if l.cur == nil {
		panicNoForward(l)
	}
	CheckGrad(l, dy, l.cur.y)
	if l.cur.dx == nil {
		l.cur.dx = l.b.Alloc(withBatch(dy.Shape()[0], l.in)...)
	}
	if l.train {
		l.b.BatchNormBackward(l.x, dy, l.gamma.Value, l.mean, l.invStd, l.cur.dx, l.gamma.Grad, l.beta.Grad)
		return l.cur.dx
	}
	if l.consts == nil {
		c := l.in[0]
		l.consts = &bnConsts{ones: l.b.Alloc(c), zeros: l.b.Alloc(c)}
		l.b.Fill(l.consts.ones, 1)
		l.b.Fill(l.consts.zeros, 0)
	}
	if l.cur.xhat == nil {
		l.cur.xhat = l.b.Alloc(withBatch(dy.Shape()[0], l.in)...)
	}
	k := l.consts
	l.b.BatchNormInfer(l.x, k.ones, k.zeros, l.runMean.Value, l.runVar.Value, l.cur.xhat, l.eps())
	l.b.Mul(l.cur.xhat, dy, l.cur.xhat)
	l.b.BiasGrad(l.cur.xhat, l.gamma.Grad)
	l.b.BiasGrad(dy, l.beta.Grad)
	l.b.BatchNormInfer(dy, l.gamma.Value, k.zeros, k.zeros, l.runVar.Value, l.cur.dx, l.eps())
	return l.cur.dx
}

// Params implements Layer: γ ("weight") and β ("bias").
func (l *BatchNorm) Params() []*Param {
	if l.gamma == nil {
		return nil
	}
	return []*Param{l.gamma, l.beta}
}

// Buffers implements Stateful: "running_mean" and "running_var".
func (l *BatchNorm) Buffers() []*Param {
	if l.runMean == nil {
		return nil
	}
	return []*Param{l.runMean, l.runVar}
}

// String describes the layer, e.g. "BatchNorm" or
// "BatchNorm(momentum 0.01, eps 0.001)" when the defaults are changed.
func (l *BatchNorm) String() string {
	var parts []string
	if l.Momentum != 0 {
		parts = append(parts, fmt.Sprintf("momentum %g", l.Momentum))
	}
	if l.Eps != 0 {
		parts = append(parts, fmt.Sprintf("eps %g", l.Eps))
	}
	if len(parts) == 0 {
		return "BatchNorm"
	}
	return "BatchNorm(" + strings.Join(parts, ", ") + ")"
}

// Counters implements Counted: Tracked, as PyTorch's num_batches_tracked.
func (l *BatchNorm) Counters() []Counter {
	return []Counter{{
		Name: "num_batches_tracked",
		Get:  func() int64 { return l.Tracked },
		Set:  func(v int64) { l.Tracked = v },
	}}
}
