package main

import (
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// tensors allocates the operands of a benchmark on a backend, with random
// contents from a fixed seed, and frees them together.
type tensors struct {
	b   backend.Backend
	rng *rand.Rand
	all []backend.Tensor
}

func newTensors(b backend.Backend, seed int64) *tensors {
	return &tensors{b: b, rng: rand.New(rand.NewSource(seed))}
}

// alloc returns a tensor with unspecified contents, for an op's output.
func (t *tensors) alloc(shape ...int) backend.Tensor {
	x := t.b.Alloc(shape...)
	t.all = append(t.all, x)
	return x
}

// uniform returns a tensor of values drawn uniformly from [−1, 1).
func (t *tensors) uniform(shape ...int) backend.Tensor {
	x := t.alloc(shape...)
	v := make([]float32, x.Shape().Len())
	for i := range v {
		v[i] = 2*t.rng.Float32() - 1
	}
	t.b.Upload(x, v)
	return x
}

// fill returns a tensor with every element v.
func (t *tensors) fill(v float32, shape ...int) backend.Tensor {
	x := t.alloc(shape...)
	t.b.Fill(x, v)
	return x
}

// oneHot returns an [n, k] tensor whose rows are one-hot vectors of random
// classes.
func (t *tensors) oneHot(n, k int) backend.Tensor {
	x := t.alloc(n, k)
	v := make([]float32, n*k)
	for i := range n {
		v[i*k+t.rng.Intn(k)] = 1
	}
	t.b.Upload(x, v)
	return x
}

// free releases every tensor that t allocated.
func (t *tensors) free() {
	for _, x := range t.all {
		t.b.Free(x)
	}
	t.all = nil
}
