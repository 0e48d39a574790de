package nn_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// adamCounter is the CPU backend counting AdamStep and SGDStep calls.
type adamCounter struct {
	*cpu.Backend
	calls int
}

func (c *adamCounter) SGDStep(p, g, v backend.Tensor, h backend.SGD) {
	c.calls++
	c.Backend.SGDStep(p, g, v, h)
}

func (c *adamCounter) AdamStep(p, g, m, v backend.Tensor, h backend.Adam) {
	c.calls++
	c.Backend.AdamStep(p, g, m, v, h)
}

// TestPackParams checks that training with packed parameters gives the
// bits of training without, losses, weights and Adam's moments (through
// State, as a checkpoint reads them), with one AdamStep (SGDStep) per step
// instead of one per parameter; and the errors of PackParams.
func TestPackParams(t *testing.T) {
	data := blobs(23, 4, 3, 30)
	c := &adamCounter{Backend: cpu.New()}
	defer c.Close()
	run := func(pack bool, newOpt func() nn.Optimizer) ([]nn.EpochStats, []float32, []float32, int) {
		m, err := nn.NewSequential(c, []int{4}, 7, &nn.Dense{Units: 16}, nn.Tanh(), &nn.Dense{Units: 5}, nn.ReLU(), &nn.Dense{Units: 3})
		if err != nil {
			t.Fatal(err)
		}
		if pack {
			if err := m.PackParams(); err != nil {
				t.Fatal(err)
			}
		}
		opt := newOpt()
		tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(c), Optimizer: opt, BatchSize: 5, Seed: 3}
		c.calls = 0
		stats, err := tr.Fit(data, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		var state []float32
		for _, p := range opt.State(m.Params()).Buffers {
			state = append(state, download(c, p.Value)...)
		}
		return stats, params(c, m), state, c.calls
	}
	for _, tc := range []struct {
		name   string
		newOpt func() nn.Optimizer
	}{
		{"Adam", func() nn.Optimizer { return nn.NewAdam(c, nn.DefaultAdam(0.01)) }},
		{"SGD with Nesterov momentum", func() nn.Optimizer { return nn.NewSGD(c, backend.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true}) }},
		{"plain SGD", func() nn.Optimizer { return nn.NewSGD(c, backend.SGD{LR: 0.05}) }},
	} {
		plainStats, plainParams, plainState, plainCalls := run(false, tc.newOpt)
		packedStats, packedParams, packedState, packedCalls := run(true, tc.newOpt)
		if plainCalls != 10*6 || packedCalls != 10 {
			t.Errorf("%s: optimizer steps in 10 steps: %d calls unpacked, %d packed; want 60 (6 parameters) and 10", tc.name, plainCalls, packedCalls)
		}
		for i := range plainStats {
			if plainStats[i].TrainLoss != packedStats[i].TrainLoss {
				t.Errorf("%s: epoch %d: loss %v unpacked, %v packed", tc.name, i+1, plainStats[i].TrainLoss, packedStats[i].TrainLoss)
			}
		}
		if !slices.Equal(plainParams, packedParams) {
			t.Errorf("%s: weights differ between packed and unpacked training", tc.name)
		}
		if !slices.Equal(plainState, packedState) {
			t.Errorf("%s: the optimizer's state (State) differs between packed and unpacked training", tc.name)
		}
	}

	m, _ := nn.NewSequential(c, []int{4}, 7, &nn.Dense{Units: 3})
	if err := m.PackParams(); err != nil {
		t.Fatal(err)
	}
	if err := m.PackParams(); err == nil || !strings.Contains(err.Error(), "packed already") {
		t.Errorf("second PackParams: %v", err)
	}
	h, _ := nn.NewSequential(hostOnly{c.Backend}, []int{4}, 7, &nn.Dense{Units: 3})
	if err := h.PackParams(); err == nil || !strings.Contains(err.Error(), "backend.Viewer") {
		t.Errorf("PackParams without views: %v", err)
	}
	f, _ := nn.NewSequential(c, []int{4}, 7, &nn.Flatten{})
	if err := f.PackParams(); err == nil || !strings.Contains(err.Error(), "no parameters") {
		t.Errorf("PackParams without parameters: %v", err)
	}
}
