package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Dropout is inverted dropout with drop probability P in training, identity
// in evaluation. In training each value is kept with probability 1 − P and
// scaled by 1/(1 − P), so that its expectation is unchanged:
//
//	y = x∘mask,  mask[i] = 1/(1−P) with probability 1−P, else 0
//
// and Backward multiplies by the same mask. The mask of each training
// Forward comes from Backend.DropoutMask under a seed that is a fixed
// function of Step and of a base drawn from the model's rng at Build, so
// the masks depend only on the model seed and the number of training
// Forwards before: a resumed run that restores Step draws the same masks.
type Dropout struct {
	P    float32 // drop probability, 0 ≤ P < 1
	Step uint64  // training Forwards done; the next draws the mask of step Step

	b     backend.Backend
	in    []int
	base  uint64 // seed base drawn at Build
	train bool   // whether the last Forward was in training mode
	cur   *dropoutBufs
	bufs  BatchCache[dropoutBufs]
}

// dropoutBufs are a Dropout layer's buffers for one batch size.
type dropoutBufs struct {
	ioBufs
	mask backend.Tensor
}

// Build implements Layer. It draws the seed base from rng and sets Step to 0.
func (d *Dropout) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	if !(d.P >= 0 && d.P < 1) {
		return nil, fmt.Errorf("%v: P must be in [0, 1)", d)
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", d, err)
	}
	*d = Dropout{P: d.P, b: b, in: append([]int(nil), in...), base: rng.Uint64()}
	return append([]int(nil), in...), nil
}

// maskSeed returns the DropoutMask seed of training step step for seed base
// base: the SplitMix64 finaliser of base + (step+1)·0xD1B54A32D192ED03, so
// that the seeds of consecutive steps are unrelated (DropoutMask itself
// walks seed + (i+1)·0x9E3779B97F4A7C15, which another step's stream must
// not overlap).
func maskSeed(base, step uint64) uint64 {
	z := base + (step+1)*0xD1B54A32D192ED03
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// Forward implements Layer: in training it draws the mask of step Step,
// increments Step and multiplies; in evaluation it copies x.
func (d *Dropout) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(d, x, d.in)
	d.cur = d.bufs.Get(n, func(n int) *dropoutBufs {
		return &dropoutBufs{ioBufs: ioBufs{y: d.b.Alloc(withBatch(n, d.in)...)}}
	})
	d.train = train
	if !train {
		d.b.Copy(d.cur.y, x)
		return d.cur.y
	}
	if d.cur.mask == nil {
		d.cur.mask = d.b.Alloc(withBatch(n, d.in)...)
	}
	d.b.DropoutMask(d.cur.mask, d.P, maskSeed(d.base, d.Step))
	d.Step++
	d.b.Mul(x, d.cur.mask, d.cur.y)
	return d.cur.y
}

// Backward implements Layer: dx = dy∘mask with the mask of the last
// Forward in training, dx = dy after one in evaluation.
func (d *Dropout) Backward(dy backend.Tensor) backend.Tensor {
	if d.cur == nil {
		panicNoForward(d)
	}
	CheckGrad(d, dy, d.cur.y)
	if d.cur.dx == nil {
		d.cur.dx = d.b.Alloc(withBatch(dy.Shape()[0], d.in)...)
	}
	if d.train {
		d.b.Mul(dy, d.cur.mask, d.cur.dx)
	} else {
		d.b.Copy(d.cur.dx, dy)
	}
	return d.cur.dx
}

// Params implements Layer; Dropout has none.
func (d *Dropout) Params() []*Param { return nil }

// String describes the layer, e.g. "Dropout(0.5)".
func (d *Dropout) String() string { return fmt.Sprintf("Dropout(%g)", d.P) }

// Counters implements Counted: the random stream's position Step ("step")
// and its seed base ("seed"), which training checkpoints save.
func (d *Dropout) Counters() []Counter {
	return []Counter{
		{Name: "step", Get: func() int64 { return int64(d.Step) }, Set: func(v int64) { d.Step = uint64(v) }, Stream: true},
		{Name: "seed", Get: func() int64 { return int64(d.base) }, Set: func(v int64) { d.base = uint64(v) }, Stream: true},
	}
}
