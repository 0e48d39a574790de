package nn_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// adamCounter is the CPU backend counting AdamStep calls.
type adamCounter struct {
	*cpu.Backend
	calls int
}

func (c *adamCounter) AdamStep(p, g, m, v backend.Tensor, h backend.Adam) {
	c.calls++
	c.Backend.AdamStep(p, g, m, v, h)
}

// TestPackParams checks that training with packed parameters gives the
// bits of training without, losses, weights and Adam's moments (through
// State, as a checkpoint reads them), with one AdamStep per step instead of
// one per parameter; and the errors of PackParams.
func TestPackParams(t *testing.T) {
	data := blobs(23, 4, 3, 30)
	c := &adamCounter{Backend: cpu.New()}
	defer c.Close()
	run := func(pack bool) ([]nn.EpochStats, []float32, []float32, int) {
		m, err := nn.NewSequential(c, []int{4}, 7, &nn.Dense{Units: 16}, nn.Tanh(), &nn.Dense{Units: 5}, nn.ReLU(), &nn.Dense{Units: 3})
		if err != nil {
			t.Fatal(err)
		}
		if pack {
			if err := m.PackParams(); err != nil {
				t.Fatal(err)
			}
		}
		opt := nn.NewAdam(c, nn.DefaultAdam(0.01))
		tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(c), Optimizer: opt, BatchSize: 5, Seed: 3}
		c.calls = 0
		stats, err := tr.Fit(data, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		var moments []float32
		for _, p := range opt.State(m.Params()).Buffers {
			moments = append(moments, download(c, p.Value)...)
		}
		return stats, params(c, m), moments, c.calls
	}
	plainStats, plainParams, plainMoments, plainCalls := run(false)
	packedStats, packedParams, packedMoments, packedCalls := run(true)
	if plainCalls != 10*6 || packedCalls != 10 {
		t.Errorf("AdamStep calls in 10 steps: %d unpacked, %d packed; want 60 (6 parameters) and 10", plainCalls, packedCalls)
	}
	for i := range plainStats {
		if plainStats[i].TrainLoss != packedStats[i].TrainLoss {
			t.Errorf("epoch %d: loss %v unpacked, %v packed", i+1, plainStats[i].TrainLoss, packedStats[i].TrainLoss)
		}
	}
	if !slices.Equal(plainParams, packedParams) {
		t.Error("weights differ between packed and unpacked training")
	}
	if !slices.Equal(plainMoments, packedMoments) {
		t.Error("Adam's moments (State) differ between packed and unpacked training")
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
