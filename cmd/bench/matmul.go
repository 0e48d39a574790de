package main

import (
	"fmt"
	"math/rand"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// product is a matrix product C = op(A)·op(B) of the matmul part, with
// op(A) m×k and op(B) k×n: 2·m·n·k flops.
type product struct {
	name           string
	transA, transB bool
	m, k, n        int
}

// cnnProducts are the GEMMs of the lenet model (models.LeNet: 5×5
// convolutions of 32 and 64 filters, dense layers 1024 → 128 → 10) at
// batch 64, named and sized M×K×N as issue 3 writes them: the convolutions
// as one product over the batch's output positions (y = W·col), with the
// weight gradient dW = dY·colᵀ and the column gradient dcol = Wᵀ·dY; the
// dense layers as y = x·Wᵀ, with dW = dYᵀ·x and dx = dY·W.
var cnnProducts = []product{
	{"conv1", false, false, 32, 25, 36864},
	{"conv1 dW", false, true, 32, 36864, 25},
	{"conv2", false, false, 64, 800, 4096},
	{"conv2 dW", false, true, 64, 4096, 800},
	{"conv2 dX", true, false, 800, 64, 4096},
	{"fc1", false, true, 64, 1024, 128},
	{"fc1 dW", true, false, 128, 64, 1024},
	{"fc1 dX", false, false, 64, 128, 1024},
	{"fc2", false, true, 64, 128, 10},
	{"fc2 dW", true, false, 10, 64, 128},
	{"fc2 dX", false, false, 64, 10, 128},
}

// square returns the product of two n×n matrices.
func square(n int) product { return product{fmt.Sprintf("sq%d", n), false, false, n, n, n} }

// shape formats p as M×K×N, marking transposed operands.
func (p product) shape() string {
	s := dims(p.m, p.k, p.n)
	if p.transA {
		s += " Aᵀ"
	}
	if p.transB {
		s += " Bᵀ"
	}
	return s
}

// flops returns the flop count of p, 2·m·n·k.
func (p product) flops() float64 { return 2 * float64(p.m) * float64(p.n) * float64(p.k) }

// bench returns the benchmark of p through Backend.MatMul.
func (p product) bench() opBench {
	ob := matMul(p.name, p.transA, p.transB, p.m, p.n, p.k)
	ob.shape = p.shape()
	return ob
}

// gonumSgemm is the baseline of a product: gonum's Implementation.Sgemm
// on the same product of host slices, timed the same way.
func gonumSgemm(p product, t timing) (stats, error) {
	rng := rand.New(rand.NewSource(seed))
	a, b, c := make([]float32, p.m*p.k), make([]float32, p.k*p.n), make([]float32, p.m*p.n)
	for i := range a {
		a[i] = 2*rng.Float32() - 1
	}
	for i := range b {
		b[i] = 2*rng.Float32() - 1
	}
	ta, tb, lda, ldb := blas.NoTrans, blas.NoTrans, p.k, p.n
	if p.transA {
		ta, lda = blas.Trans, p.m
	}
	if p.transB {
		tb, ldb = blas.Trans, p.k
	}
	var impl gonum.Implementation
	call := func() { impl.Sgemm(ta, tb, p.m, p.n, p.k, 1, a, lda, b, ldb, 0, c, p.n) }
	return measure(call, func() error { return nil }, t)
}
