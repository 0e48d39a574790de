//go:build cuda

package cuda

import (
	"fmt"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// BenchmarkLaunch measures the host time of one small op (Scale on 1024
// floats) as queued, the stream synchronised once at the end; the target
// is at most 5 µs per op.
func BenchmarkLaunch(b *testing.B) {
	g := open(b, Options{})
	defer g.Close()
	x := g.Alloc(1024)
	g.Fill(x, 1)
	g.Sync()
	b.ResetTimer()
	for range b.N {
		g.Scale(1, x)
	}
	if err := g.Sync(); err != nil {
		b.Fatal(err)
	}
}

// benchMatMul times C = A·B for 4096×4096 matrices through MatMul, or
// straight through cuBLAS when raw is set, and reports TFLOP/s.
func benchMatMul(b *testing.B, tf32, raw bool) {
	const n = 4096
	g := open(b, Options{TF32: tf32})
	defer g.Close()
	x, y, z := g.Alloc(n, n), g.Alloc(n, n), g.Alloc(n, n)
	g.Fill(x, 0.5)
	g.Fill(y, 0.25)
	tx, ty, tz := x.(*tensor), y.(*tensor), z.(*tensor)
	run := func() {
		if raw {
			if err := g.d.gemm(false, false, n, n, n, 1, ty.ptr, n, 0, tx.ptr, n, 0, 0, tz.ptr, n, 0, 1); err != nil {
				b.Fatal(err)
			}
			return
		}
		g.MatMul(false, false, 1, x, y, 0, z)
	}
	timeLoop(b, g, run)
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e12, "TFLOP/s")
}

func BenchmarkMatMul4096(b *testing.B)        { benchMatMul(b, false, false) }
func BenchmarkMatMul4096Raw(b *testing.B)     { benchMatMul(b, false, true) }
func BenchmarkMatMul4096TF32(b *testing.B)    { benchMatMul(b, true, false) }
func BenchmarkMatMul4096TF32Raw(b *testing.B) { benchMatMul(b, true, true) }

// BenchmarkBatchMatMul times C[i] = A[i]·B[i] for batch products of n×n
// matrices through BatchMatMul ("backend") and through
// cublasSgemmStridedBatched called directly on the same tensors
// ("cublas"), side by side, in GFLOP/s; the target is backend ≥ 0.9×
// cublas.
func BenchmarkBatchMatMul(b *testing.B) {
	for _, c := range []struct{ batch, n int }{{64, 64}, {256, 128}, {32, 512}} {
		for _, raw := range []bool{false, true} {
			name := "backend"
			if raw {
				name = "cublas"
			}
			b.Run(fmt.Sprintf("%dx%d/%s", c.batch, c.n, name), func(b *testing.B) { benchBatchMatMul(b, c.batch, c.n, raw) })
		}
	}
}

