package cpu_test

import (
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// uploadRandom returns a tensor of the given shape filled with standard
// normal values from r.
func uploadRandom(b backend.Backend, r *rand.Rand, shape ...int) backend.Tensor {
	t := b.Alloc(shape...)
	d := make([]float32, t.Shape().Len())
	for i := range d {
		d[i] = float32(r.NormFloat64())
	}
	b.Upload(t, d)
	return t
}

// BenchmarkMatMul multiplies two 256×256 matrices.
func BenchmarkMatMul(bm *testing.B) {
	const n = 256
	b := cpu.New()
	defer b.Close()
	r := rand.New(rand.NewPCG(1, 2))
	x, y, z := uploadRandom(b, r, n, n), uploadRandom(b, r, n, n), b.Alloc(n, n)
	for bm.Loop() {
		b.MatMul(false, false, 1, x, y, 0, z)
	}
	bm.ReportMetric(2*n*n*n*float64(bm.N)/bm.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// mnistConv2 is the second convolution of the MNIST CNN: 32→64 channels,
// 3×3, on 26×26 inputs, batch 64.
var mnistConv2 = backend.ConvGeom{N: 64, C: 32, H: 26, W: 26, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}

// BenchmarkConv2D runs the forward pass of the MNIST CNN's second
// convolution.
func BenchmarkConv2D(bm *testing.B) {
	g, f := mnistConv2, 64
	b := cpu.New()
	defer b.Close()
	r := rand.New(rand.NewPCG(1, 2))
	x := uploadRandom(b, r, g.N, g.C, g.H, g.W)
	w := uploadRandom(b, r, f, g.C, g.KH, g.KW)
	y := b.Alloc(g.N, f, g.OutH(), g.OutW())
	flops := 2 * float64(g.N*f*g.C*g.KH*g.KW*g.OutH()*g.OutW())
	for bm.Loop() {
		b.Conv2D(x, w, y, g)
	}
	bm.ReportMetric(flops*float64(bm.N)/bm.Elapsed().Seconds()/1e9, "GFLOP/s")
}
