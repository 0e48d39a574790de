package nn_test

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// blobs returns n samples of dim features in classes Gaussian clusters,
// with one-hot targets.
func blobs(n, dim, classes int, seed int64) nn.Dataset {
	rng := rand.New(rand.NewSource(seed))
	centers := randSlice(rng, classes*dim, -2, 2)
	x := make([]float32, n*dim)
	labels := make([]int, n)
	for i := range n {
		c := rng.Intn(classes)
		labels[i] = c
		for j := range dim {
			x[i*dim+j] = centers[c*dim+j] + float32(0.5*rng.NormFloat64())
		}
	}
	return nn.Dataset{X: x, XShape: []int{dim}, Y: nn.OneHot(labels, classes), YShape: []int{classes}}
}

// newTrainer returns a trainer of a small MLP for blobs(·, 4, 3, ·) data.
func newTrainer(t *testing.T, b backend.Backend, modelSeed, shuffleSeed int64) *nn.Trainer {
	t.Helper()
	m, err := nn.NewSequential(b, []int{4}, modelSeed, &nn.Dense{Units: 8}, nn.Tanh(), &nn.Dense{Units: 3})
	if err != nil {
		t.Fatal(err)
	}
	return &nn.Trainer{
		Model:     m,
		Loss:      nn.NewSoftmaxCrossEntropy(b),
		Optimizer: nn.NewSGD(b, backend.SGD{LR: 0.1, Momentum: 0.9}),
		BatchSize: 4,
		Seed:      shuffleSeed,
	}
}

// params returns the values of every parameter of m, concatenated.
func params(b backend.Backend, m nn.Model) []float32 {
	var v []float32
	for _, p := range m.Params() {
		v = append(v, download(b, p.Value)...)
	}
	return v
}

func TestFitPartialBatch(t *testing.T) {
	b := newCPU(t)
	tr := newTrainer(t, b, 1, 2)
	var got []nn.Progress
	tr.OnBatch = func(p nn.Progress) { got = append(got, p) }
	stats, err := tr.Fit(blobs(10, 4, 3, 3), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d OnBatch calls, want 3 per epoch for 10 samples in batches of 4", len(got))
	}
	for i, p := range got {
		epoch, batch := i/3+1, i%3+1
		if p.Epoch != epoch || p.Batch != batch || p.Batches != 3 || p.Samples != min(4*batch, 10) || p.Total != 10 {
			t.Errorf("progress %d: %+v, want epoch %d, batch %d of 3, %d of 10 samples", i, p, epoch, batch, min(4*batch, 10))
		}
	}
	for i, s := range stats {
		if s.Epoch != i+1 || !math.IsNaN(s.TestLoss) || !math.IsNaN(s.TestAcc) || s.Seconds <= 0 || s.ImagesPerSec <= 0 {
			t.Errorf("epoch stats %+v", s)
		}
		// The last batch's progress downloads the loss: it is the epoch's.
		if l := got[3*i+2].Loss; math.Abs(l-s.TrainLoss) > 1e-12 {
			t.Errorf("epoch %d: last progress loss %v, epoch train loss %v", i+1, l, s.TrainLoss)
		}
	}
}

func TestDefaultBatchSize(t *testing.T) {
	b := newCPU(t)
	tr := newTrainer(t, b, 1, 2)
	tr.BatchSize = 0
	var batches int
	tr.OnBatch = func(p nn.Progress) { batches = p.Batches }
	if _, err := tr.Fit(blobs(nn.DefaultBatchSize+1, 4, 3, 3), 1, nil); err != nil {
		t.Fatal(err)
	}
	if batches != 2 {
		t.Errorf("%d batches of %d samples with BatchSize 0, want 2 batches of DefaultBatchSize (%d)", batches, nn.DefaultBatchSize+1, nn.DefaultBatchSize)
	}
}

