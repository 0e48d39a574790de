package nn_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// hostOnly hides every optional op group of a backend, so that a Trainer
// takes the host data path.
type hostOnly struct{ backend.Backend }

// countingCPU is the CPU backend, with all its optional ops, counting the
// uploads made through it.
type countingCPU struct {
	*cpu.Backend
	uploads, indexUploads int
}

func (c *countingCPU) Upload(dst backend.Tensor, src []float32) {
	c.uploads++
	c.Backend.Upload(dst, src)
}

func (c *countingCPU) UploadInt32(dst backend.Tensor, src []int32) {
	c.indexUploads++
	c.Backend.UploadInt32(dst, src)
}

// TestDeviceDataPath checks that training with the data kept on the
// device (Gather over a shuffled index) gives the bits of the host path on
// the CPU, loss and weights, for a run with a partial last batch, and that
// it uploads the training set once and one index per epoch; and that
// Evaluate and Predict, in batches of EvalBatchSize, agree too.
func TestDeviceDataPath(t *testing.T) {
	data := blobs(23, 4, 3, 30) // 5 batches, the last of 3 samples
	eval := blobs(11, 4, 3, 31)
	c := &countingCPU{Backend: cpu.New()}
	defer c.Close()
	if _, ok := backend.Backend(c).(backend.Indexer); !ok {
		t.Fatal("the CPU backend lacks backend.Indexer")
	}
	type result struct {
		stats            []nn.EpochStats
		params, pred     []float32
		evalLoss, evalAc float64
	}
	run := func(b backend.Backend) result {
		m, err := nn.NewSequential(b, []int{4}, 7, &nn.Dense{Units: 16}, nn.Tanh(), &nn.Dropout{P: 0.3}, &nn.Dense{Units: 3})
		if err != nil {
			t.Fatal(err)
		}
		tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.01)),
			BatchSize: 5, EvalBatchSize: 4, Seed: 3, Schedule: nn.OneCycle{}}
		c.uploads, c.indexUploads = 0, 0
		var r result
		if r.stats, err = tr.Fit(data, 3, nil); err != nil {
			t.Fatal(err)
		}
		if b == backend.Backend(c) && (c.uploads != 2 || c.indexUploads != 3) {
			t.Errorf("device path: %d uploads and %d index uploads in 3 epochs, want 2 (the training set) and 3 (one order per epoch)", c.uploads, c.indexUploads)
		}
		if r.evalLoss, r.evalAc, err = tr.Evaluate(eval); err != nil {
			t.Fatal(err)
		}
		if r.pred, err = tr.Predict(eval); err != nil {
			t.Fatal(err)
		}
		r.params = params(b, m)
		return r
	}
	dev := run(c)
	host := run(hostOnly{c.Backend})
	for i := range dev.stats {
		d, h := dev.stats[i], host.stats[i]
		if d.TrainLoss != h.TrainLoss || d.TrainAcc != h.TrainAcc {
			t.Errorf("epoch %d: device path %+v, host path %+v", i+1, d, h)
		}
	}
	if !slices.Equal(dev.params, host.params) {
		t.Error("weights after training differ between the device and the host data paths")
	}
	if dev.evalLoss != host.evalLoss || dev.evalAc != host.evalAc {
		t.Errorf("Evaluate: device path %g, %g; host path %g, %g", dev.evalLoss, dev.evalAc, host.evalLoss, host.evalAc)
	}
	if !slices.Equal(dev.pred, host.pred) {
		t.Error("Predict differs between the device and the host data paths")
	}
}

// viewIndexOnly is a backend with Viewer and Indexer but no Shifter.
type viewIndexOnly struct {
	backend.Backend
	backend.Viewer
	backend.Indexer
}

