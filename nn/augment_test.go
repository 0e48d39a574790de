package nn_test

import (
	"math/rand"
	"slices"
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

// flatShift is a Shift that names a sample shape of one dimension.
type flatShift struct{ *nn.Shift }

func (flatShift) ShiftShape() ([]int, float32) { return []int{64}, 0 }

// TestShiftDrawShifts checks that a Shift's DrawShifts gives the offsets
// its Augment applies to a batch (odd sizes, several channels, offsets
// beyond the image) and leaves the generator where Augment does, and that
// Fit rejects a Shift whose samples do not have the data's size, and a
// trainer with both Augment and Augmenter.
func TestShiftDrawShifts(t *testing.T) {
	const n, c, h, w, fill = 30, 2, 5, 7, 0.25
	for _, maxShift := range []int{0, 1, 8} {
		s, err := nn.NewShift([]int{c, h, w}, maxShift, fill)
		if err != nil {
			t.Fatal(err)
		}
		if shape, f := s.ShiftShape(); !slices.Equal(shape, []int{c, h, w}) || f != fill {
			t.Errorf("ShiftShape() = %v, %v; want [%d %d %d], %v", shape, f, c, h, w, fill)
		}
		src := rand.New(rand.NewSource(4))
		in := make([]float32, n*c*h*w)
		for i := range in {
			in[i] = src.Float32() + 1
		}
		x := append([]float32(nil), in...)
		ra, rd := rand.New(rand.NewSource(8)), rand.New(rand.NewSource(8))
		s.Augment(x, ra)
		d := make([]int32, 2*n)
		s.DrawShifts(d, rd)
		if a, b := ra.Int63(), rd.Int63(); a != b {
			t.Errorf("max shift %d: the generator after Augment gives %d, after DrawShifts %d", maxShift, a, b)
		}
		for i := range n {
			dy, dx := int(d[2*i]), int(d[2*i+1])
			if dy < -maxShift || dy > maxShift || dx < -maxShift || dx > maxShift {
				t.Fatalf("max shift %d: sample %d drawn (%d, %d)", maxShift, i, dy, dx)
			}
			for p := range c * h * w {
				ch, r, col := p/(h*w), p/w%h, p%w
				want := float32(fill)
				if sr, sc := r-dy, col-dx; sr >= 0 && sr < h && sc >= 0 && sc < w {
					want = in[i*c*h*w+(ch*h+sr)*w+sc]
				}
				if got := x[i*c*h*w+p]; got != want {
					t.Fatalf("max shift %d, sample %d, offset (%d, %d), [%d %d %d]: Augment gave %v, DrawShifts' offset %v", maxShift, i, dy, dx, ch, r, col, got, want)
				}
			}
		}
	}

	b := newCPU(t)
	data := bars(12, 5)
	m, err := nn.NewSequential(b, data.XShape, 1, &nn.Flatten{}, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := nn.NewShift([]int{1, 8, 7}, 1, 0)
	right, _ := nn.NewShift([]int{1, 8, 8}, 1, 0)
	fn, _ := nn.RandomShift([]int{1, 8, 8}, 1, 0)
	for _, tc := range []struct {
		aug  nn.Augmenter
		fn   func([]float32, *rand.Rand)
		want string
	}{
		{wrong, nil, "nn: Fit: Augmenter shifts samples of shape [1 8 7]; want [C H W] with the 64 values of the training set's XShape [1 8 8]"},
		{flatShift{right}, nil, "nn: Fit: Augmenter shifts samples of shape [64]; want [C H W] with the 64 values of the training set's XShape [1 8 8]"},
		{right, fn, "nn: Fit: both Augment and Augmenter are set; set one"},
	} {
		tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.01)), Augmenter: tc.aug, Augment: tc.fn}
		if _, err := tr.Fit(data, 1, nil); err == nil || err.Error() != tc.want {
			t.Errorf("Fit: error %v, want %q", err, tc.want)
		}
	}
}
