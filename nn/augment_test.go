package nn_test

import (
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

func TestRandomShift(t *testing.T) {
	// A shift of up to 2 pixels, and one of up to 9, which can move a
	// 5×7 image out of the frame entirely.
	for _, maxShift := range []int{2, 9} {
		testRandomShift(t, maxShift)
	}
	shape := []int{2, 5, 7}
	for _, bad := range []struct {
		shape []int
		max   int
	}{{[]int{5, 7}, 1}, {[]int{1, 0, 3}, 1}, {shape, -1}} {
		if _, err := nn.RandomShift(bad.shape, bad.max, 0); err == nil {
			t.Errorf("RandomShift(%v, %d) succeeded", bad.shape, bad.max)
		}
	}
}

// testRandomShift shifts 40 random 2×5×7 samples by up to maxShift pixels
// and compares every pixel with the shift recomputed from the same seed.
func testRandomShift(t *testing.T, maxShift int) {
	t.Helper()
	shape := []int{2, 5, 7}
	const n, fill = 40, -0.5
	aug, err := nn.RandomShift(shape, maxShift, fill)
	if err != nil {
		t.Fatal(err)
	}
	src := rand.New(rand.NewSource(1))
	in := make([]float32, n*2*5*7)
	for i := range in {
		in[i] = src.Float32() + 1
	}
	x := append([]float32(nil), in...)
	aug(x, rand.New(rand.NewSource(9)))

	// Replay the generator: two draws per sample, dy then dx.
	rng := rand.New(rand.NewSource(9))
	moved := 0
	for s := 0; s < n; s++ {
		dy, dx := rng.Intn(2*maxShift+1)-maxShift, rng.Intn(2*maxShift+1)-maxShift
		if dy != 0 || dx != 0 {
			moved++
		}
		for c := 0; c < 2; c++ {
			for h := 0; h < 5; h++ {
				for w := 0; w < 7; w++ {
					want := float32(fill)
					if sh, sw := h-dy, w-dx; sh >= 0 && sh < 5 && sw >= 0 && sw < 7 {
						want = in[s*70+(c*5+sh)*7+sw]
					}
					if got := x[s*70+(c*5+h)*7+w]; got != want {
						t.Fatalf("max shift %d, sample %d (dy %d, dx %d) [%d %d %d]: got %v, want %v", maxShift, s, dy, dx, c, h, w, got, want)
					}
				}
			}
		}
	}
	if moved < n/2 {
		t.Errorf("max shift %d: only %d of %d samples moved", maxShift, moved, n)
	}
}

// TestTrainerAugment checks that Fit passes every training batch, and only
// training batches, through Augment.
func TestTrainerAugment(t *testing.T) {
	b := newCPU(t)
	data := nn.Dataset{X: []float32{0, 0, 0, 1, 1, 0, 1, 1}, XShape: []int{2}, Y: nn.OneHot([]int{0, 1, 1, 0}, 2), YShape: []int{2}}
	m, err := nn.NewSequential(b, []int{2}, 1, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	calls, values := 0, 0
	tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b),
		Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.01)), BatchSize: 3,
		Augment: func(x []float32, _ *rand.Rand) { calls++; values += len(x) }}
	if _, err := tr.Fit(data, 2, &data); err != nil {
		t.Fatal(err)
	}
	if calls != 4 || values != 2*4*2 {
		t.Errorf("Augment called %d times with %d values; want 4 calls (2 epochs × 2 batches), 16 values", calls, values)
	}
}
