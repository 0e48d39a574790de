package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/backendtest"
	"github.com/myelin-go/myelin/backend/cpu"
)

// TestConformance runs the conformance suite once for every kernel level
// this machine can run.
func TestConformance(t *testing.T) {
	for _, l := range cpu.Levels() {
		t.Run(l.String(), func(t *testing.T) {
			backendtest.Run(t, func() backend.Backend {
				b, err := cpu.NewLevel(l)
				if err != nil {
					t.Fatal(err)
				}
				return b
			})
		})
	}
}

func TestRegistered(t *testing.T) {
	b, err := backend.Open("cpu")
	if err != nil {
		t.Fatalf(`Open("cpu"): %v`, err)
	}
	defer b.Close()
	if b.Name() != "cpu" {
		t.Errorf(`Open("cpu").Name() = %q`, b.Name())
	}
}

func TestDeviceNamesCPU(t *testing.T) {
	d := cpu.New().Device()
	t.Log(d)
	if strings.Contains(d, "\n") {
		t.Errorf("Device() spans several lines: %q", d)
	}
	// The threads the backend uses first; the processor's count of logical
	// cores (cpuid's, 254 on a 2-vCPU virtual machine) not at all.
	if want := fmt.Sprintf("%d threads (GOMAXPROCS), ", runtime.GOMAXPROCS(0)); !strings.HasPrefix(d, want) {
		t.Errorf("Device() = %q, want it to begin with %q", d, want)
	}
	for _, want := range []string{" kernels, GEMM ", fmt.Sprintf(", %d logical CPUs available, ", runtime.NumCPU())} {
		if !strings.Contains(d, want) {
			t.Errorf("Device() = %q, missing %q", d, want)
		}
	}
	if strings.Contains(d, "logical cores") {
		t.Errorf("Device() = %q reports cpuid's count of logical cores", d)
	}
	brand := strings.TrimSpace(cpuid.CPU.BrandName)
	if brand == "" {
		t.Skip("cpuid reports no brand name on this machine")
	}
	if !strings.Contains(d, brand) {
		t.Errorf("Device() = %q, missing the CPU brand %q", d, brand)
	}
}

// mustPanic fails t unless f panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("no panic, want one mentioning %q", want)
			return
		}
		if msg, _ := r.(string); !strings.Contains(msg, want) {
			t.Errorf("panic %v, want one mentioning %q", r, want)
		}
	}()
	f()
}

func TestLifetimePanics(t *testing.T) {
	b, other := cpu.New(), cpu.New()
	x, y := b.Alloc(2, 3), b.Alloc(2, 3)
	mustPanic(t, "cpu: Alloc: non-positive dimension in shape [2 0]", func() { b.Alloc(2, 0) })
	mustPanic(t, "cpu: Copy: tensor of shape [4] belongs to another cpu backend", func() { b.Copy(x, other.Alloc(4)) })
	b.Free(nil)
	b.Free(x)
	mustPanic(t, "cpu: Fill: tensor of shape [2 3] used after Free", func() { b.Fill(x, 1) })
	mustPanic(t, "cpu: Free: tensor of shape [2 3] freed twice", func() { b.Free(x) })
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mustPanic(t, "cpu: Scale: backend is closed", func() { b.Scale(2, y) })
	mustPanic(t, "cpu: Sync: backend is closed", func() { b.Sync() })
	mustPanic(t, "cpu: Alloc: backend is closed", func() { b.Alloc(1) })
	if err := b.Close(); err == nil {
		t.Error("second Close returned nil, want an error")
	}
}

// randomTensor returns a tensor of the given shape holding standard normal
// values drawn from a generator seeded with seed.
func randomTensor(b backend.Backend, seed uint64, shape ...int) backend.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	t := b.Alloc(shape...)
	d := make([]float32, t.Shape().Len())
	for i := range d {
		d[i] = float32(r.NormFloat64())
	}
	b.Upload(t, d)
	return t
}

