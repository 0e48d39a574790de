package nn_test

import (
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