// TestFitAccumulators checks the epoch's loss and accuracy against
// Evaluate on the training set, with a learning rate of 0 so that the model
// does not change during the epoch: the sums must weight the last partial
// batch by its size.
func TestFitAccumulators(t *testing.T) {
	b := newCPU(t)
	tr := newTrainer(t, b, 4, 5)
	tr.Optimizer = nn.NewSGD(b, backend.SGD{LR: 0})
	tr.BatchSize = 7
	data := blobs(30, 4, 3, 6)
	stats, err := tr.Fit(data, 1, &data)
	if err != nil {
		t.Fatal(err)
	}
	s := stats[0]
	if math.Abs(s.TrainLoss-s.TestLoss) > 1e-6 || s.TrainAcc != s.TestAcc {
		t.Errorf("train loss %v acc %v, evaluation of the same data %v %v", s.TrainLoss, s.TrainAcc, s.TestLoss, s.TestAcc)
	}
	if s.TrainAcc <= 0 || s.TrainAcc >= 1 || s.TrainAcc*30 != math.Round(s.TrainAcc*30) {
		t.Errorf("untrained accuracy %v, want a fraction k/30 strictly between 0 and 1 for this seed", s.TrainAcc)
	}
}

func TestFitDeterministic(t *testing.T) {
	data := blobs(37, 4, 3, 7)
	fit := func(shuffleSeed int64) []float32 {
		b := newCPU(t)
		tr := newTrainer(t, b, 8, shuffleSeed)
		if _, err := tr.Fit(data, 3, nil); err != nil {
			t.Fatal(err)
		}
		return params(b, tr.Model)
	}
	a, again, other := fit(1), fit(1), fit(2)
	if !slices.Equal(a, again) {
		t.Error("two fits with the same seeds gave different parameters")
	}
	if slices.Equal(a, other) {
		t.Error("fits with different shuffling seeds gave the same parameters")
	}
}

// recorder is an identity layer that records the samples it sees in
// training, so that a test can observe the order of a Fit's batches.
type recorder struct {
	b    backend.Backend
	in   []int
	seen []float32
}

func (r *recorder) Build(b backend.Backend, in []int, _ *rand.Rand) ([]int, error) {
	r.b, r.in = b, in
	return in, nil
}

func (r *recorder) Forward(x backend.Tensor, train bool) backend.Tensor {
	if train {
		r.seen = append(r.seen, download(r.b, x)...)
	}
	return x
}

func (r *recorder) Backward(dy backend.Tensor) backend.Tensor { return dy }
func (r *recorder) Params() []*nn.Param                       { return nil }
func (r *recorder) String() string                            { return "recorder" }

func TestFitShuffles(t *testing.T) {
	const n, epochs = 10, 3
	data := nn.Dataset{X: make([]float32, n), XShape: []int{1}, Y: make([]float32, n), YShape: []int{1}}
	for i := range n {
		data.X[i] = float32(i)
	}
	order := func(seed int64) [][]float32 {
		b := newCPU(t)
		rec := &recorder{}
		m, err := nn.NewSequential(b, []int{1}, 1, rec)
		if err != nil {
			t.Fatal(err)
		}
		tr := &nn.Trainer{Model: m, Loss: nn.NewMSE(b), Optimizer: nn.NewSGD(b, backend.SGD{LR: 0.1}), BatchSize: 4, Seed: seed}
		if _, err := tr.Fit(data, epochs, nil); err != nil {
			t.Fatal(err)
		}
		var perEpoch [][]float32
		for e := range epochs {
			perEpoch = append(perEpoch, rec.seen[e*n:(e+1)*n])
		}
		return perEpoch
	}
	a := order(3)
	for e, o := range a {
		sorted := slices.Sorted(slices.Values(o))
		if !slices.Equal(sorted, data.X) {
			t.Fatalf("epoch %d visited %v, want every sample once", e+1, o)
		}
	}
	if slices.Equal(a[0], a[1]) || slices.Equal(a[1], a[2]) {
		t.Errorf("the same order in consecutive epochs: %v", a)
	}
	if b := order(3); !slices.EqualFunc(a, b, slices.Equal) {
		t.Errorf("same seed, different orders: %v and %v", a, b)
	}
	if c := order(4); slices.EqualFunc(a, c, slices.Equal) {
		t.Errorf("different seeds, same orders: %v", a)
	}
}

