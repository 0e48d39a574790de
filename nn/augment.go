package nn

import (
	"fmt"
	"math/rand"
)

// RandomShift returns a Trainer.Augment function that translates every
// sample of shape [C, H, W] by a random whole number of pixels, dy and dx
// drawn independently and uniformly from [−maxShift, maxShift]: out[c, h, w] =
// in[c, h−dy, w−dx] where that lies inside the image, fill elsewhere.
// Use the value that blank input has after normalisation as fill. The
// returned function keeps a scratch buffer and must not be called
// concurrently.
func RandomShift(shape []int, maxShift int, fill float32) (func(x []float32, rng *rand.Rand), error) {
	if len(shape) != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1 {
		return nil, fmt.Errorf("nn: RandomShift: sample shape %v, want [C H W] with positive sizes", shape)
	}
	if maxShift < 0 {
		return nil, fmt.Errorf("nn: RandomShift: max shift %d, want at least 0", maxShift)
	}
	c, h, w := shape[0], shape[1], shape[2]
	size := c * h * w
	scratch := make([]float32, size)
	return func(x []float32, rng *rand.Rand) {
		for s := 0; s+size <= len(x); s += size {
			dy, dx := rng.Intn(2*maxShift+1)-maxShift, rng.Intn(2*maxShift+1)-maxShift
			if dy == 0 && dx == 0 {
				continue
			}
			img := x[s : s+size]
			copy(scratch, img)
			for i := range img {
				img[i] = fill
			}
			lo, hi := clampRange(dx, w)
			if lo >= hi {
				continue // shifted out of the image sideways: all fill
			}
			for ch := 0; ch < c; ch++ {
				for row := max(dy, 0); row < min(h+dy, h); row++ {
					dst := img[(ch*h+row)*w:]
					from := scratch[(ch*h+row-dy)*w:]
					copy(dst[lo:hi], from[lo-dx:hi-dx])
				}
			}
		}
	}, nil
}

// clampRange returns the output columns [lo, hi) of a row of width w that a
// shift by dx fills from inside the input row.
func clampRange(dx, w int) (lo, hi int) {
	if dx >= 0 {
		return min(dx, w), w
	}
	return 0, max(w+dx, 0)
}
