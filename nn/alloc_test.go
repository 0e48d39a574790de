package nn_test

import (
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// allocCounter is a backend that counts the tensors allocated through it.
type allocCounter struct {
	backend.Backend
	n int
}

func (c *allocCounter) Alloc(shape ...int) backend.Tensor {
	c.n++
	return c.Backend.Alloc(shape...)
}

// TestSteadyStateAllocs checks that once a batch size has been seen,
// training and evaluation Forwards and Backwards of BatchNorm (after Dense
// and after Conv2D) and Dropout allocate no tensors: their buffers are
// cached per batch size.
func TestSteadyStateAllocs(t *testing.T) {
	b := &allocCounter{Backend: newCPU(t)}
	m, err := nn.NewSequential(b, []int{2, 6, 6}, 1,
		&nn.Conv2D{Filters: 3, KH: 3, KW: 3, NoBias: true}, &nn.BatchNorm{}, nn.ReLU(),
		&nn.Flatten{}, &nn.Dense{Units: 8, NoBias: true}, &nn.BatchNorm{}, &nn.Dropout{P: 0.5}, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	x := upload(b, randSlice(rng, 4*72, -1, 1), 4, 2, 6, 6)
	dy := upload(b, randSlice(rng, 8, -1, 1), 4, 2)
	for _, train := range []bool{true, false, true} {
		m.Forward(x, train)
		m.Backward(dy)
	}
	before := b.n
	for _, train := range []bool{true, false, true, false} {
		m.Forward(x, train)
		m.Backward(dy)
	}
	if b.n != before {
		t.Errorf("%d tensors allocated in steady-state Forwards and Backwards, want 0", b.n-before)
	}
}