func TestEvaluatePredict(t *testing.T) {
	b := newCPU(t)
	tr := newTrainer(t, b, 9, 10)
	tr.BatchSize = 3 // 10 samples: a partial last batch
	data := blobs(10, 4, 3, 11)
	if _, err := tr.Fit(data, 2, nil); err != nil {
		t.Fatal(err)
	}
	pred, err := tr.Predict(nn.Dataset{X: data.X, XShape: data.XShape})
	if err != nil {
		t.Fatal(err)
	}
	whole := download(b, tr.Model.Forward(upload(b, data.X, 10, 4), false))
	want := make([]float64, len(whole))
	for i, v := range whole {
		want[i] = float64(v)
	}
	assertClose(t, "Predict", pred, want, 1e-6, 1e-6)

	wantLoss, correct := 0.0, 0
	for r := range 10 {
		row, target := want[r*3:(r+1)*3], data.Y[r*3:(r+1)*3]
		mx := slices.Max(row)
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(v - mx)
		}
		for k, v := range row {
			wantLoss -= float64(target[k]) * (v - mx - math.Log(sum)) / 10
		}
		if slices.Index(row, mx) == slices.Index(target, 1) {
			correct++
		}
	}
	loss, acc, err := tr.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(loss-wantLoss) > 1e-5 || acc != float64(correct)/10 {
		t.Errorf("Evaluate = %v, %v, want %v, %v", loss, acc, wantLoss, float64(correct)/10)
	}
}

func TestFitErrors(t *testing.T) {
	b := newCPU(t)
	good := blobs(8, 4, 3, 12)
	bad := func(f func(*nn.Dataset)) nn.Dataset {
		d := good
		d.X, d.Y = slices.Clone(good.X), slices.Clone(good.Y)
		f(&d)
		return d
	}
	for _, tc := range []struct {
		name   string
		setup  func(*nn.Trainer)
		data   nn.Dataset
		epochs int
		eval   *nn.Dataset
		want   string
	}{
		{"ragged X", nil, bad(func(d *nn.Dataset) { d.X = d.X[:30] }), 1, nil, "training set: len(X) = 30 is not a multiple of the sample size 4"},
		{"XShape", nil, bad(func(d *nn.Dataset) { d.XShape = []int{2, 2} }), 1, nil, "training set: XShape [2 2] does not match the model's input shape [4]"},
		{"YShape", nil, bad(func(d *nn.Dataset) { d.YShape = []int{4}; d.Y = make([]float32, 32) }), 1, nil, "training set: YShape [4] does not match the model's output shape [3]"},
		{"short Y", nil, bad(func(d *nn.Dataset) { d.Y = d.Y[:21] }), 1, nil, "training set: len(Y) = 21, want 24"},
		{"empty", nil, bad(func(d *nn.Dataset) { d.X, d.Y = nil, nil }), 1, nil, "training set: no samples"},
		{"batch size", func(tr *nn.Trainer) { tr.BatchSize = -1 }, good, 1, nil, "BatchSize = -1, want at least 1"},
		{"epochs", nil, good, 0, nil, "epochs = 0, want at least 1"},
		{"schedule", func(tr *nn.Trainer) { tr.Schedule = nn.StepDecay{Gamma: 0.5} }, good, 1, nil, "Schedule step decay ×0.5 every 0 epochs gives learning rate NaN for epoch 1"},
		{"start", func(tr *nn.Trainer) { tr.Start = nn.Position{Epoch: 1, Batch: 2} }, good, 2, nil, "Start {Epoch:1 Batch:2} is not inside a run of 2 epochs of 2 batches"},
		{"start after end", func(tr *nn.Trainer) { tr.Start = nn.Position{Epoch: 2} }, good, 2, nil, "is not inside a run of 2 epochs"},
		{"early stopping without eval", func(tr *nn.Trainer) { tr.EarlyStopping = &nn.EarlyStopping{Patience: 1} }, good, 1, nil, "EarlyStopping needs an evaluation set"},
		{"patience", func(tr *nn.Trainer) { tr.EarlyStopping = &nn.EarlyStopping{} }, good, 1, &good, "Patience = 0, want at least 1"},
		{"min delta", func(tr *nn.Trainer) { tr.EarlyStopping = &nn.EarlyStopping{Patience: 1, MinDelta: -1} }, good, 1, &good, "MinDelta = -1"},
		{"no model", func(tr *nn.Trainer) { tr.Model = nil }, good, 1, nil, "no Model"},
		{"no loss", func(tr *nn.Trainer) { tr.Loss = nil }, good, 1, nil, "no Loss"},
		{"no optimizer", func(tr *nn.Trainer) { tr.Optimizer = nil }, good, 1, nil, "no Optimizer"},
		{"eval XShape", nil, good, 1, &nn.Dataset{X: make([]float32, 10), XShape: []int{5}, Y: make([]float32, 6), YShape: []int{3}},
			"evaluation set: XShape [5] does not match the model's input shape [4]"},
	} {
		tr := newTrainer(t, b, 1, 1)
		if tc.setup != nil {
			tc.setup(tr)
		}
		stats, err := tr.Fit(tc.data, tc.epochs, tc.eval)
		if err == nil || !strings.Contains(err.Error(), tc.want) || stats != nil {
			t.Errorf("%s: Fit: %v (%d stats), want an error containing %q", tc.name, err, len(stats), tc.want)
		}
	}

	tr := newTrainer(t, b, 1, 1)
	if _, _, err := tr.Evaluate(bad(func(d *nn.Dataset) { d.Y = nil })); err == nil || !strings.Contains(err.Error(), "evaluation set: len(Y) = 0") {
		t.Errorf("Evaluate without targets: %v", err)
	}
	if _, err := tr.Predict(nn.Dataset{X: make([]float32, 6), XShape: []int{3}}); err == nil || !strings.Contains(err.Error(), "prediction set: XShape [3] does not match") {
		t.Errorf("Predict with the wrong sample shape: %v", err)
	}
	tr.Loss = nil
	if _, _, err := tr.Evaluate(good); err == nil || !strings.Contains(err.Error(), "no Loss") {
		t.Errorf("Evaluate without a loss: %v", err)
	}
	if _, err := tr.Predict(good); err != nil {
		t.Errorf("Predict needs no loss, got %v", err)
	}
}

