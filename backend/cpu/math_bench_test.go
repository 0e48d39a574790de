package cpu_test

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// benchVsCopy times op, which moves bytes bytes, on one thread, and in the
// same loop Go's copy of a slice of n float32 (8n bytes read and written),
// each iteration one of each so that both see the same machine load; it
// reports both rates in GB/s and their ratio.
func benchVsCopy(bm *testing.B, n, bytes int, op func()) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	src, dst := make([]float32, n), make([]float32, n)
	for i := range src {
		src[i] = float32(i)
	}
	op()
	copy(dst, src)
	var opT, cpT time.Duration
	for bm.Loop() {
		t0 := time.Now()
		op()
		t1 := time.Now()
		copy(dst, src)
		cpT += time.Since(t1)
		opT += t1.Sub(t0)
	}
	opRate := float64(bytes) * float64(bm.N) / opT.Seconds() / 1e9
	cpRate := float64(8*n) * float64(bm.N) / cpT.Seconds() / 1e9
	bm.ReportMetric(opRate, "GB/s")
	bm.ReportMetric(cpRate, "copy-GB/s")
	bm.ReportMetric(opRate/cpRate, "ratio")
}

// BenchmarkMathVsCopy runs the Math and Reducer ops at 64 MB per operand
// (2²⁴ elements) on one thread at the best kernel level, beside Go's copy
// of 64 MB: Binary on equal shapes (a, b read, c written), against a [D]
// row, a [C, 1, 1] per-channel tensor and a one-element tensor, Affine,
// Unary Exp and Log (of |x|; x read, y written), and Reduce sums and
// maxima along the leading and the last axis of [4096, 4096] (x read).
// The targets are a ratio of 0.7 for the elementwise ops and 0.5 for the
// reductions.
func BenchmarkMathVsCopy(bm *testing.B) {
	const n = 1 << 24
	b := cpu.New()
	defer b.Close()
	r := rand.New(rand.NewPCG(1, 2))
	x, y, z := uploadRandom(b, r, 4096, 4096), uploadRandom(b, r, 4096, 4096), b.Alloc(4096, 4096)
	x4 := uploadRandom(b, r, 64, 64, 64, 64)
	z4 := b.Alloc(64, 64, 64, 64)
	row, ch, one := uploadRandom(b, r, 4096), uploadRandom(b, r, 64, 1, 1), uploadRandom(b, r, 1)
	red := b.Alloc(4096)
	xp := b.Alloc(4096, 4096)
	b.Unary(backend.OpAbs, x, xp)
	for _, c := range []struct {
		name  string
		bytes int
		op    func()
	}{
		{"Binary_same", 12 * n, func() { b.Binary(backend.OpSub, x, y, z) }},
		{"Binary_row", 8 * n, func() { b.Binary(backend.OpAdd, x, row, z) }},
		{"Binary_channel", 8 * n, func() { b.Binary(backend.OpMul, x4, ch, z4) }},
		{"Binary_scalar", 8 * n, func() { b.Binary(backend.OpDiv, x, one, z) }},
		{"Affine", 8 * n, func() { b.Affine(1.5, -0.5, x, z) }},
		{"Unary_Exp", 8 * n, func() { b.Unary(backend.OpExp, x, z) }},
		{"Unary_Log", 8 * n, func() { b.Unary(backend.OpLog, xp, z) }},
		{"Reduce_axis0", 4 * n, func() { b.Reduce(backend.ReduceSum, x, 0, red, 0) }},
		{"Reduce_lastaxis", 4 * n, func() { b.Reduce(backend.ReduceSum, x, 1, red, 0) }},
		{"Reduce_max_axis0", 4 * n, func() { b.Reduce(backend.ReduceMax, x, 0, red, 0) }},
		{"Reduce_max_lastaxis", 4 * n, func() { b.Reduce(backend.ReduceMax, x, 1, red, 0) }},
	} {
		bm.Run(c.name, func(bm *testing.B) { benchVsCopy(bm, n, c.bytes, c.op) })
	}
}
