package main

import (
	"math/rand"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// squareMatMul benchmarks C = A·B for n×n matrices: 2·n³ flops.
func squareMatMul(n int) opBench {
	ob := matMul("MatMul", false, false, n, n, n)
	ob.shape = dims(n, n)
	return ob
}

// gonumSgemm is the baseline of squareMatMul: gonum's
// Implementation.Sgemm on the same product of host slices, timed the same
// way.
func gonumSgemm(n int, t timing) (stats, error) {
	rng := rand.New(rand.NewSource(seed))
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = 2*rng.Float32()-1, 2*rng.Float32()-1
	}
	var impl gonum.Implementation
	call := func() { impl.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a, n, b, n, 0, c, n) }
	return measure(call, func() error { return nil }, t)
}