func TestFitOnEpochAndSchedule(t *testing.T) {
	b := newCPU(t)
	tr := newTrainer(t, b, 1, 1)
	tr.Schedule = nn.Exponential{Gamma: 0.5}
	stop := errors.New("stop")
	var lrs []float32
	tr.OnEpoch = func(s nn.EpochStats) error {
		lrs = append(lrs, tr.Optimizer.LR())
		if s.Epoch == 3 {
			return stop
		}
		return nil
	}
	stats, err := tr.Fit(blobs(8, 4, 3, 13), 5, nil)
	if !errors.Is(err, stop) || len(stats) != 3 {
		t.Fatalf("Fit: %d stats, error %v; want 3 and the error of OnEpoch", len(stats), err)
	}
	if want := []float32{0.1, 0.05, 0.025}; !slices.Equal(lrs, want) {
		t.Errorf("learning rates %v, want %v", lrs, want)
	}
}

// TestFitBatchSchedule checks that a BatchSchedule sets the rate before
// every step, counting steps over the whole run, also when the run is
// resumed in the middle of an epoch.
func TestFitBatchSchedule(t *testing.T) {
	b := newCPU(t)
	data := blobs(10, 4, 3, 13) // 3 batches of 4, 4, 2
	sched := nn.OneCycle{}
	var want []float32
	for s := range 6 {
		want = append(want, sched.StepLR(0.1, s, 6))
	}
	tr := newTrainer(t, b, 1, 1)
	tr.Schedule = sched
	var lrs []float32
	tr.OnBatch = func(nn.Progress) { lrs = append(lrs, tr.Optimizer.LR()) }
	if _, err := tr.Fit(data, 2, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lrs, want) {
		t.Errorf("rates per step %v, want %v", lrs, want)
	}

	lrs = nil
	tr = newTrainer(t, b, 1, 1)
	tr.Schedule, tr.BaseLR, tr.Start = sched, 0.1, nn.Position{Epoch: 1, Batch: 1}
	tr.OnBatch = func(nn.Progress) { lrs = append(lrs, tr.Optimizer.LR()) }
	if _, err := tr.Fit(data, 2, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lrs, want[4:]) {
		t.Errorf("resumed at {1 1}: rates per step %v, want %v", lrs, want[4:])
	}

	tr = newTrainer(t, b, 1, 1)
	tr.Schedule = sched
	if _, err := tr.Fit(blobs(4, 4, 3, 13), 1, nil); err == nil || !strings.Contains(err.Error(), "gives learning rate NaN for step 0 of 1") {
		t.Errorf("one-step one-cycle run: error %v, want the schedule's NaN reported", err)
	}
}

// failingBackend is a CPU backend whose Sync reports a device failure.
type failingBackend struct{ backend.Backend }

