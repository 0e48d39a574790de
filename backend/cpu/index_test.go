package cpu_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// indexOps returns calls of the view, index and batched-product ops at
// sizes that split them between goroutines, every path of each: ScatterAdd
// by columns and by rows, BatchMatMul over the batch and tile by tile,
// CopyRegion in long pieces and in tiles. It returns the outputs whose
// contents the calls write.
func indexOps(b *cpu.Backend) (ops []struct {
	name string
	f    func()
}, outs []backend.Tensor) {
	r := rand.New(rand.NewPCG(3, 4))
	ids := func(n, v int) backend.Tensor {
		x := make([]int32, n)
		for i := range x {
			x[i] = int32(r.IntN(v))
		}
		t := b.AllocInt32(n)
		b.UploadInt32(t, x)
		return t
	}
	table, gathered := uploadRandom(b, r, 300, 500), b.Alloc(400, 500)
	idx := ids(400, 300)
	wide := uploadRandom(b, r, 40, 2000)
	wideSrc, wideIdx := uploadRandom(b, r, 300, 2000), ids(300, 40)
	tall := uploadRandom(b, r, 5000, 8)
	tallSrc, tallIdx := uploadRandom(b, r, 30000, 8), ids(30000, 5000)
	labels, onehot := ids(4000, 10), b.Alloc(4000, 10)
	pred, count := uploadRandom(b, r, 4000, 10), b.Alloc(1)
	x, y, z := uploadRandom(b, r, 64, 64, 64), uploadRandom(b, r, 64, 64, 64), b.Alloc(64, 64, 64)
	bx, by, bz := uploadRandom(b, r, 1, 200, 150), uploadRandom(b, r, 1, 150, 170), b.Alloc(1, 200, 170)
	long, longDst := uploadRandom(b, r, 2, 300000), b.Alloc(2, 300001)
	sq, sqT := uploadRandom(b, r, 4, 300, 200), b.Alloc(4, 200, 300)
	view := b.Slice(table, 0, 1)
	i := 0
	ops = []struct {
		name string
		f    func()
	}{
		{"Gather", func() { b.Gather(table, idx, gathered) }},
		{"ScatterAdd by columns", func() { b.ScatterAdd(wideSrc, wideIdx, wide) }},
		{"ScatterAdd by rows", func() { b.ScatterAdd(tallSrc, tallIdx, tall) }},
		{"OneHot", func() { b.OneHot(labels, onehot) }},
		{"CountCorrectLabels", func() { b.CountCorrectLabels(pred, labels, count) }},
		{"BatchMatMul over the batch", func() { b.BatchMatMul(false, true, 1, x, y, 0.5, z) }},
		{"BatchMatMul by tiles", func() { b.BatchMatMul(false, false, 1, bx, by, 0, bz) }},
		{"CopyRegion long rows", func() {
			b.CopyRegion(longDst, backend.Region{Offset: 1, Strides: [4]int{0, 0, 300001, 1}}, long,
				backend.Region{Strides: [4]int{0, 0, 300000, 1}}, [4]int{1, 1, 2, 300000}, true)
		}},
		{"CopyRegion transpose", func() {
			b.CopyRegion(sqT, backend.Region{Strides: [4]int{0, 60000, 300, 1}}, sq,
				backend.Region{Strides: [4]int{0, 60000, 1, 200}}, [4]int{1, 4, 200, 300}, true)
		}},
		{"SliceInto", func() { b.SliceInto(view, table, i%300, i%300+1); i++ }},
	}
	return ops, []backend.Tensor{gathered, wide, tall, onehot, count, z, bz, longDst, sqT}
}

// TestIndexOpsDoNotAllocate checks that the view, index and batched-product
// ops allocate nothing per call after warm-up, on every path.
func TestIndexOpsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop pooled tasks at random")
	}
	b := cpu.New()
	defer b.Close()
	ops, _ := indexOps(b)
	for _, op := range ops {
		if a := allocsPerRun(10, op.f); a != 0 {
			t.Errorf("%s: %d allocations per call, want 0", op.name, a)
		}
	}
}

// TestIndexOpsSameBitsAnyGOMAXPROCS checks that the ops give the same bits
// on one, two and three threads: ScatterAdd's sums in the order of the
// indices, BatchMatMul's products and CopyRegion's sums do not depend on
// the split.
func TestIndexOpsSameBitsAnyGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var want [][]float32
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		b := cpu.New()
		ops, outs := indexOps(b)
		for _, op := range ops {
			op.f()
			op.f() // twice: the accumulating ops read what the first call wrote
		}
		for i, o := range outs {
			got := make([]float32, o.Shape().Len())
			b.Download(got, o)
			if procs == 1 {
				want = append(want, got)
				continue
			}
			for j := range got {
				if math.Float32bits(got[j]) != math.Float32bits(want[i][j]) {
					t.Errorf("GOMAXPROCS %d: output %d (shape %v) differs from one thread's at element %d: %v, want %v",
						procs, i, o.Shape(), j, got[j], want[i][j])
					break
				}
			}
		}
		b.Close()
	}
}

// TestGatherInt32Bits gathers int32 rows whose bits include float32 NaNs
// and negative numbers (which Gather moves through its float32 kernel),
// with rows of 1, 5 and 16 elements (the wider ones split between
// goroutines), and checks every element against the table.
func TestGatherInt32Bits(t *testing.T) {
	b := cpu.New()
	defer b.Close()
	r := rand.New(rand.NewPCG(11, 12))
	for _, d := range []int{1, 5, 16} {
		const v, n = 1000, 40000
		table := make([]int32, v*d)
		for i := range table {
			table[i] = int32(r.Uint32())
		}
		table[0], table[len(table)-1] = -1, 0x7fc00001 // a NaN's bits, a signalling NaN's
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(r.IntN(v))
		}
		idx[0], idx[n-1] = 0, v-1
		tt, ti, out := b.AllocInt32(v, d), b.AllocInt32(n), b.AllocInt32(n, d)
		b.UploadInt32(tt, table)
		b.UploadInt32(ti, idx)
		b.Gather(tt, ti, out)
		got := make([]int32, n*d)
		b.DownloadInt32(got, out)
		for i, x := range idx {
			for j := range d {
				if got[i*d+j] != table[int(x)*d+j] {
					t.Fatalf("d=%d: out[%d, %d] = %#x, want table[%d, %d] = %#x", d, i, j, got[i*d+j], x, j, table[int(x)*d+j])
				}
			}
		}
	}
}