func benchBatchMatMul(b *testing.B, batch, n int, raw bool) {
	g := open(b, Options{})
	defer g.Close()
	x, y, z := g.Alloc(batch, n, n), g.Alloc(batch, n, n), g.Alloc(batch, n, n)
	g.Fill(x, 0.5)
	g.Fill(y, 0.25)
	tx, ty, tz := x.(*tensor), y.(*tensor), z.(*tensor)
	run := func() {
		if raw {
			// Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: B first.
			if err := g.d.gemm(false, false, n, n, n, 1, ty.ptr, n, n*n, tx.ptr, n, n*n, 0, tz.ptr, n, n*n, batch); err != nil {
				b.Fatal(err)
			}
			return
		}
		g.BatchMatMul(false, false, 1, x, y, 0, z)
	}
	timeLoop(b, g, run)
	b.ReportMetric(2*float64(batch)*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkIndex times Gather and ScatterAdd of n rows of an embedding
// table [v, d] (a batch of token embeddings and its gradient), in GB/s of
// rows moved; ScatterAdd's includes the counting sort of the indices.
func BenchmarkIndex(b *testing.B) {
	const v, d, n = 50000, 256, 8192
	for _, op := range []string{"Gather", "ScatterAdd"} {
		b.Run(op, func(b *testing.B) {
			g := open(b, Options{})
			defer g.Close()
			table, rows, idx := g.Alloc(v, d), g.Alloc(n, d), g.AllocInt32(n)
			g.Fill(table, 0.5)
			g.Fill(rows, 0.25)
			iv := make([]int32, n)
			for i := range iv {
				iv[i] = int32(i * 7919 % 1000) // 1000 distinct rows, each used about 8 times
			}
			g.UploadInt32(idx, iv)
			run := func() { g.Gather(table, idx, rows) }
			if op == "ScatterAdd" {
				run = func() { g.ScatterAdd(rows, idx, table) }
			}
			timeLoop(b, g, run)
			b.ReportMetric(2*4*n*d*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// composedCells hides the backend's Recurrent, so that backend.GRUCell
// & co. run their fallback composed of Viewer and core ops.
type composedCells struct {
	backend.Backend
	backend.Viewer
}

// BenchmarkRecurrent times one step's cell ops, forward and backward
// (GRUCell and GRUCellBackward, or LSTMCell and LSTMCellBackward), at
// cmd/charlm's size (batch 64, hidden 256), through the backend's fused
// kernels ("fused") and through the fallback composed of core ops
// ("composed"), side by side, in GB/s of the tensors the fused kernels
// read and write (25·N·H floats for GRU, 24·N·H for LSTM). The steps
// repeat on the gates the last one left, which keeps them finite.
func BenchmarkRecurrent(b *testing.B) {
	const n, h = 64, 256
	for _, cell := range []string{"gru", "lstm"} {
		for _, how := range []string{"fused", "composed"} {
			b.Run(cell+"/"+how, func(b *testing.B) {
				g := open(b, Options{})
				defer g.Close()
				var be backend.Backend = g
				if how == "composed" {
					be = composedCells{g, g}
				}
				var s [5]backend.Tensor
				for i := range s {
					s[i] = g.Alloc(n, h)
				}
				var run func()
				floats := 0
				switch cell {
				case "gru":
					gx, gh, bias, dgx, dgh := g.Alloc(n, 3*h), g.Alloc(n, 3*h), g.Alloc(3*h), g.Alloc(n, 3*h), g.Alloc(n, 3*h)
					for _, x := range []backend.Tensor{gx, gh, bias} {
						g.Fill(x, 0.25)
					}
					run = func() {
						backend.GRUCell(be, gx, gh, bias, s[0], s[1])
						backend.GRUCellBackward(be, gx, gh, s[0], s[2], dgx, dgh, s[3])
					}
					floats = 25
				case "lstm":
					gates, dgates := g.Alloc(n, 4*h), g.Alloc(n, 4*h)
					g.Fill(gates, 0.25)
					run = func() {
						backend.LSTMCell(be, gates, s[0], s[1], s[2])
						backend.LSTMCellBackward(be, gates, s[0], s[1], s[3], s[4], dgates)
					}
					floats = 24
				}
				for _, x := range s {
					g.Fill(x, 0.5)
				}
				timeLoop(b, g, run)
				b.ReportMetric(float64(4*floats*n*h)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// coreOnly hides every optional op group of a backend, so that
// backend.ConvPool & co. run their fallback of core ops.
type coreOnly struct{ backend.Backend }

// BenchmarkConvPool times one training step's ConvPool and
// ConvPoolBackward (with bias, ReLU, dx and reluX, as nn runs the unit)
// through the backend's kernels ("fused") and through the fallback of
// core ops ("composed"), side by side, in images/s: the cnn model's second
// convolution (32 → 64 channels, 3×3 on 26×26, pooled 2×2) at batch 64 and
// the fast model's second (24 → 32, 3×3 on 12×12) at batch 256.
func BenchmarkConvPool(b *testing.B) {
	for _, c := range []struct {
		name           string
		n, c, hw, f, k int
	}{{"cnn64", 64, 32, 26, 64, 3}, {"fast256", 256, 24, 12, 32, 3}} {
		for _, how := range []string{"fused", "composed"} {
			b.Run(c.name+"/"+how, func(b *testing.B) {
				g := open(b, Options{})
				defer g.Close()
				var be backend.Backend = g
				if how == "composed" {
					be = coreOnly{g}
				}
				cg := backend.ConvGeom{N: c.n, C: c.c, H: c.hw, W: c.hw, KH: c.k, KW: c.k, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
				pg := backend.PoolGeom{N: c.n, C: c.f, H: cg.OutH(), W: cg.OutW(), KH: 2, KW: 2, StrideH: 2, StrideW: 2}
				x, w, bias := g.Alloc(c.n, c.c, c.hw, c.hw), g.Alloc(c.f, c.c, c.k, c.k), g.Alloc(c.f)
				y, arg, dy := g.Alloc(c.n, c.f, pg.OutH(), pg.OutW()), g.Alloc(c.n, c.f, pg.OutH(), pg.OutW()), g.Alloc(c.n, c.f, pg.OutH(), pg.OutW())
				dx, dw, db := g.Alloc(c.n, c.c, c.hw, c.hw), g.Alloc(c.f, c.c, c.k, c.k), g.Alloc(c.f)
				xs := make([]float32, c.n*c.c*c.hw*c.hw)
				for i := range xs {
					xs[i] = max(0, float32(i*7919%1000)/1000-0.3) // a ReLU's output: 0 in a third, for the masks
				}
				g.Upload(x, xs)
				ws := make([]float32, c.f*c.c*c.k*c.k)
				for i := range ws {
					ws[i] = (float32(i*104729%1000)/1000 - 0.5) / float32(c.c*c.k*c.k) // both signs
				}
				g.Upload(w, ws)
				g.Fill(bias, 0.01)
				g.Fill(dy, 0.5)
				run := func() {
					backend.ConvPool(be, x, w, bias, y, arg, cg, pg, true)
					backend.ConvPoolBackward(be, x, w, y, arg, dy, dx, dw, db, cg, pg, true, true)
				}
				timeLoop(b, g, run)
				b.ReportMetric(float64(c.n)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

// timeLoop runs run once untimed, then b.N times timed, the stream
// synchronised before the timer starts and before it stops.
func timeLoop(b *testing.B, g *Backend, run func()) {
	b.Helper()
	run()
	if err := g.Sync(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		run()
	}
	if err := g.Sync(); err != nil {
		b.Fatal(err)
	}
}

var _ backend.Backend = (*Backend)(nil)