func (failingBackend) Sync() error { return errors.New("device lost") }

func TestFitSyncError(t *testing.T) {
	b := failingBackend{newCPU(t)}
	tr := newTrainer(t, b, 1, 1)
	data := blobs(8, 4, 3, 14)
	if _, err := tr.Fit(data, 2, nil); err == nil || !strings.Contains(err.Error(), "epoch 1: device lost") {
		t.Errorf("Fit: %v, want the Sync error of epoch 1", err)
	}
	if _, _, err := tr.Evaluate(data); err == nil || !strings.Contains(err.Error(), "device lost") {
		t.Errorf("Evaluate: %v, want the Sync error", err)
	}
	if _, err := tr.Predict(data); err == nil || !strings.Contains(err.Error(), "device lost") {
		t.Errorf("Predict: %v, want the Sync error", err)
	}
}

// countingBackend counts the tensors allocated and freed on a backend.
type countingBackend struct {
	backend.Backend
	allocs, frees int
}

func (c *countingBackend) Alloc(shape ...int) backend.Tensor {
	c.allocs++
	return c.Backend.Alloc(shape...)
}

func (c *countingBackend) Free(t backend.Tensor) {
	c.frees++
	c.Backend.Free(t)
}

// TestFitSteadyState checks that after the first epoch, training allocates
// no tensors, and that evaluation frees what it allocates.
func TestFitSteadyState(t *testing.T) {
	b := &countingBackend{Backend: newCPU(t)}
	tr := newTrainer(t, b, 1, 1)
	tr.Optimizer = nn.NewAdam(b, nn.DefaultAdam(0.01))
	data := blobs(10, 4, 3, 15)
	var allocs, live []int
	tr.OnEpoch = func(nn.EpochStats) error {
		allocs = append(allocs, b.allocs)
		live = append(live, b.allocs-b.frees)
		return nil
	}
	if _, err := tr.Fit(data, 3, nil); err != nil {
		t.Fatal(err)
	}
	if allocs[1] != allocs[0] || allocs[2] != allocs[0] {
		t.Errorf("tensors allocated by the end of each epoch: %v, want no growth after the first", allocs)
	}
	allocs, live = nil, nil
	if _, err := tr.Fit(data, 3, &data); err != nil {
		t.Fatal(err)
	}
	if live[1] != live[0] || live[2] != live[0] {
		t.Errorf("live tensors at the end of each epoch with evaluation: %v, want no growth", live)
	}
}

// resumable returns a trainer whose run uses every random stream: a
// Dropout layer, augmentation noise and shuffling, with Adam and a
// schedule.
func resumable(t *testing.T, b backend.Backend) *nn.Trainer {
	t.Helper()
	m, err := nn.NewSequential(b, []int{4}, 7, &nn.Dense{Units: 16}, nn.Tanh(), &nn.Dropout{P: 0.3}, &nn.Dense{Units: 3})
	if err != nil {
		t.Fatal(err)
	}
	return &nn.Trainer{
		Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.01)),
		BatchSize: 5, Seed: 3, Schedule: nn.Exponential{Gamma: 0.7},
		Augment: func(x []float32, rng *rand.Rand) {
			for i := range x {
				x[i] += float32(0.1 * rng.NormFloat64())
			}
		},
	}
}

