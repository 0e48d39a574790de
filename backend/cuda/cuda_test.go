//go:build cuda

package cuda

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/backendtest"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

// open returns a backend on the default GPU, or skips the test saying why
// there is none.
func open(t testing.TB, o Options) *Backend {
	t.Helper()
	b, err := New(o)
	if err != nil {
		t.Skipf("no usable GPU, skipping: %v", err)
	}
	return b
}

func TestConformance(t *testing.T) {
	open(t, Options{}).Close()
	backendtest.Run(t, func() backend.Backend {
		b, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// TestOpenWithoutGPU checks, where the driver or the GPU is missing, that
// Open("cuda") fails with a message that says what is missing and that
// auto selection falls back to the CPU and reports why.
func TestOpenWithoutGPU(t *testing.T) {
	if _, _, err := loadDriver(); err == nil {
		t.Skip("a GPU is present; this test runs where there is none")
	}
	_, err := backend.Open("cuda")
	if err == nil || !strings.Contains(err.Error(), "backend: opening cuda: cuda: ") {
		t.Fatalf(`Open("cuda") = %v, want an error from the cuda backend`, err)
	}
	t.Log(err)
	b, skipped, err := backend.OpenReport("auto")
	if err != nil {
		t.Fatalf("OpenReport(auto): %v", err)
	}
	defer b.Close()
	if b.Name() != "cpu" {
		t.Errorf("auto opened %q, want the cpu fallback", b.Name())
	}
	if len(skipped) != 1 || !strings.HasPrefix(skipped[0].Error(), "cuda: ") {
		t.Errorf("OpenReport(auto) skipped %v, want one error from cuda", skipped)
	}
}

// TestLoadLibraryMissing checks that a library the loader cannot find
// gives the loader's message, which names it.
func TestLoadLibraryMissing(t *testing.T) {
	const missing = "libmyelin-no-such-library.so.1"
	for name, msg := range map[string]string{
		"driver": loadLibrary([]string{missing}, driverAt),
		"cuBLAS": loadLibrary([]string{missing}, cublasAt),
	} {
		if !strings.Contains(msg, missing) {
			t.Errorf("loading the %s from a missing file: message %q, want one naming it", name, msg)
		}
	}
}

func TestDeviceOutOfRange(t *testing.T) {
	_, n, err := loadDriver()
	if err != nil {
		t.Skipf("no usable GPU, skipping: %v", err)
	}
	_, err = New(Options{Device: n})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("New(Device: %d) = %v, want a does-not-exist error", n, err)
	}
}

func TestDevice(t *testing.T) {
	for _, tf32 := range []bool{false, true} {
		b := open(t, Options{TF32: tf32})
		d := b.Device()
		t.Log(d)
		want := "FP32 GEMMs"
		if tf32 {
			want = "TF32 GEMMs"
		}
		for _, s := range []string{" SMs, ", "GiB; driver CUDA ", "; cuBLAS ", want} {
			if !strings.Contains(d, s) {
				t.Errorf("Device() = %q, missing %q", d, s)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestErrorsAreSticky(t *testing.T) {
	b := open(t, Options{})
	x := b.Alloc(4)
	b.record("Fill", &Error{Op: "cuMemsetD32Async", Name: "CUDA_ERROR_ILLEGAL_ADDRESS", Code: 700})
	b.Fill(x, 1)
	for range 2 {
		err := b.Sync()
		var e *Error
		if !errors.As(err, &e) || e.Op != "Fill (cuMemsetD32Async)" || e.Name != "CUDA_ERROR_ILLEGAL_ADDRESS" {
			t.Errorf("Sync = %v, want the recorded Fill error", err)
		}
	}
	if err := b.Close(); err == nil {
		t.Error("Close after a failure returned nil")
	}
}

// step runs one training step of m on batch x, y with loss l and optimizer
// o, and returns the loss.
func step(m *nn.Sequential, l nn.Loss, o nn.Optimizer, x, y backend.Tensor) float32 {
	out := m.Forward(x, true)
	loss, grad := l.Loss(out, y)
	m.Backward(grad)
	o.Step(m.Params())
	v := make([]float32, 1)
	m.Backend().Download(v, loss)
	return v[0]
}

// lossModels are the models TestSameLossAsCPU and TestSteadyStateAllocs
// train: the CNN, and the recurrent classifiers, whose steps run the
// Recurrent cells.
var lossModels = []string{"cnn", "gru", "lstm"}

// trainModel trains the named model of package models, seeded, for steps
// SGD steps on a fixed random batch of n images on b and returns the
// losses.
func trainModel(t *testing.T, b backend.Backend, name string, n, steps int) []float32 {
	layers, err := models.ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.NewSequential(b, models.InShape, 1, layers...)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	xs := make([]float32, n*28*28)
	for i := range xs {
		xs[i] = r.Float32()
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = r.IntN(10)
	}
	x, y := b.Alloc(n, 1, 28, 28), b.Alloc(n, 10)
	b.Upload(x, xs)
	b.Upload(y, nn.OneHot(labels, 10))
	l, o := nn.NewSoftmaxCrossEntropy(b), nn.NewSGD(b, backend.SGD{LR: 0.05, Momentum: 0.9})
	losses := make([]float32, steps)
	for i := range losses {
		losses[i] = step(m, l, o, x, y)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	return losses
}

// TestSameLossAsCPU trains the same seeded model (the CNN, the GRU and the
// LSTM classifier) on the CPU and the GPU and compares the losses step by
// step. Both compute in float32 with sums in different orders, so they
// drift apart slowly: the tolerance is 10⁻⁴ relative at the first step,
// growing tenfold over the later ones.
func TestSameLossAsCPU(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	c := cpu.New()
	defer c.Close()
	const n, steps = 32, 5
	for _, name := range lossModels {
		t.Run(name, func(t *testing.T) {
			want, got := trainModel(t, c, name, n, steps), trainModel(t, g, name, n, steps)
			t.Logf("cpu losses %v\ncuda losses %v", want, got)
			for i := range want {
				tol := 1e-4 * math.Pow(10, float64(i)/float64(steps-1))
				if d := math.Abs(float64(got[i] - want[i])); !(d <= tol*math.Abs(float64(want[i]))) {
					t.Errorf("step %d: cuda loss %v, cpu %v: relative difference %.2g > %.2g", i, got[i], want[i], d/math.Abs(float64(want[i])), tol)
				}
			}
			if !(want[steps-1] < want[0]) {
				t.Errorf("cpu loss did not fall: %v", want)
			}
		})
	}
}

// TestSteadyStateAllocs checks that training steps after the first make no
// device allocations: the layers reuse their buffers and the ops' scratch
// comes back from the cache (the recurrent cells need none).
func TestSteadyStateAllocs(t *testing.T) {
	for _, name := range lossModels {
		t.Run(name, func(t *testing.T) {
			b := open(t, Options{})
			defer b.Close()
			layers, err := models.ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			m, err := nn.NewSequential(b, models.InShape, 1, layers...)
			if err != nil {
				t.Fatal(err)
			}
			x, y := b.Alloc(64, 1, 28, 28), b.Alloc(64, 10)
			b.Fill(x, 0.5)
			b.Upload(y, nn.OneHot(make([]int, 64), 10))
			l, o := nn.NewSoftmaxCrossEntropy(b), nn.NewAdam(b, nn.DefaultAdam(1e-3))
			step(m, l, o, x, y)
			step(m, l, o, x, y)
			before := b.DeviceAllocs()
			for range 5 {
				step(m, l, o, x, y)
			}
			if err := b.Sync(); err != nil {
				t.Fatal(err)
			}
			if n := b.DeviceAllocs() - before; n != 0 {
				t.Errorf("5 steady training steps made %d device allocations, want 0", n)
			}
		})
	}
}

// TestCloseReturnsMemory checks with cuMemGetInfo that Close gives back
// what a backend allocated: free memory after Close is within 64 MiB of
// free memory before New (the context itself stays with the process).
func TestCloseReturnsMemory(t *testing.T) {
	probe := open(t, Options{})
	freeBefore, _, err := probe.d.memInfo()
	if err != nil {
		t.Fatal(err)
	}
	b := open(t, Options{})
	for range 4 {
		b.Alloc(256 << 20 / 4) // 256 MiB each, never freed by the caller
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	freeDuring, _, _ := probe.d.memInfo()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	freeAfter, _, err := probe.d.memInfo()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("free MiB: before %d, with 1 GiB allocated %d, after Close %d", freeBefore>>20, freeDuring>>20, freeAfter>>20)
	if freeBefore-freeDuring < 1<<30 {
		t.Errorf("allocating 1 GiB lowered free memory by only %d MiB", (freeBefore-freeDuring)>>20)
	}
	if freeAfter+64<<20 < freeBefore {
		t.Errorf("after Close, %d MiB free, want within 64 MiB of the %d MiB before", freeAfter>>20, freeBefore>>20)
	}
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}
}
