package nn_test

import (
	"errors"
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

// TestCoreOnlyLacksOps checks that layers needing an optional op group
// fail on a core-only backend with the message that names the op, the
// backend and the interface: a GRU (it takes time steps as views)
// and an Embedding (Gather).
func TestCoreOnlyLacksOps(t *testing.T) {
	b := coreOnly{newCPU(t)}
	for _, tc := range []struct {
		in    []int
		layer nn.Layer
		want  string
	}{
		{[]int{5, 3}, &nn.GRU{Hidden: 4}, `backend: op Slice is not implemented by backend "cpu" (it implements backend.Viewer to provide it)`},
		{[]int{5}, &nn.Embedding{Vocab: 7, Dim: 3}, `backend: op Gather is not implemented by backend "cpu" (it implements backend.Indexer to provide it)`},
	} {
		m, err := nn.NewSequential(b, tc.in, 1, tc.layer)
		if err != nil {
			t.Fatal(err)
		}
		// The input as the loader makes it: int32 tokens for the Embedding
		// (made by the wrapped backend, which has the Indexer).
		shape := append([]int{2}, tc.in...)
		x := b.Alloc(shape...)
		b.Fill(x, 0)
		if _, ok := tc.layer.(*nn.Embedding); ok {
			x = b.Backend.(backend.Indexer).AllocInt32(shape...)
		}
		func() {
			defer func() {
				r := recover()
				var ue *backend.UnimplementedError
				if err, ok := r.(error); !ok || !errors.As(err, &ue) || err.Error() != tc.want {
					t.Errorf("%v on a core-only backend: panic %v, want %q", tc.layer, r, tc.want)
				}
			}()
			m.Forward(x, true)
		}()
	}
}
