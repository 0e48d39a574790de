package nn_test

import (
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// coreOnly hides every optional op group of the backend it wraps: it is a
// backend written against the core Backend interface alone.
type coreOnly struct{ backend.Backend }

// TestCoreOnlyBackend trains the same CNN (convolution, batch norm,
// dropout, pooling, dense) on a CPU backend and on that backend seen
// through the core interface alone: a backend that implements only the
// core still trains nn's chain models, to the same bits.
func TestCoreOnlyBackend(t *testing.T) {
	train := bars(256, 61)
	run := func(b backend.Backend) []float64 {
		m, err := nn.NewSequential(b, []int{1, 8, 8}, 2,
			&nn.Conv2D{Filters: 4, KH: 3, KW: 3, Pad: 1}, &nn.BatchNorm{}, nn.ReLU(),
			&nn.MaxPool2D{Size: 2}, &nn.Flatten{}, &nn.Dropout{P: 0.2},
			&nn.Dense{Units: 2})
		if err != nil {
			t.Fatal(err)
		}
		tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b),
			Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.01)), BatchSize: 32, Seed: 3}
		stats, err := tr.Fit(train, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		for _, s := range stats {
			losses = append(losses, s.TrainLoss)
		}
		return losses
	}
	b := newCPU(t)
	if lacks := backend.Lacks(coreOnly{b}); len(lacks) == 0 {
		t.Fatal("coreOnly hides no optional op group")
	}
	full, core := run(b), run(coreOnly{b})
	for i := range full {
		if full[i] != core[i] {
			t.Errorf("epoch %d: train loss %v on the core-only backend, %v on the full one", i+1, core[i], full[i])
		}
	}
}
