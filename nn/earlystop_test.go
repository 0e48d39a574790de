package nn_test

import (
	"math"
	"slices"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// TestEarlyStopping trains a wide network with a high learning rate on 12
// samples with random labels, which it can only memorise: the validation
// loss rises after the first epochs. Fit must stop Patience epochs after
// the best one and put back the weights of that epoch.
func TestEarlyStopping(t *testing.T) {
	b := newCPU(t)
	data := blobs(60, 4, 3, 21)
	for i := range 12 { // random labels for the training samples
		row := data.Y[3*i : 3*i+3]
		clear(row)
		row[(i*7)%3] = 1
	}
	train, val := data.Slice(0, 12), data.Slice(12, 60)
	m, err := nn.NewSequential(b, []int{4}, 3, &nn.Dense{Units: 64}, nn.Tanh(), &nn.Dense{Units: 3})
	if err != nil {
		t.Fatal(err)
	}
	es := &nn.EarlyStopping{Patience: 3, MinDelta: 1e-3}
	tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.05)),
		BatchSize: 4, Seed: 1, EarlyStopping: es}
	var best []float32
	var losses []float64
	tr.OnEpoch = func(s nn.EpochStats) error {
		losses = append(losses, s.TestLoss)
		if es.BestEpoch == s.Epoch { // OnEpoch sees the record of its epoch
			best = params(b, m)
		}
		return nil
	}
	const epochs = 50
	stats, err := tr.Fit(train, epochs, &val)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("validation losses %.4f; best epoch %d, stopped after %d", losses, es.BestEpoch, es.Stopped)
	if es.Stopped == 0 || len(stats) != es.Stopped || len(stats) == epochs {
		t.Fatalf("Fit ran %d of %d epochs, Stopped = %d: want an early stop", len(stats), epochs, es.Stopped)
	}
	if es.Stopped != es.BestEpoch+es.Patience || es.Wait != es.Patience {
		t.Errorf("stopped after epoch %d with Wait %d, best epoch %d: want a stop %d epochs after the best", es.Stopped, es.Wait, es.BestEpoch, es.Patience)
	}
	minLoss := slices.Min(losses)
	if es.BestLoss != losses[es.BestEpoch-1] || es.BestLoss > minLoss+es.MinDelta {
		t.Errorf("BestLoss %v (epoch %d), losses %v", es.BestLoss, es.BestEpoch, losses)
	}
	for _, l := range losses[es.BestEpoch:] {
		if l < es.BestLoss-es.MinDelta {
			t.Errorf("loss %v after the best epoch improves on %v by more than MinDelta", l, es.BestLoss)
		}
	}
	if !slices.Equal(params(b, m), best) {
		t.Error("the weights after Fit are not those of the best epoch")
	}
	if loss, _, err := tr.Evaluate(val); err != nil || math.Abs(loss-es.BestLoss) > 1e-12 {
		t.Errorf("validation loss after Fit %v (%v), want the best %v", loss, err, es.BestLoss)
	}
}

// TestEarlyStoppingNoStop checks that a run that keeps improving trains
// every epoch and keeps its last weights.
func TestEarlyStoppingNoStop(t *testing.T) {
	b := newCPU(t)
	tr := newTrainer(t, b, 1, 1)
	tr.Optimizer = nn.NewSGD(b, backend.SGD{LR: 0.01})
	tr.EarlyStopping = &nn.EarlyStopping{Patience: 2}
	data := blobs(40, 4, 3, 22)
	var last []float32
	tr.OnEpoch = func(nn.EpochStats) error { last = params(b, tr.Model); return nil }
	stats, err := tr.Fit(data, 5, &data)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 5 || tr.EarlyStopping.Stopped != 0 || tr.EarlyStopping.BestEpoch != 5 {
		t.Errorf("%d epochs, stopped %d, best %d: want all 5, no stop, best 5", len(stats), tr.EarlyStopping.Stopped, tr.EarlyStopping.BestEpoch)
	}
	if !slices.Equal(params(b, tr.Model), last) {
		t.Error("weights changed after the last epoch")
	}
}
