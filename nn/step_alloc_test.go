package nn_test

import (
	"math"
	"math/rand"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

// raceBuild reports whether the test binary was built with -race, under
// which sync.Pool drops pooled values at random and allocation counts mean
// nothing.
func raceBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// mallocs returns the heap allocations of f, counted over every goroutine
// at GOMAXPROCS 2 (testing.AllocsPerRun would force 1, keeping the backend
// on one goroutine) with the collector off, so that it cannot empty the
// backend's task pools mid-measurement.
func mallocs(f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// mnistLike returns n random 28×28 images with one-hot targets over 10
// classes.
func mnistLike(rng *rand.Rand, n int) nn.Dataset {
	d := nn.Dataset{X: randSlice(rng, n*28*28, 0, 1), XShape: models.InShape, Y: make([]float32, n*10), YShape: []int{10}}
	for i := range n {
		d.Y[10*i+rng.Intn(10)] = 1
	}
	return d
}

// containerNet has every container and layer that keeps buffers of its
// own: Concat, Residual with and without a projection, LayerNorm,
// GlobalAvgPool2D, BatchNorm and Dropout, on [2, 8, 8].
func containerNet() []nn.Layer {
	return []nn.Layer{
		&nn.Concat{Branches: [][]nn.Layer{{&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1}}, {}}},
		&nn.LayerNorm{Dims: 3},
		&nn.Residual{Body: []nn.Layer{&nn.Conv2D{Filters: 5, KH: 3, KW: 3, Pad: 1, NoBias: true}, &nn.BatchNorm{}, nn.ReLU(), &nn.Dropout{P: 0.2}}},
		&nn.Residual{
			Body: []nn.Layer{&nn.Conv2D{Filters: 8, KH: 3, KW: 3, Stride: 2, Pad: 1}, nn.ReLU()},
			Proj: []nn.Layer{&nn.Conv2D{Filters: 8, KH: 1, KW: 1, Stride: 2}},
		},
		&nn.GlobalAvgPool2D{},
		&nn.Dense{Units: 10},
		&nn.LayerNorm{},
	}
}

// TestTrainingStepDoesNotAllocate checks that a whole training step
// (forward, softmax cross-entropy, backward and an Adam step, through nn)
// of models.CNN at batch 64 and of containerNet at batch 16 on the CPU
// backend makes no heap allocation once warmed up, at GOMAXPROCS 2 so
// that the backend's ops run split over goroutines.
func TestTrainingStepDoesNotAllocate(t *testing.T) {
	if raceBuild() {
		t.Skip("allocation counts mean nothing under the race detector, whose runtime allocates too")
	}
	for _, c := range []struct {
		name   string
		in     []int
		batch  int
		layers func() []nn.Layer
	}{
		{"cnn", models.InShape, 64, models.CNN},
		{"containers", []int{2, 8, 8}, 16, containerNet},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newCPU(t)
			m, err := nn.NewSequential(b, c.in, 1, c.layers()...)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(1))
			x := upload(b, randSlice(rng, c.batch*shapeLen(c.in), 0, 1), append([]int{c.batch}, c.in...)...)
			y := upload(b, targets(rng, "onehot", c.batch, 10), c.batch, 10)
			loss, opt := nn.NewSoftmaxCrossEntropy(b), nn.NewAdam(b, nn.DefaultAdam(1e-3))
			params := m.Params()
			step := func() {
				pred := m.Forward(x, true)
				_, grad := loss.Loss(pred, y)
				m.Backward(grad)
				opt.Step(params)
			}
			// Warm up until two steps in a row allocate nothing: the first
			// steps allocate the layers' buffers and the backend's pooled
			// tasks.
			for i := range 10 {
				n := mallocs(func() {
					step()
					step()
				})
				t.Logf("warm-up %d: %d allocations in 2 steps", i+1, n)
				if n == 0 {
					break
				}
			}
			// The Go runtime itself allocates now and then when an idle
			// worker goroutine of the backend blocks and is woken on
			// another processor; a cost of the code under test would show
			// in every round, so take the least of six (on a loaded machine
			// with the slow pure-Go kernels, one round in two or three
			// catches such a wake-up).
			const runs = 4
			least := uint64(math.MaxUint64)
			for range 6 {
				least = min(least, mallocs(func() {
					for range runs {
						step()
					}
				}))
			}
			if least != 0 {
				t.Errorf("%d allocations in each of 6 rounds of %d warmed-up training steps, want 0", least, runs)
			}
		})
	}
}

// TestFitStepDoesNotAllocate checks that Trainer.Fit allocates nothing per
// batch: two epochs over twice as many batches allocate exactly as much as
// two epochs over the smaller set. It logs what an epoch costs (the
// difference between Fits of 4 and 2 epochs).
func TestFitStepDoesNotAllocate(t *testing.T) {
	if raceBuild() {
		t.Skip("allocation counts mean nothing under the race detector, whose runtime allocates too")
	}
	const batch = 16
	b := newCPU(t)
	m, err := nn.NewSequential(b, models.InShape, 1, models.CNN()...)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(2))
	small, large := mnistLike(rng, 2*batch), mnistLike(rng, 4*batch)
	tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(1e-3)), BatchSize: batch, Seed: 3}
	fit := func(d nn.Dataset, epochs int) uint64 {
		return mallocs(func() {
			if _, err := tr.Fit(d, epochs, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Warm-up: optimizer state, layer buffers for the batch size, and the
	// backend's task free lists at their largest.
	fit(small, 1)
	fit(large, 2)
	// The least of three Fits, as in TestTrainingStepDoesNotAllocate.
	least := func(d nn.Dataset, epochs int) uint64 {
		return min(fit(d, epochs), fit(d, epochs), fit(d, epochs))
	}
	s2, l2, s4 := least(small, 2), least(large, 2), least(small, 4)
	t.Logf("Fit allocations: 2 epochs of 2 batches %d, 2 epochs of 4 batches %d, 4 epochs of 2 batches %d", s2, l2, s4)
	if l2 != s2 {
		t.Errorf("Fit made %d allocations more for 4 more batches: %.2f per batch, want 0", int64(l2)-int64(s2), float64(int64(l2)-int64(s2))/4)
	}
}
