package nn

import (
	"fmt"
	"math/rand"
)

// Augmenter is a data augmentation given as a value, for
// Trainer.Augmenter: Augment transforms a training batch on the host as a
// Trainer.Augment function does (x holds the batch's samples, prod(XShape)
// values each, sample after sample, and is changed in place; rng is
// seeded for the batch). An Augmenter that also implements a device form,
// such as ShiftAugmenter, lets Fit apply it on the device instead.
type Augmenter interface {
	Augment(x []float32, rng *rand.Rand)
}

// ShiftAugmenter is an Augmenter that translates every sample of shape
// [C, H, W] by a whole-pixel offset (dy, dx) that it draws from rng:
// out[c, h, w] = in[c, h−dy, w−dx] where that lies inside the image, fill
// elsewhere (backend.Shifter's definition). Shift is one. Fit applies it
// on the device with backend.ShiftImages when the backend is a
// backend.Shifter and it keeps the training set on the device, with the
// offsets DrawShifts gives for the same rng, so both paths train on the
// same samples, bit for bit.
type ShiftAugmenter interface {
	Augmenter
	// ShiftShape returns the sample shape [C, H, W] the offsets apply
	// to and the value of the pixels a shift uncovers.
	ShiftShape() (shape []int, fill float32)
	// DrawShifts writes the offsets of a batch of len(dst)/2 samples,
	// (dy, dx) of sample i into dst[2i] and dst[2i+1], drawing from rng
	// what Augment would draw for a batch of that many samples: Augment
	// on that batch translates sample i by exactly (dst[2i], dst[2i+1]),
	// and leaves rng in the same state.
	DrawShifts(dst []int32, rng *rand.Rand)
}

// Shift is random-shift augmentation: every sample of shape [C, H, W] is
// translated by a whole number of pixels, dy and dx drawn independently
// and uniformly from [−MaxShift, MaxShift] (dy first), out[c, h, w] =
// in[c, h−dy, w−dx] where that lies inside the image, fill elsewhere.
// It is a ShiftAugmenter, so Trainer.Augmenter = shift lets Fit apply it
// on the device; RandomShift gives its Augment method as a
// Trainer.Augment function. Augment keeps a scratch buffer, so a Shift
// must not augment two batches concurrently.
type Shift struct {
	shape    [3]int
	maxShift int
	fill     float32
	scratch  []float32
}

var _ ShiftAugmenter = (*Shift)(nil)

// NewShift returns a Shift of samples of the given shape [C, H, W] by up
// to maxShift pixels each way, filling with fill. Use the value that blank
// input has after normalisation as fill.
func NewShift(shape []int, maxShift int, fill float32) (*Shift, error) {
	if len(shape) != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1 {
		return nil, fmt.Errorf("nn: Shift: sample shape %v, want [C H W] with positive sizes", shape)
	}
	if maxShift < 0 {
		return nil, fmt.Errorf("nn: Shift: max shift %d, want at least 0", maxShift)
	}
	return &Shift{shape: [3]int(shape), maxShift: maxShift, fill: fill, scratch: make([]float32, shapeLen(shape))}, nil
}

// RandomShift returns a Trainer.Augment function that translates every
// sample of shape [C, H, W] by a random whole number of pixels: the
// Augment method of NewShift(shape, maxShift, fill), with its errors. A
// function is opaque to Fit, which applies it on the host; set
// Trainer.Augmenter to the *Shift instead to let Fit apply it on the
// device. The returned function must not be called concurrently.
func RandomShift(shape []int, maxShift int, fill float32) (func(x []float32, rng *rand.Rand), error) {
	s, err := NewShift(shape, maxShift, fill)
	if err != nil {
		return nil, err
	}
	return s.Augment, nil
}

// ShiftShape returns the sample shape [C, H, W] and the fill value.
func (s *Shift) ShiftShape() (shape []int, fill float32) { return s.shape[:], s.fill }

// draw returns the offset of one sample: dy, then dx, each uniform in
// [−maxShift, maxShift].
func (s *Shift) draw(rng *rand.Rand) (dy, dx int) {
	k := 2*s.maxShift + 1
	dy = rng.Intn(k) - s.maxShift
	dx = rng.Intn(k) - s.maxShift
	return dy, dx
}

// DrawShifts writes the offsets Augment would draw from rng for a batch
// of len(dst)/2 samples: (dy, dx) of sample i into dst[2i], dst[2i+1].
func (s *Shift) DrawShifts(dst []int32, rng *rand.Rand) {
	for i := 0; i+1 < len(dst); i += 2 {
		dy, dx := s.draw(rng)
		dst[i], dst[i+1] = int32(dy), int32(dx)
	}
}

// Augment translates every whole sample of x in place by an offset drawn
// from rng.
func (s *Shift) Augment(x []float32, rng *rand.Rand) {
	c, h, w := s.shape[0], s.shape[1], s.shape[2]
	size := c * h * w
	for p := 0; p+size <= len(x); p += size {
		dy, dx := s.draw(rng)
		if dy == 0 && dx == 0 {
			continue
		}
		img := x[p : p+size]
		copy(s.scratch, img)
		for i := range img {
			img[i] = s.fill
		}
		lo, hi := clampRange(dx, w)
		if lo >= hi {
			continue // shifted out of the image sideways: all fill
		}
		for ch := 0; ch < c; ch++ {
			for row := max(dy, 0); row < min(h+dy, h); row++ {
				dst := img[(ch*h+row)*w:]
				from := s.scratch[(ch*h+row-dy)*w:]
				copy(dst[lo:hi], from[lo-dx:hi-dx])
			}
		}
	}
}

// clampRange returns the output columns [lo, hi) of a row of width w that a
// shift by dx fills from inside the input row.
func clampRange(dx, w int) (lo, hi int) {
	if dx >= 0 {
		return min(dx, w), w
	}
	return 0, max(w+dx, 0)
}