// TestResumeInMemory checks that 4 epochs in one Fit, 2 + 2 in two Fits
// and a Fit interrupted in the middle of epoch 3 then resumed all give the
// same weights, bit for bit.
func TestResumeInMemory(t *testing.T) {
	data := blobs(23, 4, 3, 30) // 5 batches, the last of 3 samples
	b := newCPU(t)
	whole := resumable(t, b)
	if _, err := whole.Fit(data, 4, nil); err != nil {
		t.Fatal(err)
	}
	want := params(b, whole.Model)

	halves := resumable(t, b)
	if _, err := halves.Fit(data, 2, nil); err != nil {
		t.Fatal(err)
	}
	halves.Start = nn.Position{Epoch: 2}
	stats, err := halves.Fit(data, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[0].Epoch != 3 || stats[1].Epoch != 4 {
		t.Errorf("resumed Fit reported %+v, want epochs 3 and 4", stats)
	}
	if got := params(b, halves.Model); !slices.Equal(got, want) {
		t.Error("2 + 2 epochs differ from 4")
	}

	cut := resumable(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	cut.OnBatch = func(p nn.Progress) {
		if p.Epoch == 3 && p.Batch == 2 {
			cancel()
		}
	}
	stats, pos, err := cut.FitContext(ctx, data, 4, nil)
	if !errors.Is(err, context.Canceled) || len(stats) != 2 || pos != (nn.Position{Epoch: 2, Batch: 2}) {
		t.Fatalf("cancelled Fit: %d epochs, position %+v, error %v; want 2 epochs, {2 2} and context.Canceled", len(stats), pos, err)
	}
	cut.OnBatch, cut.Start = nil, pos
	stats, pos, err = cut.FitContext(context.Background(), data, 4, nil)
	if err != nil || len(stats) != 2 || pos != (nn.Position{Epoch: 4}) {
		t.Fatalf("resumed Fit: %d epochs, position %+v, error %v", len(stats), pos, err)
	}
	if got := params(b, cut.Model); !slices.Equal(got, want) {
		t.Error("a Fit cut in epoch 3 and resumed differs from 4 epochs")
	}
	if lr, want := cut.Optimizer.LR(), float32(0.01*0.7*0.7*0.7); math.Abs(float64(lr-want)) > 1e-9 {
		t.Errorf("learning rate in epoch 4: %g, want %g", lr, want)
	}
}

// TestResumeFromCheckpoint checks that a run cut in the middle of epoch 3,
// saved with SaveCheckpoint and continued by a new model and optimizer
// loaded with LoadCheckpoint gives the weights of 4 epochs in one Fit, bit
// for bit.
func TestResumeFromCheckpoint(t *testing.T) {
	data := blobs(23, 4, 3, 31)
	b := newCPU(t)
	whole := resumable(t, b)
	if _, err := whole.Fit(data, 4, nil); err != nil {
		t.Fatal(err)
	}
	want := params(b, whole.Model)

	cut := resumable(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	cut.OnBatch = func(p nn.Progress) {
		if p.Epoch == 3 && p.Batch == 3 {
			cancel()
		}
	}
	_, pos, err := cut.FitContext(ctx, data, 4, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	ck := nn.Checkpoint{Epoch: pos.Epoch, Batch: pos.Batch, Seed: cut.Seed, LR: cut.Optimizer.LR()}
	if err := nn.SaveCheckpoint(path, cut.Model, cut.Optimizer, ck); err != nil {
		t.Fatal(err)
	}

	resumed := resumable(t, b)
	got, err := nn.LoadCheckpoint(path, resumed.Model, resumed.Optimizer)
	if err != nil {
		t.Fatal(err)
	}
	resumed.Start, resumed.BaseLR = nn.Position{Epoch: got.Epoch, Batch: got.Batch}, 0.01
	if _, err := resumed.Fit(data, 4, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(params(b, resumed.Model), want) {
		t.Error("a run resumed from a checkpoint in epoch 3 differs from 4 epochs in one Fit")
	}
}

// TestStepAllocs counts the host allocations of a steady-state training
// step (Forward, Loss, Backward, optimizer Step) of a model with every
// kind of layer state (convolution, BatchNorm, Dropout, pooling) and Adam.
func TestStepAllocs(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{1, 8, 8}, 1,
		&nn.Conv2D{Filters: 4, KH: 3, KW: 3}, &nn.BatchNorm{}, nn.ReLU(),
		&nn.MaxPool2D{Size: 2}, &nn.Flatten{}, &nn.Dropout{P: 0.2}, &nn.Dense{Units: 3})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	x := upload(b, randSlice(rng, 4*64, -1, 1), 4, 1, 8, 8)
	y := upload(b, nn.OneHot([]int{0, 2, 1, 2}, 3), 4, 3)
	loss, opt, ps := nn.NewSoftmaxCrossEntropy(b), nn.NewAdam(b, nn.DefaultAdam(1e-3)), m.Params()
	step := func() {
		_, g := loss.Loss(m.Forward(x, true), y)
		m.Backward(g)
		opt.Step(ps)
	}
	step() // the first step allocates the buffers
	allocs := testing.AllocsPerRun(20, step)
	if allocs != 0 {
		t.Skipf("a training step makes %v host allocations (nn makes none; the backend's kernels do)", allocs)
	}
}