// TestDeviceShiftPath checks that random shifts given as a ShiftAugmenter
// (nn.Shift) run on the device when the data path is there, and train to
// the bits of the host path (loss, accuracy and weights, with a partial
// last batch): the training set is uploaded once and two int32 tensors
// (the order and the offsets) once per epoch. The same Shift as a
// function (RandomShift), or on a backend without backend.Shifter, takes
// the host path to the same bits. So do samples whose XShape is flat, a
// run cut in the middle of an epoch and resumed, and a Shift that moves
// images out of the frame.
func TestDeviceShiftPath(t *testing.T) {
	c := &countingCPU{Backend: cpu.New()}
	defer c.Close()
	for _, maxShift := range []int{2, 9} {
		data := bars(23, 40) // 5 batches, the last of 3 samples
		shift, err := nn.NewShift(data.XShape, maxShift, -0.25)
		if err != nil {
			t.Fatal(err)
		}
		fn, err := nn.RandomShift(data.XShape, maxShift, -0.25)
		if err != nil {
			t.Fatal(err)
		}
		flat := data
		flat.XShape = []int{64}
		type run struct {
			name                  string
			b                     backend.Backend
			data                  nn.Dataset
			asFunc, cut           bool // Augment = fn; cut after batch 3 of epoch 2 and resumed
			uploads, indexUploads int  // through c; −1: not counted
		}
		var want [2][]float32 // weights of the image and flat models on the device path
		var wantStats [2][]nn.EpochStats
		for _, r := range []run{
			{"device", c, data, false, false, 2, 6},
			{"host", hostOnly{c.Backend}, data, false, false, -1, -1},
			{"function", c, data, true, false, 30, 0},
			{"no Shifter", viewIndexOnly{c, c.Backend, c.Backend}, data, false, false, 30, 0},
			{"device, resumed", c, data, false, true, -1, -1},
			{"flat device", c, flat, false, false, 2, 6},
			{"flat host", hostOnly{c.Backend}, flat, false, false, -1, -1},
		} {
			k := 0
			layers := []nn.Layer{&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1}, nn.ReLU(), &nn.Flatten{}, &nn.Dropout{P: 0.2}, &nn.Dense{Units: 2}}
			if len(r.data.XShape) == 1 {
				k, layers = 1, []nn.Layer{&nn.Dense{Units: 8}, nn.Tanh(), &nn.Dense{Units: 2}}
			}
			m, err := nn.NewSequential(r.b, r.data.XShape, 5, layers...)
			if err != nil {
				t.Fatal(err)
			}
			tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(r.b), Optimizer: nn.NewAdam(r.b, nn.DefaultAdam(0.01)),
				BatchSize: 5, Seed: 3, Augmenter: shift}
			if r.asFunc {
				tr.Augmenter, tr.Augment = nil, fn
			}
			c.uploads, c.indexUploads = 0, 0
			var stats []nn.EpochStats
			if r.cut {
				ctx, cancel := context.WithCancel(context.Background())
				tr.OnBatch = func(p nn.Progress) {
					if p.Epoch == 2 && p.Batch == 3 {
						cancel()
					}
				}
				stats, tr.Start, err = tr.FitContext(ctx, r.data, 3, nil)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("max shift %d, %s: %v, want context.Canceled", maxShift, r.name, err)
				}
				tr.OnBatch = nil
			}
			more, err := tr.Fit(r.data, 3, nil)
			if err != nil {
				t.Fatal(err)
			}
			stats = append(stats, more...)
			if r.uploads >= 0 && (c.uploads != r.uploads || c.indexUploads != r.indexUploads) {
				t.Errorf("max shift %d, %s: %d uploads and %d index uploads in 3 epochs, want %d and %d", maxShift, r.name, c.uploads, c.indexUploads, r.uploads, r.indexUploads)
			}
			got := params(r.b, m)
			if want[k] == nil {
				want[k], wantStats[k] = got, stats
				continue
			}
			for i := range stats {
				if r.cut && i == 1 {
					continue // the loss of the batches after the cut only
				}
				if d, h := wantStats[k][i], stats[i]; d.TrainLoss != h.TrainLoss || d.TrainAcc != h.TrainAcc {
					t.Errorf("max shift %d, %s: epoch %d: %+v, want the device path's %+v", maxShift, r.name, i+1, h, d)
				}
			}
			if !slices.Equal(got, want[k]) {
				t.Errorf("max shift %d, %s: weights differ from the device path's", maxShift, r.name)
			}
		}
	}
}
