package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"time"

	"github.com/myelin-go/myelin/backend"
)

// DefaultBatchSize is the batch size of a Trainer whose BatchSize is 0.
const DefaultBatchSize = 64

// progressInterval is the least time between two downloads of the running
// loss for Trainer.OnBatch: each download waits for the device.
const progressInterval = 250 * time.Millisecond

// EpochStats is what Fit reports after each epoch. Accuracies are the
// fraction of samples whose prediction and target have their arg-max at the
// same index; they are NaN for a model with a single output, where that
// means nothing.
type EpochStats struct {
	Epoch               int     // 1-based
	TrainLoss, TrainAcc float64 // averaged over the epoch's training samples, as the model was while it learnt
	TestLoss, TestAcc   float64 // on the evaluation set after the epoch (NaN when none)
	Seconds             float64 // wall time of the training part of the epoch
	ImagesPerSec        float64 // training samples / Seconds
}

// Progress is reported to Trainer.OnBatch after every batch.
type Progress struct {
	Epoch, Batch, Batches int           // 1-based epoch and batch, batches per epoch
	Samples, Total        int           // samples done in this epoch, samples per epoch
	Elapsed               time.Duration // since the epoch began
	// Loss is the mean training loss of the epoch so far. It is read from
	// the device at most every 250 ms (and after the first and last batch),
	// so in between it may lag a few batches behind.
	Loss float64
}

// Trainer trains a model with a loss and an optimizer on in-memory data.
type Trainer struct {
	Model     *Sequential
	Loss      Loss
	Optimizer Optimizer
	BatchSize int     // samples per step, also used by Evaluate and Predict; 0 means DefaultBatchSize
	Seed      int64   // shuffling seed
	LRDecay   float32 // multiply the learning rate by this after each epoch (0 or 1: constant)
	// Augment, if set, transforms every training batch on the host before
	// Fit uploads it: x holds the batch's samples (prod(XShape) values
	// each, sample after sample) and is changed in place; rng is Fit's
	// generator seeded from Seed, so augmentation is reproducible.
	// Evaluate and Predict never augment. RandomShift makes one.
	Augment func(x []float32, rng *rand.Rand)
	OnBatch func(Progress)         // if set, called by Fit after every batch
	OnEpoch func(EpochStats) error // if set, called by Fit after every epoch; a non-nil error stops Fit, which returns it
}

// Fit trains the model for epochs epochs over train and, when eval is not
// nil, evaluates it on eval after each epoch. Each epoch visits the
// samples in a new order drawn from rand.New(rand.NewSource(Seed)), in
// batches of BatchSize with a smaller last batch when the size does not
// divide Len; every batch makes one optimizer step. The loss and the
// correct-prediction count stay on the device until the end of the epoch.
// Fit returns the statistics of the epochs it finished, with an error when
// the data do not fit the model, the configuration is invalid, the backend
// fails (Backend.Sync) or OnEpoch stops it. The same seeds on the same
// backend give the same results.
func (t *Trainer) Fit(train Dataset, epochs int, eval *Dataset) ([]EpochStats, error) {
	if err := t.check(true, true); err != nil {
		return nil, err
	}
	if epochs < 1 {
		return nil, fmt.Errorf("nn: Fit: epochs = %d, want at least 1", epochs)
	}
	if t.LRDecay < 0 {
		return nil, fmt.Errorf("nn: Fit: LRDecay = %g, want a positive factor (or 0 for none)", t.LRDecay)
	}
	if err := t.checkData("training set", train, true); err != nil {
		return nil, err
	}
	if eval != nil {
		if err := t.checkData("evaluation set", *eval, true); err != nil {
			return nil, err
		}
	}
	b := t.Model.Backend()
	n, bs := train.Len(), t.batchSize()
	batches := (n + bs - 1) / bs
	ld := newLoader(b, train, min(bs, n), true)
	defer ld.free()
	lossSum, correct := b.Alloc(1), b.Alloc(1)
	defer b.Free(lossSum)
	defer b.Free(correct)
	params := t.Model.Params()
	rng := rand.New(rand.NewSource(t.Seed))
	if t.Augment != nil {
		ld.augment = func(x []float32) { t.Augment(x, rng) }
	}

	var stats []EpochStats
	for epoch := 1; epoch <= epochs; epoch++ {
		perm := rng.Perm(n)
		start := time.Now()
		var lastRead time.Time
		var running float64
		b.Fill(lossSum, 0)
		b.Fill(correct, 0)
		for k := range batches {
			i, j := k*bs, min((k+1)*bs, n)
			x, y := ld.load(perm, i, j)
			pred := t.Model.Forward(x, true)
			loss, grad := t.Loss.Loss(pred, y)
			b.Axpy(float32(j-i), loss, lossSum)
			b.CountCorrect(pred, y, correct)
			t.Model.Backward(grad)
			t.Optimizer.Step(params)
			if t.OnBatch != nil {
				if now := time.Now(); k == 0 || k == batches-1 || now.Sub(lastRead) >= progressInterval {
					running = scalar(b, lossSum) / float64(j)
					lastRead = now
				}
				t.OnBatch(Progress{Epoch: epoch, Batch: k + 1, Batches: batches, Samples: j, Total: n,
					Elapsed: time.Since(start), Loss: running})
			}
		}
		if err := b.Sync(); err != nil {
			return stats, fmt.Errorf("nn: Fit: epoch %d: %w", epoch, err)
		}
		st := EpochStats{
			Epoch:     epoch,
			TrainLoss: scalar(b, lossSum) / float64(n),
			TrainAcc:  t.accuracy(scalar(b, correct), n),
			TestLoss:  math.NaN(),
			TestAcc:   math.NaN(),
			Seconds:   time.Since(start).Seconds(),
		}
		st.ImagesPerSec = float64(n) / st.Seconds
		if eval != nil {
			var err error
			if st.TestLoss, st.TestAcc, err = t.Evaluate(*eval); err != nil {
				return stats, err
			}
		}
		stats = append(stats, st)
		if t.OnEpoch != nil {
			if err := t.OnEpoch(st); err != nil {
				return stats, err
			}
		}
		if t.LRDecay != 0 && t.LRDecay != 1 {
			t.Optimizer.SetLR(t.Optimizer.LR() * t.LRDecay)
		}
	}
	return stats, nil
}

