package cpu_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// benchLevels runs f once per kernel level as a sub-benchmark.
func benchLevels(bm *testing.B, f func(bm *testing.B, b backend.Backend)) {
	for _, l := range cpu.Levels() {
		bm.Run(l.String(), func(bm *testing.B) {
			b, err := cpu.NewLevel(l)
			if err != nil {
				bm.Fatal(err)
			}
			defer b.Close()
			f(bm, b)
		})
	}
}

// reportGBs reports the memory traffic of bytes per op as GB/s.
func reportGBs(bm *testing.B, bytes int) {
	bm.ReportMetric(float64(bytes)*float64(bm.N)/bm.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkReLU runs ReLU forward at a cache-resident size (1 MB in, 1 MB
// out) and at 64 MB, counting the bytes read and written, and beside it,
// as the bandwidth to compare with, Go's copy of a slice of the same size.
func BenchmarkReLU(bm *testing.B) {
	for _, n := range []int{1 << 18, 1 << 24} {
		bm.Run(fmt.Sprintf("%dMB", 4*n>>20), func(bm *testing.B) {
			benchLevels(bm, func(bm *testing.B, b backend.Backend) {
				r := rand.New(rand.NewPCG(1, 2))
				x, y := uploadRandom(b, r, n), b.Alloc(n)
				a := backend.Activation{Kind: backend.ReLU}
				for bm.Loop() {
					b.Activate(a, x, y)
				}
				reportGBs(bm, 8*n)
			})
			bm.Run("copy", func(bm *testing.B) {
				src, dst := make([]float32, n), make([]float32, n)
				for i := range src {
					src[i] = float32(i)
				}
				for bm.Loop() {
					copy(dst, src)
				}
				reportGBs(bm, 8*n)
			})
		})
	}
}

// BenchmarkActivation runs the transcendental activations on 256k
// elements.
func BenchmarkActivation(bm *testing.B) {
	const n = 1 << 18
	for _, k := range []backend.ActKind{backend.Sigmoid, backend.Tanh, backend.ELU, backend.Softplus} {
		bm.Run(k.String(), func(bm *testing.B) {
			benchLevels(bm, func(bm *testing.B, b backend.Backend) {
				r := rand.New(rand.NewPCG(1, 2))
				x, y := uploadRandom(b, r, n), b.Alloc(n)
				a := backend.Activation{Kind: k, Alpha: 1}
				for bm.Loop() {
					b.Activate(a, x, y)
				}
				reportGBs(bm, 8*n)
			})
		})
	}
}

// poolBenchGeoms are the 2×2 max pools of the MNIST models at batch 64:
// models.CNN's after its second convolution, models.LeNet's two.
var poolBenchGeoms = []backend.PoolGeom{
	{N: 64, C: 64, H: 24, W: 24, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{N: 64, C: 32, H: 24, W: 24, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{N: 64, C: 64, H: 8, W: 8, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
}

// BenchmarkMaxPool runs MaxPool at poolBenchGeoms, counting x read and y
// and argmax written.
func BenchmarkMaxPool(bm *testing.B) {
	for _, g := range poolBenchGeoms {
		bm.Run(fmt.Sprintf("%dx%dx%d", g.C, g.H, g.W), func(bm *testing.B) {
			benchLevels(bm, func(bm *testing.B, b backend.Backend) {
				r := rand.New(rand.NewPCG(1, 2))
				x := uploadRandom(b, r, g.N, g.C, g.H, g.W)
				y, a := b.Alloc(g.N, g.C, g.OutH(), g.OutW()), b.Alloc(g.N, g.C, g.OutH(), g.OutW())
				for bm.Loop() {
					b.MaxPool(x, y, a, g)
				}
				reportGBs(bm, 4*(x.Shape().Len()+2*y.Shape().Len()))
			})
		})
	}
}

// BenchmarkMaxPoolBackward runs MaxPoolBackward at poolBenchGeoms,
// counting dy and argmax read and dx written.
func BenchmarkMaxPoolBackward(bm *testing.B) {
	for _, g := range poolBenchGeoms {
		bm.Run(fmt.Sprintf("%dx%dx%d", g.C, g.H, g.W), func(bm *testing.B) {
			benchLevels(bm, func(bm *testing.B, b backend.Backend) {
				r := rand.New(rand.NewPCG(1, 2))
				x := uploadRandom(b, r, g.N, g.C, g.H, g.W)
				y, a := b.Alloc(g.N, g.C, g.OutH(), g.OutW()), b.Alloc(g.N, g.C, g.OutH(), g.OutW())
				b.MaxPool(x, y, a, g)
				dx := b.Alloc(g.N, g.C, g.H, g.W)
				for bm.Loop() {
					b.MaxPoolBackward(y, a, dx, g)
				}
				reportGBs(bm, 4*(dx.Shape().Len()+2*y.Shape().Len()))
			})
		})
	}
}

// BenchmarkAdamStep runs one Adam step on 1M parameters (four arrays read,
// three written).
func BenchmarkAdamStep(bm *testing.B) {
	const n = 1 << 20
	benchLevels(bm, func(bm *testing.B, b backend.Backend) {
		r := rand.New(rand.NewPCG(1, 2))
		p, g, m, v := uploadRandom(b, r, n), uploadRandom(b, r, n), b.Alloc(n), b.Alloc(n)
		b.Fill(m, 0)
		b.Fill(v, 0)
		h := backend.Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1}
		for bm.Loop() {
			b.AdamStep(p, g, m, v, h)
		}
		reportGBs(bm, 28*n)
	})
}
