package nn_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// fullDevice is a backend whose Alloc fails as a device out of memory does
// (panicking with an error wrapping backend.ErrOutOfMemory) once full is
// set after the given number of further allocations.
type fullDevice struct {
	backend.Backend
	full  bool
	after int
}

func (d *fullDevice) Alloc(shape ...int) backend.Tensor {
	if d.full {
		if d.after == 0 {
			panic(fmt.Errorf("fake: Alloc %v: %w", shape, backend.ErrOutOfMemory))
		}
		d.after--
	}
	return d.Backend.Alloc(shape...)
}

// TestOutOfMemoryIsAnError runs out of device memory in Fit (mid-epoch,
// at the first batch of a new size), Evaluate and Predict, and checks that
// each returns an error wrapping backend.ErrOutOfMemory instead of
// panicking, that the weights are those of the last finished batch, and
// that the model can still be saved.
func TestOutOfMemoryIsAnError(t *testing.T) {
	d := &fullDevice{Backend: newCPU(t)}
	m, err := nn.NewSequential(d, []int{1, 8, 8}, 1,
		&nn.Conv2D{Filters: 4, KH: 3, KW: 3, Pad: 1}, nn.ReLU(), &nn.Flatten{}, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(d),
		Optimizer: nn.NewAdam(d, nn.DefaultAdam(0.01)), BatchSize: 32, Seed: 1}
	if _, err := tr.Fit(bars(64, 71), 1, nil); err != nil {
		t.Fatal(err)
	}
	weights := func() [][]float32 {
		var w [][]float32
		for _, p := range m.Params() {
			w = append(w, download(d, p.Value))
		}
		return w
	}
	before := weights()

	// 100 samples in batches of 32: the last batch of 4 needs new
	// buffers, after three batches have trained.
	d.full, d.after = true, 4 // the loader's two tensors, Fit's two scalars
	stats, pos, err := tr.FitContext(t.Context(), bars(100, 72), 1, nil)
	if !errors.Is(err, backend.ErrOutOfMemory) || !strings.Contains(err.Error(), "nn: Fit: ") || !strings.Contains(err.Error(), "smaller batch size") {
		t.Fatalf("Fit out of memory: stats %v, error %v; want an error wrapping ErrOutOfMemory that says what to do", stats, err)
	}
	if pos.Batch != 3 {
		t.Errorf("Fit out of memory at the fourth batch: position %+v, want 3 batches done", pos)
	}
	after := weights()
	changed := false
	for i := range before {
		changed = changed || !slices.Equal(before[i], after[i])
	}
	if !changed {
		t.Error("the three batches before running out of memory did not train")
	}

	d.after = 0
	if _, _, err := tr.Evaluate(bars(10, 73)); !errors.Is(err, backend.ErrOutOfMemory) {
		t.Errorf("Evaluate out of memory: %v, want an error wrapping ErrOutOfMemory", err)
	}
	if _, err := tr.Predict(nn.Dataset{X: make([]float32, 7*64), XShape: []int{1, 8, 8}}); !errors.Is(err, backend.ErrOutOfMemory) {
		t.Errorf("Predict out of memory: %v, want an error wrapping ErrOutOfMemory", err)
	}
	d.full = false
	if err := nn.SaveWeights(m, filepath.Join(t.TempDir(), "w.safetensors")); err != nil {
		t.Errorf("SaveWeights after running out of memory: %v", err)
	}
}
