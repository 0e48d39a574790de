package cpu_test

import (
	"fmt"
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

// benchConvs are the convolutions BenchmarkConv times at batch 64: the
// cnn model's second (32→64 channels, 3×3 on 26×26) and the lenet model's
// two (1→32, 5×5 on 28×28; 32→64, 5×5 on 12×12), with their filters.
var benchConvs = []struct {
	name    string
	g       backend.ConvGeom
	filters int
}{
	{"cnn_conv2", backend.ConvGeom{N: 64, C: 32, H: 26, W: 26, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}, 64},
	{"lenet_conv1", backend.ConvGeom{N: 64, C: 1, H: 28, W: 28, KH: 5, KW: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}, 32},
	{"lenet_conv2", backend.ConvGeom{N: 64, C: 32, H: 12, W: 12, KH: 5, KW: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}, 64},
}

// BenchmarkConv runs Conv2D, Conv2DBackwardData and Conv2DBackwardFilter
// at benchConvs, reporting the GFLOP/s of the im2col GEMM they amount to
// (2·N·F·OH·OW·C·KH·KW each).
func BenchmarkConv(bm *testing.B) {
	for _, c := range benchConvs {
		g, f := c.g, c.filters
		b := cpu.New()
		r := rand.New(rand.NewPCG(1, 2))
		x := uploadRandom(b, r, g.N, g.C, g.H, g.W)
		w := uploadRandom(b, r, f, g.C, g.KH, g.KW)
		y := uploadRandom(b, r, g.N, f, g.OutH(), g.OutW())
		flops := 2 * float64(g.N*f*g.C*g.KH*g.KW*g.OutH()*g.OutW())
		for _, op := range []struct {
			name string
			run  func()
		}{
			{"forward", func() { b.Conv2D(x, w, y, g) }},
			{"data", func() { b.Conv2DBackwardData(y, w, x, g) }},
			{"filter", func() { b.Conv2DBackwardFilter(x, y, w, g) }},
		} {
			bm.Run(c.name+"_"+op.name, func(bm *testing.B) {
				for bm.Loop() {
					op.run()
				}
				bm.ReportMetric(flops*float64(bm.N)/bm.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		b.Close()
	}
}

// gemmShapes are the matrix products BenchmarkGEMM times, named as
// M×K×N: squares, the GEMMs of the MNIST CNN at batch 64 (conv1 and conv2
// as one product over the batch, the dense layers fc1 and fc2) and the
// backward products of those layers, with their transposed operands.
var gemmShapes = []struct {
	name           string
	transA, transB bool
	m, k, n        int
}{
	{"sq512", false, false, 512, 512, 512},
	{"sq1024", false, false, 1024, 1024, 1024},
	{"sq2048", false, false, 2048, 2048, 2048},
	{"conv1", false, false, 32, 25, 36864},
	{"conv1_dW", false, true, 32, 36864, 25},
	{"conv2", false, false, 64, 800, 4096},
	{"conv2_dW", false, true, 64, 4096, 800},
	{"conv2_dX", true, false, 800, 64, 4096},
	{"fc1", false, true, 64, 1024, 128},
	{"fc1_dW", true, false, 128, 64, 1024},
	{"fc1_dX", false, false, 64, 128, 1024},
	{"fc2", false, true, 64, 128, 10},
	{"fc2_dW", true, false, 10, 64, 128},
	{"fc2_dX", false, false, 64, 10, 128},
}

// BenchmarkGEMM times MatMul at gemmShapes; run it once with -cpu 1 and
// once with -cpu 2 to see one and two threads, as the README's numbers
// were taken.
func BenchmarkGEMM(bm *testing.B) {
	for _, s := range gemmShapes {
		bm.Run(fmt.Sprintf("%s_%d×%d×%d", s.name, s.m, s.k, s.n), func(bm *testing.B) {
			b := cpu.New()
			defer b.Close()
			r := rand.New(rand.NewPCG(1, 2))
			ar, ac, br, bc := s.m, s.k, s.k, s.n
			if s.transA {
				ar, ac = ac, ar
			}
			if s.transB {
				br, bc = bc, br
			}
			x, y, z := uploadRandom(b, r, ar, ac), uploadRandom(b, r, br, bc), b.Alloc(s.m, s.n)
			for bm.Loop() {
				b.MatMul(s.transA, s.transB, 1, x, y, 0, z)
			}
			bm.ReportMetric(2*float64(s.m*s.k*s.n)*float64(bm.N)/bm.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
