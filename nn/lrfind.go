package nn

import (
	"fmt"
	"math"
	"math/rand"
)

// LRFinder configures the learning-rate range test (Smith, "Cyclical
// Learning Rates for Training Neural Networks", 2017): train from the
// current weights for up to Steps batches with the rate growing
// geometrically from Min to Max,
//
//	lr_i = Min·(Max/Min)^(i/(Steps−1)),  i = 0 … Steps−1,
//
// recording each batch's loss and its exponential moving average with bias
// correction,
//
//	a_i = β·a_{i−1} + (1−β)·loss_i,  smooth_i = a_i/(1 − β^(i+1)),  a_{−1} = 0,
//
// and stopping early once smooth_i exceeds Diverge times its least value
// so far (or is not finite). The zero value gives the defaults.
type LRFinder struct {
	Min, Max  float32 // first and last rate; 0 means 1e-5 and 10
	Steps     int     // batches at most; 0 means 100
	Smoothing float64 // β of the moving average, in [0, 1); 0 means 0.98 (use a tiny value for none)
	Diverge   float64 // stop when the smoothed loss exceeds this multiple of its minimum; 0 means 4
}

// LRCurve is the result of a range test.
type LRCurve struct {
	LR       []float32 // the rate of each step taken
	Loss     []float64 // the loss of the batch trained at that rate
	Smoothed []float64 // the moving average of Loss (see LRFinder)
	// MinLR is the rate at the least smoothed loss, and Suggested is
	// MinLR/10: a rate an order of magnitude below the point where the
	// loss stops falling, which is still in its steep descent.
	MinLR, Suggested float32
}

// withDefaults returns f with its zero fields set to the defaults.
func (f LRFinder) withDefaults() LRFinder {
	if f.Min == 0 {
		f.Min = 1e-5
	}
	if f.Max == 0 {
		f.Max = 10
	}
	if f.Steps == 0 {
		f.Steps = 100
	}
	if f.Smoothing == 0 {
		f.Smoothing = 0.98
	}
	if f.Diverge == 0 {
		f.Diverge = 4
	}
	return f
}

// check returns an error unless f (with defaults) is a valid range test.
func (f LRFinder) check() error {
	switch {
	case !(f.Min > 0 && f.Max > f.Min) || math.IsInf(float64(f.Max), 0):
		return fmt.Errorf("nn: FindLR: rates from %g to %g, want 0 < Min < Max, finite", f.Min, f.Max)
	case f.Steps < 2:
		return fmt.Errorf("nn: FindLR: Steps = %d, want at least 2", f.Steps)
	case !(f.Smoothing >= 0 && f.Smoothing < 1):
		return fmt.Errorf("nn: FindLR: Smoothing = %g, want a value in [0, 1)", f.Smoothing)
	case !(f.Diverge > 1) || math.IsInf(f.Diverge, 0):
		return fmt.Errorf("nn: FindLR: Diverge = %g, want a finite factor above 1", f.Diverge)
	}
	return nil
}

// FindLR runs the range test f on train with the trainer's model, loss,
// optimizer, batch size and augmentation, visiting the samples in shuffled
// passes drawn from Seed (streams that Fit does not use), and returns the
// curve. Afterwards it puts back everything the test changed: the
// parameters, the buffers, the Dropout and BatchNorm counters, the
// optimizer's state (OptState) and its learning rate, so the trainer is
// ready to Fit as if FindLR had not run.
func (t *Trainer) FindLR(train Dataset, f LRFinder) (LRCurve, error) {
	f = f.withDefaults()
	if err := f.check(); err != nil {
		return LRCurve{}, err
	}
	if err := t.check(true, true); err != nil {
		return LRCurve{}, err
	}
	if err := t.checkData("training set", train, true); err != nil {
		return LRCurve{}, err
	}
	b := t.Model.Backend()
	n, bs := train.Len(), t.batchSize()
	batches := (n + bs - 1) / bs
	ld := newLoader(b, train, min(bs, n), true)
	defer ld.free()
	rng := rand.New(rand.NewSource(0))
	if augment := t.hostAugment(); augment != nil {
		ld.augment = func(x []float32) { augment(x, rng) }
	}
	saved := newSnapshot(t.Model, t.Optimizer)
	defer saved.free()
	defer t.Optimizer.SetLR(t.Optimizer.LR())
	defer saved.restore()

	params := t.Model.Params()
	perm := make([]int, n)
	host := make([]float32, 1)
	var c LRCurve
	avg, best := 0.0, math.Inf(1)
	for i := range f.Steps {
		pass, k := i/batches+1, i%batches
		if k == 0 {
			for j := range perm {
				perm[j] = j
			}
			rng.Seed(streamSeed(t.Seed, -pass, 0))
			rng.Shuffle(n, func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		}
		lr := float32(float64(f.Min) * math.Pow(float64(f.Max)/float64(f.Min), float64(i)/float64(f.Steps-1)))
		t.Optimizer.SetLR(lr)
		rng.Seed(streamSeed(t.Seed, -pass, k+1))
		x, y := ld.load(perm, k*bs, min((k+1)*bs, n))
		_, loss := t.step(x, y, params)
		l := scalar(b, loss, host)
		if err := b.Sync(); err != nil {
			return LRCurve{}, fmt.Errorf("nn: FindLR: %w", err)
		}
		avg = f.Smoothing*avg + (1-f.Smoothing)*l
		smooth := avg / (1 - math.Pow(f.Smoothing, float64(i+1)))
		c.LR = append(c.LR, lr)
		c.Loss = append(c.Loss, l)
		c.Smoothed = append(c.Smoothed, smooth)
		if smooth < best {
			best, c.MinLR = smooth, lr
		}
		if !(smooth <= f.Diverge*best) {
			break
		}
	}
	if c.MinLR == 0 {
		return c, fmt.Errorf("nn: FindLR: the loss is %g at the first rate %g; lower LRFinder.Min or check the data", c.Loss[0], f.Min)
	}
	c.Suggested = c.MinLR / 10
	return c, nil
}