// Evaluate returns the mean loss and the accuracy (the fraction of samples
// whose prediction and target have their arg-max at the same index; NaN for
// a model with a single output) of the model over d, run in inference mode
// in batches of BatchSize.
func (t *Trainer) Evaluate(d Dataset) (loss, acc float64, err error) {
	if err := t.check(true, false); err != nil {
		return 0, 0, err
	}
	if err := t.checkData("evaluation set", d, true); err != nil {
		return 0, 0, err
	}
	b := t.Model.Backend()
	n, bs := d.Len(), t.batchSize()
	ld := newLoader(b, d, min(bs, n), true)
	defer ld.free()
	lossSum, correct := b.Alloc(1), b.Alloc(1)
	defer b.Free(lossSum)
	defer b.Free(correct)
	b.Fill(lossSum, 0)
	b.Fill(correct, 0)
	for i := 0; i < n; i += bs {
		j := min(i+bs, n)
		x, y := ld.load(nil, i, j)
		pred := t.Model.Forward(x, false)
		l, _ := t.Loss.Loss(pred, y)
		b.Axpy(float32(j-i), l, lossSum)
		b.CountCorrect(pred, y, correct)
	}
	if err := b.Sync(); err != nil {
		return 0, 0, fmt.Errorf("nn: Evaluate: %w", err)
	}
	return scalar(b, lossSum) / float64(n), t.accuracy(scalar(b, correct), n), nil
}

// Predict returns the model's outputs for the samples of d (d.Y is not
// used): Len rows of prod(OutShape) values, computed in inference mode in
// batches of BatchSize.
func (t *Trainer) Predict(d Dataset) ([]float32, error) {
	if err := t.check(false, false); err != nil {
		return nil, err
	}
	if err := t.checkData("prediction set", d, false); err != nil {
		return nil, err
	}
	b := t.Model.Backend()
	n, bs := d.Len(), t.batchSize()
	outLen := shapeLen(t.Model.OutShape())
	ld := newLoader(b, d, min(bs, n), false)
	defer ld.free()
	out := make([]float32, n*outLen)
	for i := 0; i < n; i += bs {
		j := min(i+bs, n)
		x, _ := ld.load(nil, i, j)
		b.Download(out[i*outLen:j*outLen], t.Model.Forward(x, false))
	}
	if err := b.Sync(); err != nil {
		return nil, fmt.Errorf("nn: Predict: %w", err)
	}
	return out, nil
}

// batchSize returns BatchSize, or DefaultBatchSize when it is 0.
func (t *Trainer) batchSize() int {
	if t.BatchSize == 0 {
		return DefaultBatchSize
	}
	return t.BatchSize
}

// check returns an error unless the trainer has a model, a valid batch
// size, a loss when withLoss is set and an optimizer when withOptimizer is.
func (t *Trainer) check(withLoss, withOptimizer bool) error {
	switch {
	case t.Model == nil:
		return errors.New("nn: Trainer has no Model")
	case t.BatchSize < 0:
		return fmt.Errorf("nn: Trainer.BatchSize = %d, want at least 1 (or 0 for %d)", t.BatchSize, DefaultBatchSize)
	case withLoss && t.Loss == nil:
		return errors.New("nn: Trainer has no Loss")
	case withOptimizer && t.Optimizer == nil:
		return errors.New("nn: Trainer has no Optimizer")
	}
	return nil
}

// checkData returns an error naming the data set (what) unless d is
// consistent (see Dataset.Check), its samples have the model's input shape
// and, when withY is set, its targets have the model's output shape.
func (t *Trainer) checkData(what string, d Dataset, withY bool) error {
	if err := d.Check(withY); err != nil {
		return fmt.Errorf("nn: %s: %w", what, err)
	}
	if in := t.Model.InShape(); !backend.Shape(d.XShape).Equal(in) {
		return fmt.Errorf("nn: %s: XShape %v does not match the model's input shape %v", what, d.XShape, in)
	}
	if out := t.Model.OutShape(); withY && !backend.Shape(d.YShape).Equal(out) {
		return fmt.Errorf("nn: %s: YShape %v does not match the model's output shape %v", what, d.YShape, out)
	}
	return nil
}

// accuracy returns correct/n, or NaN when the model has a single output.
func (t *Trainer) accuracy(correct float64, n int) float64 {
	if shapeLen(t.Model.OutShape()) == 1 {
		return math.NaN()
	}
	return correct / float64(n)
}

// scalar downloads the single value of t.
func scalar(b backend.Backend, t backend.Tensor) float64 {
	v := make([]float32, 1)
	b.Download(v, t)
	return float64(v[0])
}