// deterministicOps runs the ops whose work is split over goroutines and
// summed (MatMul, Conv2DBackwardFilter, Sum, Reduce, BiasGradAdd) on fixed random inputs and
// returns their outputs.
func deterministicOps() [][]float32 {
	b := cpu.New()
	defer b.Close()
	nan := float32(math.NaN())
	var outs [][]float32
	read := func(t backend.Tensor) {
		d := make([]float32, t.Shape().Len())
		b.Download(d, t)
		outs = append(outs, d)
	}

	const m, n, k = 150, 140, 200
	c := b.Alloc(m, n)
	b.Fill(c, nan)
	b.MatMul(true, false, 1, randomTensor(b, 1, k, m), randomTensor(b, 2, k, n), 0, c)
	read(c)

	g := backend.ConvGeom{N: 9, C: 3, H: 12, W: 12, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	const f = 8
	dw := b.Alloc(f, g.C, g.KH, g.KW)
	b.Fill(dw, nan)
	b.Conv2DBackwardFilter(randomTensor(b, 3, g.N, g.C, g.H, g.W), randomTensor(b, 4, g.N, f, g.OutH(), g.OutW()), dw, g)
	read(dw)

	// Two cancelling values of 1e17 put the partial sums between them where
	// float64 rounds to multiples of 16, so any other grouping of the
	// additions shows in the float32 result.
	x := make([]float32, 300001)
	r := rand.New(rand.NewPCG(5, 7))
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	x[1000], x[250000] = 1e17, -1e17
	xs := b.Alloc(len(x))
	b.Upload(xs, x)
	sum := b.Alloc(1)
	b.Fill(sum, nan)
	b.Sum(xs, sum)
	read(sum)

	// Reductions along an axis, at sizes split over goroutines: the middle
	// axis (column blocks), the last (rows), and a leading axis under
	// 5000 columns (blocks of axisBlock); then the accumulating forms.
	for _, c := range []struct {
		shape []int
		axis  int
	}{{[]int{64, 300, 50}, 1}, {[]int{400, 1000}, 1}, {[]int{40, 5000}, 0}} {
		x := randomTensor(b, 6, c.shape...)
		for _, op := range []backend.ReduceOp{backend.ReduceSum, backend.ReduceMean} {
			y := b.Alloc(x.Shape().Len() / c.shape[c.axis])
			b.Fill(y, nan)
			b.Reduce(op, x, c.axis, y, 0)
			read(y)
			b.Reduce(op, x, c.axis, y, 0.5)
			read(y)
		}
	}
	db := b.Alloc(g.C)
	b.Fill(db, 1)
	b.BiasGradAdd(randomTensor(b, 7, 64, g.C, 30, 30), 0.5, db)
	read(db)

	// The fused convolution and pooling, large enough to run on several
	// goroutines and, backward, in several chunks of images.
	cg := backend.ConvGeom{N: 40, C: 16, H: 12, W: 12, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	pg := backend.PoolGeom{N: cg.N, C: 32, H: 12, W: 12, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	cx, cw, cb := randomTensor(b, 8, cg.N, cg.C, cg.H, cg.W), randomTensor(b, 9, pg.C, cg.C, 3, 3), randomTensor(b, 10, pg.C)
	py, pa := b.Alloc(pg.N, pg.C, 6, 6), b.Alloc(pg.N, pg.C, 6, 6)
	b.Fill(py, nan)
	b.ConvPool(cx, cw, cb, py, pa, cg, pg, false)
	read(py)
	cdw, cdb, cdx := b.Alloc(pg.C, cg.C, 3, 3), b.Alloc(pg.C), b.Alloc(cg.N, cg.C, cg.H, cg.W)
	for _, t := range []backend.Tensor{cdw, cdb, cdx} {
		b.Fill(t, nan)
	}
	b.ConvPoolBackward(cx, cw, py, pa, randomTensor(b, 11, pg.N, pg.C, 6, 6), cdx, cdw, cdb, cg, pg, false, false)
	read(cdw)
	read(cdb)
	read(cdx)
	return outs
}

// TestDeterministicAcrossGOMAXPROCS checks that the ops that split work
// over goroutines give bit-identical results for any GOMAXPROCS.
func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	names := []string{"MatMul", "Conv2DBackwardFilter", "Sum",
		"Reduce sum [64 300 50] axis 1", "Reduce sum+ [64 300 50] axis 1", "Reduce mean [64 300 50] axis 1", "Reduce mean+ [64 300 50] axis 1",
		"Reduce sum [400 1000] axis 1", "Reduce sum+ [400 1000] axis 1", "Reduce mean [400 1000] axis 1", "Reduce mean+ [400 1000] axis 1",
		"Reduce sum [40 5000] axis 0", "Reduce sum+ [40 5000] axis 0", "Reduce mean [40 5000] axis 0", "Reduce mean+ [40 5000] axis 0",
		"BiasGradAdd", "ConvPool", "ConvPoolBackward dw", "ConvPoolBackward db", "ConvPoolBackward dx"}
	runtime.GOMAXPROCS(1)
	want := deterministicOps()
	for i, out := range want {
		for j, v := range out {
			if math.IsNaN(float64(v)) || v == 0 {
				t.Fatalf("%s with GOMAXPROCS 1: element %d is %v", names[i], j, v)
			}
		}
	}
	for _, procs := range []int{2, 3, 5} {
		runtime.GOMAXPROCS(procs)
		got := deterministicOps()
		for i := range want {
			for j := range want[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
					t.Errorf("%s: element %d is %v with GOMAXPROCS %d, %v with 1", names[i], j, got[i][j], procs, want[i][j])
					break
				}
			}
		}
	}
}

// TestOpenBadLevel checks that backend.Open reports an invalid MYELIN_CPU
// once, naming the variable and the valid levels, both by name and in
// auto selection (where importing the cpu package is no remedy).
func TestOpenBadLevel(t *testing.T) {
	t.Setenv("MYELIN_CPU", "avx9")
	for _, name := range []string{"cpu", "auto"} {
		b, err := backend.Open(name)
		if err == nil {
			b.Close()
			t.Fatalf("Open(%q) with MYELIN_CPU=avx9: no error", name)
		}
		msg := err.Error()
		for _, want := range []string{"MYELIN_CPU", "generic, avx2, avx512"} {
			if !strings.Contains(msg, want) {
				t.Errorf("Open(%q): error %q, want it to mention %q", name, msg, want)
			}
		}
		if strings.Contains(msg, "cpu: cpu:") || strings.Contains(msg, "import github.com") {
			t.Errorf("Open(%q): error %q repeats itself or suggests importing the cpu package", name, msg)
		}
	}
}
