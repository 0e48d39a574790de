package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// BenchmarkGather gathers a 64 MB output from a 64 MB table in a random
// order, with rows of 4 KB and of 64 bytes, and in each iteration, as the
// bandwidth to compare with, Go's copy of a slice of the same size (the
// ReLU benchmark's measure; alternating the two lets both see the same
// machine load). It counts the bytes read and written, and reports each
// one's GB/s and Gather's fraction of copy's ("of-copy"). Run with -cpu 1
// for one thread. The outputs' pages are written once before the timing:
// a first write faults them in, which can cost more than the gather.
func BenchmarkGather(bm *testing.B) {
	const n = 1 << 24 // 64 MB of float32
	src, dst := make([]float32, n), make([]float32, n)
	for i := range src {
		src[i] = float32(i)
	}
	copy(dst, src)
	for _, d := range []int{1024, 16} {
		bm.Run(fmt.Sprintf("rows%dB", 4*d), func(bm *testing.B) {
			b := cpu.New()
			defer b.Close()
			r := rand.New(rand.NewPCG(1, 2))
			v := n / d
			table, out := uploadRandom(b, r, v, d), b.Alloc(v, d)
			perm := make([]int32, v)
			for i, p := range r.Perm(v) {
				perm[i] = int32(p)
			}
			idx := b.AllocInt32(v)
			b.UploadInt32(idx, perm)
			b.Gather(table, idx, out)
			var gather, cp time.Duration
			for bm.Loop() {
				t0 := time.Now()
				b.Gather(table, idx, out)
				t1 := time.Now()
				copy(dst, src)
				gather += t1.Sub(t0)
				cp += time.Since(t1)
			}
			gb := float64(8*n) * float64(bm.N) / 1e9
			bm.ReportMetric(gb/gather.Seconds(), "gather-GB/s")
			bm.ReportMetric(gb/cp.Seconds(), "copy-GB/s")
			bm.ReportMetric(cp.Seconds()/gather.Seconds(), "of-copy")
		})
	}
}

// BenchmarkScatterAdd adds 65536 rows of 256 floats (64 MB) into a table of
// 4096 rows, counting src read and the table rows read and written.
func BenchmarkScatterAdd(bm *testing.B) {
	const n, v, d = 1 << 16, 1 << 12, 256
	b := cpu.New()
	defer b.Close()
	r := rand.New(rand.NewPCG(1, 2))
	src, table := uploadRandom(b, r, n, d), uploadRandom(b, r, v, d)
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(r.IntN(v))
	}
	idx := b.AllocInt32(n)
	b.UploadInt32(idx, ids)
	for bm.Loop() {
		b.ScatterAdd(src, idx, table)
	}
	reportGBs(bm, 12*n*d)
}

// BenchmarkBatchMatMul times 64 products of 64×64×64 as one BatchMatMul
// and as a loop of 64 MatMul calls on separate tensors, alternately in
// each iteration, so that both see the same machine load; it reports
// each one's GFLOP/s and the ratio of the loop's time to the batched
// call's ("speedup"), over all iterations and for the fastest iteration
// of each ("best-"): on a machine that other work shares, a thread the
// system deschedules in the middle of a product makes the batched call
// wait for it, which the means show and the fastest iterations do not.
// The target is for -cpu 2.
func BenchmarkBatchMatMul(bm *testing.B) {
	const batch, m = 64, 64
	flops := 2 * float64(batch*m*m*m)
	b := cpu.New()
	defer b.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for _, trans := range []bool{false, true} {
		bm.Run(fmt.Sprintf("transB=%v", trans), func(bm *testing.B) {
			x, y, z := uploadRandom(b, r, batch, m, m), uploadRandom(b, r, batch, m, m), b.Alloc(batch, m, m)
			var xs, ys, zs [batch]backend.Tensor
			for i := range batch {
				xs[i], ys[i], zs[i] = uploadRandom(b, r, m, m), uploadRandom(b, r, m, m), b.Alloc(m, m)
			}
			var batched, loop time.Duration
			bestBatched, bestLoop := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			for bm.Loop() {
				t0 := time.Now()
				b.BatchMatMul(false, trans, 1, x, y, 0, z)
				t1 := time.Now()
				for i := range batch {
					b.MatMul(false, trans, 1, xs[i], ys[i], 0, zs[i])
				}
				t2 := time.Now()
				batched += t1.Sub(t0)
				loop += t2.Sub(t1)
				bestBatched, bestLoop = min(bestBatched, t1.Sub(t0)), min(bestLoop, t2.Sub(t1))
			}
			bm.ReportMetric(flops*float64(bm.N)/batched.Seconds()/1e9, "batched-GFLOP/s")
			bm.ReportMetric(flops*float64(bm.N)/loop.Seconds()/1e9, "loop-GFLOP/s")
			bm.ReportMetric(loop.Seconds()/batched.Seconds(), "speedup")
			bm.ReportMetric(flops/bestBatched.Seconds()/1e9, "best-batched-GFLOP/s")
			bm.ReportMetric(bestLoop.Seconds()/bestBatched.Seconds(), "best-speedup")
		})
	}
}

// BenchmarkSliceInto re-aims a view, the step of a loop over time steps
// or batches (no allocation, a few nanoseconds whatever the size).
func BenchmarkSliceInto(bm *testing.B) {
	b := cpu.New()
	defer b.Close()
	x := b.Alloc(1024, 64, 64)
	v := b.Slice(x, 0, 1)
	bm.ReportAllocs()
	i := 0
	for bm.Loop() {
		b.SliceInto(v, x, i, i+1)
		i = (i + 1) % 1024
	}
}

// BenchmarkCopyRegion times CopyRegion as x[:, t] out of a [64, 256, 1024]
// batch (rows of 4 KB, 64 MB in all) and as the transpose of the last two
// axes of [16, 1024, 1024] (64 MB), counting the bytes read and written.
func BenchmarkCopyRegion(bm *testing.B) {
	b := cpu.New()
	defer b.Close()
	r := rand.New(rand.NewPCG(1, 2))
	bm.Run("slice_axis1", func(bm *testing.B) {
		const n, t, f = 64, 256, 1024
		x, y := uploadRandom(b, r, n, t, f), b.Alloc(n, f)
		for bm.Loop() {
			// All t steps: as much traffic as one copy of x.
			for s := range t {
				b.CopyRegion(y, backend.Region{Strides: [4]int{0, 0, f, 1}}, x,
					backend.Region{Offset: s * f, Strides: [4]int{0, 0, t * f, 1}}, [4]int{1, 1, n, f}, false)
			}
		}
		reportGBs(bm, 8*n*t*f)
	})
	bm.Run("transpose", func(bm *testing.B) {
		const bt, m = 16, 1024
		x, y := uploadRandom(b, r, bt, m, m), b.Alloc(bt, m, m)
		for bm.Loop() {
			b.CopyRegion(y, backend.Region{Strides: [4]int{0, m * m, m, 1}}, x,
				backend.Region{Strides: [4]int{0, m * m, 1, m}}, [4]int{1, bt, m, m}, false)
		}
		reportGBs(bm, 8*bt*m*m)
	})
}
