package gemm

import (
	"fmt"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// benchShapes are the products BenchmarkSgemm times: squares and the GEMMs
// of the MNIST CNN at batch 64 (forward, and the weight and input
// gradients of the dense layers), named as M×K×N.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, k, n        int
}{
	{"sq512", false, false, 512, 512, 512},
	{"sq1024", false, false, 1024, 1024, 1024},
	{"sq2048", false, false, 2048, 2048, 2048},
	{"conv1", false, false, 32, 25, 36864},
	{"conv2", false, false, 64, 800, 4096},
	{"fc1", false, false, 64, 1024, 128},
	{"fc1_bwdW", false, false, 1024, 64, 128},
	{"fc1_bwdX", false, false, 64, 128, 1024},
	{"fc2", false, false, 64, 128, 10},
	{"conv2_bwdW", false, true, 64, 4096, 800},
	{"conv2_bwdX", true, false, 800, 64, 4096},
	{"fc1_bwdWT", true, false, 1024, 64, 128},
	{"fc1_fwdT", false, true, 64, 1024, 128},
}

// BenchmarkSgemm times Sgemm on one goroutine at the best level.
func BenchmarkSgemm(b *testing.B) {
	l := isa.Best()
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%s_%d×%d×%d", s.name, s.m, s.k, s.n), func(b *testing.B) {
			x, y, z := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
			for i := range x {
				x[i] = float32(i%13) - 6
			}
			for i := range y {
				y[i] = float32(i%7) - 3
			}
			lda, ldb := s.k, s.n
			if s.transA {
				lda = s.m
			}
			if s.transB {
				ldb = s.k
			}
			for b.Loop() {
				Sgemm(l, s.transA, s.transB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
