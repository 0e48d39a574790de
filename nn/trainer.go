package nn

import (
	"context"
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
// same index (of steps, with a PerStep loss); they are NaN for a model with
// a single output, where that means nothing.
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

// Position is a point in a training run: Epoch epochs finished and Batch
// batches of the next epoch done.
type Position struct {
	Epoch, Batch int
}

// Trainer trains a model with a loss and an optimizer on in-memory data.
//
// Every random choice Fit makes is a fixed function of Seed, the epoch and
// the batch (the shuffle of epoch e is drawn from a generator seeded with
// streamSeed(Seed, e, 0), the augmentation of its batch k from one seeded
// with streamSeed(Seed, e, k)), and Dropout draws its masks from its own
// step count, so that training 4 epochs gives bit for bit the same model
// as training 2, saving a checkpoint, and resuming from Start {2, 0} for 2
// more on the same backend.
type Trainer struct {
	Model     Model
	Loss      Loss
	Optimizer Optimizer
	BatchSize int // samples per step, also used by Evaluate and Predict unless EvalBatchSize is set; 0 means DefaultBatchSize
	// EvalBatchSize, if set, is the batch size of Evaluate and Predict
	// (and of Fit's evaluations) instead of BatchSize: inference keeps no
	// activations for a backward pass, so larger batches fit.
	EvalBatchSize int
	Seed          int64 // seed of the shuffling and augmentation streams
	// Schedule, if set, sets the optimizer's learning rate to
	// Schedule.LR(BaseLR, e) before each epoch, e being the number of
	// epochs finished before it, or, when it is a BatchSchedule, to
	// StepLR(BaseLR, s, total) before each step s of a run of total steps
	// (epochs × batches per epoch). Without it the rate is left alone.
	Schedule Schedule
	// BaseLR is the rate Schedule starts from. When it is 0, Fit sets it
	// to the optimizer's rate as Fit begins, so that later calls on the
	// same Trainer keep the same base. Set it when resuming from a
	// checkpoint: the optimizer loaded from one has the scheduled rate.
	BaseLR float32
	// Augment, if set, transforms every training batch on the host before
	// Fit uploads it: x holds the batch's samples (prod(XShape) values
	// each, sample after sample) and is changed in place; rng is seeded
	// for the batch from Seed, the epoch and the batch index, so
	// augmentation is reproducible. Evaluate and Predict never augment.
	// RandomShift makes one. Set Augment or Augmenter, not both.
	Augment func(x []float32, rng *rand.Rand)
	// Augmenter, if set, is the augmentation as a value, which Fit
	// applies as it would Augment = Augmenter.Augment, or on the device
	// when it has a device form the backend can run: a ShiftAugmenter
	// (such as a Shift from NewShift) on a backend.Shifter that keeps the
	// training set (see FitContext). Either way the model trains on the
	// same samples, bit for bit.
	Augmenter Augmenter
	// EarlyStopping, if set, stops Fit when the evaluation loss stops
	// improving and restores the best weights; Fit then needs an
	// evaluation set.
	EarlyStopping *EarlyStopping
	// Start is where Fit begins: the epochs and batches already trained
	// by the run that Fit continues (the zero value: from the start). Fit
	// skips the first Start.Batch batches of epoch Start.Epoch+1, visiting
	// the rest in the order the full epoch would have.
	Start   Position
	OnBatch func(Progress)         // if set, called by Fit after every batch
	OnEpoch func(EpochStats) error // if set, called by Fit after every epoch; a non-nil error stops Fit, which returns it
}

// Fit is FitContext without cancellation, returning the statistics and the
// error only.
func (t *Trainer) Fit(train Dataset, epochs int, eval *Dataset) ([]EpochStats, error) {
	stats, _, err := t.FitContext(context.Background(), train, epochs, eval)
	return stats, err
}

// FitContext trains the model until epochs epochs are finished in all,
// counting the Start.Epoch done before, over train and, when eval is not
// nil, evaluates it on eval after each epoch. Each epoch visits the
// samples in a new order, in batches of BatchSize with a smaller last
// batch when the size does not divide Len; every batch makes one optimizer
// step. The loss and the correct-prediction count stay on the device until
// the end of the epoch; an epoch resumed in the middle reports the batches
// it trained.
//
// When ctx is done, FitContext stops after the current batch and returns
// an error wrapping ctx.Err(). It returns the statistics of the epochs it
// finished and the position reached: set Start to it to continue later.
// Other errors: the data do not fit the model, the configuration is
// invalid, the backend fails (Backend.Sync) or OnEpoch stops it. The same
// seeds on the same backend give the same results.
//
// For samples in X (not Tokens), on a backend with backend.Indexer and
// backend.Viewer that has room for it, the training set is uploaded once
// and every batch gathered on the device over the epoch's shuffled order,
// uploaded once per epoch, when there is no augmentation or when it is a
// ShiftAugmenter set as Augmenter and the backend is a backend.Shifter:
// then the epoch's offsets are drawn on the host when it begins, from the
// streams the host path would draw them from, uploaded once, and applied
// to each gathered batch by backend.ShiftImages. Otherwise each batch is
// gathered on the host, augmented there and uploaded. Both paths train
// the same samples in the same order. Evaluations read views of an
// evaluation set uploaded once, where the backend allows.
func (t *Trainer) FitContext(ctx context.Context, train Dataset, epochs int, eval *Dataset) (stats []EpochStats, pos Position, err error) {
	defer outOfMemory("Fit", &err)
	pos = t.Start
	if err := t.checkFit(train, epochs, eval); err != nil {
		return nil, pos, err
	}
	b := t.Model.Backend()
	n, bs := train.Len(), t.batchSize()
	batches := (n + bs - 1) / bs
	if pos.Epoch < 0 || pos.Epoch >= epochs || pos.Batch < 0 || pos.Batch >= batches {
		return nil, pos, fmt.Errorf("nn: Fit: Start %+v is not inside a run of %d epochs of %d batches", pos, epochs, batches)
	}
	if t.BaseLR == 0 {
		t.BaseLR = t.Optimizer.LR()
	}
	es := t.EarlyStopping
	if es != nil && pos == (Position{}) {
		es.reset()
	}
	rng := rand.New(rand.NewSource(0))
	var (
		ld *loader
		dl *deviceLoader
	)
	augment := t.hostAugment()
	shift, _ := t.Augmenter.(ShiftAugmenter)
	if _, ok := b.(backend.Shifter); !ok {
		shift = nil
	}
	if augment == nil || shift != nil {
		dl = newDeviceLoader(b, train, true)
	}
	if dl != nil {
		defer dl.free()
		if shift != nil {
			dl.withShifts(shift)
		}
	} else {
		ld = newLoader(b, train, min(bs, n), true)
		defer ld.free()
		if augment != nil {
			ld.augment = func(x []float32) { augment(x, rng) }
		}
	}
	lossSum, correct := b.Alloc(1), b.Alloc(1)
	defer b.Free(lossSum)
	defer b.Free(correct)
	host := make([]float32, 1)
	params := t.Model.Params()
	perm := make([]int, n)
	swap := func(i, j int) { perm[i], perm[j] = perm[j], perm[i] }

	perBatch, _ := t.Schedule.(BatchSchedule)
	for epoch := pos.Epoch + 1; epoch <= epochs; epoch++ {
		if t.Schedule != nil && perBatch == nil {
			lr := t.Schedule.LR(t.BaseLR, epoch-1)
			if !validLR(lr) {
				return stats, pos, fmt.Errorf("nn: Fit: Schedule %v gives learning rate %g for epoch %d", t.Schedule, lr, epoch)
			}
			t.Optimizer.SetLR(lr)
		}
		start := time.Now()
		for i := range perm {
			perm[i] = i
		}
		rng.Seed(streamSeed(t.Seed, epoch, 0))
		rng.Shuffle(n, swap)
		first := pos.Batch
		if dl != nil {
			dl.shuffle(perm)
			if dl.shift != nil {
				// The offsets of every batch to train, each from its
				// batch's stream as the host path draws them.
				for k := first; k < batches; k++ {
					rng.Seed(streamSeed(t.Seed, epoch, k+1))
					dl.shift.DrawShifts(dl.shifts32[2*k*bs:2*min((k+1)*bs, n)], rng)
				}
				dl.uploadShifts()
			}
		}
		var lastRead time.Time
		var running float64
		b.Fill(lossSum, 0)
		b.Fill(correct, 0)
		for k := first; k < batches; k++ {
			if ctx.Err() != nil {
				if err := b.Sync(); err != nil {
					return stats, pos, fmt.Errorf("nn: Fit: epoch %d: %w", epoch, err)
				}
				return stats, pos, fmt.Errorf("nn: Fit stopped after %d epochs and %d batches: %w", pos.Epoch, pos.Batch, ctx.Err())
			}
			if perBatch != nil {
				s := (epoch-1)*batches + k
				lr := perBatch.StepLR(t.BaseLR, s, epochs*batches)
				if !validLR(lr) {
					return stats, pos, fmt.Errorf("nn: Fit: Schedule %v gives learning rate %g for step %d of %d", t.Schedule, lr, s, epochs*batches)
				}
				t.Optimizer.SetLR(lr)
			}
			i, j := k*bs, min((k+1)*bs, n)
			rng.Seed(streamSeed(t.Seed, epoch, k+1))
			var x, y backend.Tensor
			if dl != nil {
				x, y = dl.load(i, j)
			} else {
				x, y = ld.load(perm, i, j)
			}
			pred, loss := t.step(x, y, params)
			b.Axpy(float32(j-i), loss, lossSum)
			countCorrect(b, t.Loss, pred, y, correct)
			pos.Batch = k + 1
			if t.OnBatch != nil {
				if now := time.Now(); k == first || k == batches-1 || now.Sub(lastRead) >= progressInterval {
					running = scalar(b, lossSum, host) / float64(j-first*bs)
					lastRead = now
				}
				t.OnBatch(Progress{Epoch: epoch, Batch: k + 1, Batches: batches, Samples: j, Total: n,
					Elapsed: time.Since(start), Loss: running})
			}
		}
		if err := b.Sync(); err != nil {
			return stats, pos, fmt.Errorf("nn: Fit: epoch %d: %w", epoch, err)
		}
		pos = Position{Epoch: epoch}
		trained := n - first*bs
		st := EpochStats{
			Epoch:     epoch,
			TrainLoss: scalar(b, lossSum, host) / float64(trained),
			TrainAcc:  t.accuracy(scalar(b, correct, host), trained),
			TestLoss:  math.NaN(),
			TestAcc:   math.NaN(),
			Seconds:   time.Since(start).Seconds(),
		}
		st.ImagesPerSec = float64(trained) / st.Seconds
		if eval != nil {
			var err error
			if st.TestLoss, st.TestAcc, err = t.Evaluate(*eval); err != nil {
				return stats, pos, err
			}
		}
		stats = append(stats, st)
		stop := es != nil && es.observe(epoch, st.TestLoss, t.Model)
		if t.OnEpoch != nil {
			if err := t.OnEpoch(st); err != nil {
				return stats, pos, err
			}
		}
		if stop {
			break
		}
	}
	if es != nil {
		es.finish(pos.Epoch)
	}
	return stats, pos, nil
}

// outOfMemory turns a panic whose value is an error wrapping
// backend.ErrOutOfMemory (how Alloc fails when the device is full) into
// *err, which names op and says what to do; any other panic goes on. The
// model keeps the weights of the last finished batch and the returned
// Position says which that is, so a checkpoint can still be written.
func outOfMemory(op string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(error); ok && errors.Is(e, backend.ErrOutOfMemory) {
		*err = fmt.Errorf("nn: %s: %w; use a smaller batch size or a smaller model", op, e)
		return
	}
	panic(r)
}

// hostAugment returns the augmentation as a function of the host batch:
// Augmenter's Augment method, else Augment (nil when neither is set).
func (t *Trainer) hostAugment() func(x []float32, rng *rand.Rand) {
	if t.Augmenter != nil {
		return t.Augmenter.Augment
	}
	return t.Augment
}

// step trains the model on one batch: forward, loss, backward and an
// optimizer step. It returns the model's output and the batch's mean loss,
// both on the device.
func (t *Trainer) step(x, y backend.Tensor, params []*Param) (pred, loss backend.Tensor) {
	pred = t.Model.Forward(x, true)
	loss, grad := t.Loss.Loss(pred, y)
	t.Model.Backward(grad)
	t.Optimizer.Step(params)
	return pred, loss
}

// validLR reports whether a schedule's rate is usable: finite and ≥ 0.
func validLR(lr float32) bool { return lr >= 0 && !math.IsInf(float64(lr), 0) }

// checkFit returns an error unless the trainer and the data are ready for
// a Fit of epochs epochs.
func (t *Trainer) checkFit(train Dataset, epochs int, eval *Dataset) error {
	if err := t.check(true, true); err != nil {
		return err
	}
	if epochs < 1 {
		return fmt.Errorf("nn: Fit: epochs = %d, want at least 1", epochs)
	}
	if err := t.checkData("training set", train, true); err != nil {
		return err
	}
	if t.Augment != nil && t.Augmenter != nil {
		return errors.New("nn: Fit: both Augment and Augmenter are set; set one")
	}
	if t.hostAugment() != nil && train.Tokens != nil {
		return errors.New("nn: Fit: Augment transforms float samples; the training set holds Tokens")
	}
	if s, ok := t.Augmenter.(ShiftAugmenter); ok {
		if shape, _ := s.ShiftShape(); len(shape) != 3 || shapeLen(shape) != shapeLen(train.XShape) {
			return fmt.Errorf("nn: Fit: Augmenter shifts samples of shape %v; want [C H W] with the %d values of the training set's XShape %v",
				shape, shapeLen(train.XShape), train.XShape)
		}
	}
	if eval != nil {
		if err := t.checkData("evaluation set", *eval, true); err != nil {
			return err
		}
	}
	if t.EarlyStopping != nil {
		if eval == nil {
			return errors.New("nn: Fit: EarlyStopping needs an evaluation set (see Dataset.Split)")
		}
		return t.EarlyStopping.check()
	}
	return nil
}

// streamSeed returns the seed of the random stream for batch k of epoch
// epoch (k = 0: the epoch's shuffle) under seed: the SplitMix64 finaliser
// of a mix of the three, so that nearby arguments give unrelated streams.
func streamSeed(seed int64, epoch, k int) int64 {
	z := uint64(seed)
	for _, v := range [2]int{epoch, k} {
		z += uint64(v)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		z ^= z >> 31
	}
	return int64(z)
}

// Evaluate returns the mean loss and the accuracy (the fraction of samples
// whose prediction and target have their arg-max at the same index; NaN for
// a model with a single output) of the model over d, run in inference mode
// in batches of BatchSize.
func (t *Trainer) Evaluate(d Dataset) (loss, acc float64, err error) {
	defer outOfMemory("Evaluate", &err)
	if err := t.check(true, false); err != nil {
		return 0, 0, err
	}
	if err := t.checkData("evaluation set", d, true); err != nil {
		return 0, 0, err
	}
	b := t.Model.Backend()
	n, bs := d.Len(), t.evalBatchSize()
	ld := newInferenceLoader(b, d, min(bs, n), true)
	defer ld.free()
	lossSum, correct := b.Alloc(1), b.Alloc(1)
	defer b.Free(lossSum)
	defer b.Free(correct)
	b.Fill(lossSum, 0)
	b.Fill(correct, 0)
	for i := 0; i < n; i += bs {
		j := min(i+bs, n)
		x, y := ld.seq(i, j)
		pred := t.Model.Forward(x, false)
		l, _ := t.Loss.Loss(pred, y)
		b.Axpy(float32(j-i), l, lossSum)
		countCorrect(b, t.Loss, pred, y, correct)
	}
	if err := b.Sync(); err != nil {
		return 0, 0, fmt.Errorf("nn: Evaluate: %w", err)
	}
	host := make([]float32, 1)
	return scalar(b, lossSum, host) / float64(n), t.accuracy(scalar(b, correct, host), n), nil
}

// Predict returns the model's outputs for the samples of d (d.Y is not
// used): Len rows of prod(OutShape) values, computed in inference mode in
// batches of BatchSize.
func (t *Trainer) Predict(d Dataset) (out []float32, err error) {
	defer outOfMemory("Predict", &err)
	if err := t.check(false, false); err != nil {
		return nil, err
	}
	if err := t.checkData("prediction set", d, false); err != nil {
		return nil, err
	}
	b := t.Model.Backend()
	n, bs := d.Len(), t.evalBatchSize()
	outLen := shapeLen(t.Model.OutShape())
	ld := newInferenceLoader(b, d, min(bs, n), false)
	defer ld.free()
	out = make([]float32, n*outLen)
	for i := 0; i < n; i += bs {
		j := min(i+bs, n)
		x, _ := ld.seq(i, j)
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

// evalBatchSize returns EvalBatchSize, or batchSize() when it is 0.
func (t *Trainer) evalBatchSize() int {
	if t.EvalBatchSize == 0 {
		return t.batchSize()
	}
	return t.EvalBatchSize
}

// newInferenceLoader returns a loader of consecutive samples of d (with
// targets when withY is set) in batches of at most maxBatch: from a copy
// of d on the device when the backend allows (deviceLoader), else through
// host staging (loader).
func newInferenceLoader(b backend.Backend, d Dataset, maxBatch int, withY bool) seqLoader {
	if dl := newDeviceLoader(b, d, withY); dl != nil {
		return dl
	}
	return newLoader(b, d, maxBatch, withY)
}

// check returns an error unless the trainer has a model, a valid batch
// size, a loss when withLoss is set and an optimizer when withOptimizer is.
func (t *Trainer) check(withLoss, withOptimizer bool) error {
	switch {
	case t.Model == nil:
		return errors.New("nn: Trainer has no Model")
	case t.BatchSize < 0:
		return fmt.Errorf("nn: Trainer.BatchSize = %d, want at least 1 (or 0 for %d)", t.BatchSize, DefaultBatchSize)
	case t.EvalBatchSize < 0:
		return fmt.Errorf("nn: Trainer.EvalBatchSize = %d, want at least 1 (or 0 for BatchSize)", t.EvalBatchSize)
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

// accuracy returns correct/n (correct/(n·T) with a PerStep loss, which
// counts every step), or NaN when the model has a single output.
func (t *Trainer) accuracy(correct float64, n int) float64 {
	if shapeLen(t.Model.OutShape()) == 1 {
		return math.NaN()
	}
	n *= positions(t.Loss, t.Model.OutShape())
	return correct / float64(n)
}

// scalar downloads the single value of t through host, a slice of one
// element.
func scalar(b backend.Backend, t backend.Tensor, host []float32) float64 {
	b.Download(host, t)
	return float64(host[0])
}
