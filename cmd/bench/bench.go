package main

import (
	"fmt"
	"io"
	"math/rand"
	"slices"
	"time"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

// seed seeds the random operands and the synthetic training data.
const seed = 1

// benchBackend runs the parts that c chooses on b, the backend opened as
// name, and closes it. Training opens fresh instances of name, one per
// model and batch size, so that each model's buffers are released with
// its instance. Each result is logged to log as it comes; on a failure the
// results so far are returned with the error.
func benchBackend(b backend.Backend, name string, c config, log io.Writer) ([]result, error) {
	var res []result
	add := func(r result) {
		res = append(res, r)
		fmt.Fprintf(log, "bench: %s\n", summary(r))
	}
	err := benchKernels(b, c, add)
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil || !c.train {
		return res, err
	}
	for _, n := range c.batches {
		for _, m := range c.models {
			r, err := trainResult(name, m, n, c)
			if err != nil {
				return res, fmt.Errorf("training %s at batch %d: %w", m, n, err)
			}
			add(r)
		}
	}
	return res, nil
}

// benchKernels runs the ops and matmul parts on b as c chooses, passing
// each result to add.
func benchKernels(b backend.Backend, c config, add func(result)) error {
	t := timing{warmup: c.warmup, minTime: c.minTime, runs: c.runs, now: time.Now}
	if c.ops {
		for _, n := range c.batches {
			for _, ob := range append(cnnOps(n), mathOps(b, n)...) {
				r, err := opResult(b, partOps, n, ob, t)
				if err != nil {
					return err
				}
				add(r)
			}
		}
	}
	if !c.matmul {
		return nil
	}
	for _, p := range c.products() {
		r, err := opResult(b, partMatMul, 0, p.bench(), t)
		if err != nil {
			return err
		}
		if b.Name() != "cpu" {
			add(r)
			continue
		}
		s, err := gonumSgemm(p, t)
		if err != nil {
			return err
		}
		g := result{Part: partMatMul, Op: p.name, Backend: "gonum", Shape: r.Shape,
			MedianNs: s.median.Nanoseconds(), MinNs: s.min.Nanoseconds(), GFlops: perSecond(p.flops(), s.median) / 1e9}
		if g.GFlops > 0 {
			r.VsGonum = r.GFlops / g.GFlops
		}
		add(r)
		add(g)
	}
	return nil
}

// summary describes a result in one line for the progress log.
func summary(r result) string {
	s := fmt.Sprintf("%s %s %s", r.Backend, r.Part, r.Op)
	if r.Batch > 0 {
		s += fmt.Sprintf(" batch %d", r.Batch)
	}
	s += fmt.Sprintf(" %s: median %s", r.Shape, formatNs(r.MedianNs))
	switch {
	case r.GFlops > 0:
		s += fmt.Sprintf(", %s GFLOP/s", formatRate(r.GFlops))
	case r.GBps > 0:
		s += fmt.Sprintf(", %s GB/s", formatRate(r.GBps))
	case r.ImagesPerSec > 0:
		s += fmt.Sprintf(", %.0f images/s", r.ImagesPerSec)
	}
	return s
}

// perSecond returns amount divided by d in seconds, or 0 when d is not
// positive.
func perSecond(amount float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return amount / d.Seconds()
}

// opResult measures ob on b with operands freshly allocated and freed
// afterwards.
func opResult(b backend.Backend, part string, batch int, ob opBench, t timing) (result, error) {
	ts := newTensors(b, seed)
	defer ts.free()
	s, err := measure(ob.setup(ts), b.Sync, t)
	if err != nil {
		return result{}, fmt.Errorf("%s %s: %w", ob.name, ob.shape, err)
	}
	return result{
		Part: part, Op: ob.name, Backend: b.Name(), Batch: batch, Shape: ob.shape,
		MedianNs: s.median.Nanoseconds(), MinNs: s.min.Nanoseconds(),
		GFlops: perSecond(ob.flops, s.median) / 1e9, GBps: perSecond(ob.bytes, s.median) / 1e9,
	}, nil
}

// trainResult measures training of the named model with batch size n on a
// fresh instance of the named backend: nn.Trainer.Fit with SGD (momentum
// 0.9, lr 0.01) and softmax cross-entropy over c.steps batches of synthetic
// data, one Fit of c.runs epochs after a warm-up Fit of c.warmSteps batches,
// each epoch's training time (EpochStats.Seconds) a run. The times are per
// step; images/s is the images of a run over its median time.
func trainResult(name, model string, n int, c config) (res result, err error) {
	b, err := backend.Open(name)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := b.Close(); err == nil {
			err = cerr
		}
	}()
	layers, err := models.ByName(model)
	if err != nil {
		return res, err
	}
	m, err := nn.NewSequential(b, models.InShape, seed, layers...)
	if err != nil {
		return res, err
	}
	if _, ok := b.(backend.Viewer); ok {
		// As cmd/mnist does: the optimizer updates all parameters in one call.
		if err := m.PackParams(); err != nil {
			return res, err
		}
	}
	tr := &nn.Trainer{
		Model:     m,
		Loss:      nn.NewSoftmaxCrossEntropy(b),
		Optimizer: nn.NewSGD(b, backend.SGD{LR: 0.01, Momentum: 0.9}),
		BatchSize: n,
		Seed:      seed,
	}
	data := syntheticMNIST(max(c.steps, c.warmSteps) * n)
	if _, err := tr.Fit(data.Slice(0, c.warmSteps*n), 1, nil); err != nil {
		return res, err
	}
	// One Fit of c.runs epochs over the timed batches: each epoch's
	// training time is one run, without the data set's upload, which a Fit
	// makes once.
	timed := data.Slice(0, c.steps*n)
	epochs, err := tr.Fit(timed, c.runs, nil)
	if err != nil {
		return res, err
	}
	per := make([]time.Duration, len(epochs))
	for i, e := range epochs {
		per[i] = time.Duration(e.Seconds * float64(time.Second))
	}
	s := stats{median: median(per), min: slices.Min(per), calls: 1}
	steps := time.Duration(c.steps)
	res = result{
		Part: partTrain, Op: model, Backend: b.Name(), Batch: n,
		Shape:    fmt.Sprintf("%s, %d params", dims(models.InShape...), m.NumParams()),
		MedianNs: (s.median / steps).Nanoseconds(), MinNs: (s.min / steps).Nanoseconds(),
		ImagesPerSec: perSecond(float64(timed.Len()), s.median),
		GFlops:       perSecond(trainFlops(m, n), s.median/steps) / 1e9,
	}
	if b.Name() == "cpu" && c.peak > 0 {
		res.PeakShare = res.GFlops / c.peak
	}
	return res, nil
}

// syntheticMNIST returns count random 1×28×28 images with values uniform in
// [0, 1) and random one-hot labels of 10 classes, from a fixed seed.
func syntheticMNIST(count int) nn.Dataset {
	rng := rand.New(rand.NewSource(seed))
	x := make([]float32, count*28*28)
	for i := range x {
		x[i] = rng.Float32()
	}
	labels := make([]int, count)
	for i := range labels {
		labels[i] = rng.Intn(10)
	}
	return nn.Dataset{X: x, XShape: models.InShape, Y: nn.OneHot(labels, 10), YShape: []int{10}}
}
