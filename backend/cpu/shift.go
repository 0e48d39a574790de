package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
)

var _ backend.Shifter = (*Backend)(nil)

// ShiftImages writes y [N, C, H, W] with every image of x translated by
// its own whole-pixel offset (dy, dx), row n of the int32 tensor shifts
// [N, 2]: y[n, c, h, w] = x[n, c, h−dy, w−dx] where that lies inside the
// image, fill elsewhere (see backend.Shifter; no single PyTorch op, a
// torch.roll without wrap-around). Every output row is written once: fill
// on either side of one copy of the source row's part that stays in the
// frame. Batches of more than elemGrain elements are split between
// goroutines by images. y must not share memory with x.
func (b *Backend) ShiftImages(x, shifts, y backend.Tensor, fill float32) {
	const op = "ShiftImages"
	tx, ts, ty := b.tensor(op, x), b.int32Tensor(op, shifts), b.tensor(op, y)
	n, c, h, w := check.ShiftImages(op, tx.shape, ts.shape, ty.shape)
	if overlap(tx.data, ty.data) {
		panic(fmt.Sprintf("cpu: ShiftImages: y %v shares memory with x %v", ty.shape, tx.shape))
	}
	t := shiftTasks.Get()
	*t = shiftTask{x: tx.data, y: ty.data, shifts: ts.ints, c: c, h: h, w: w, fill: fill}
	parallelDo(n, max(1, elemGrain/(c*h*w)), t)
	*t = shiftTask{}
	shiftTasks.Put(t)
}

// shiftTask shifts the images [lo, hi) of a ShiftImages call.
type shiftTask struct {
	x, y    []float32
	shifts  []int32
	c, h, w int
	fill    float32
}

var shiftTasks freelist.List[shiftTask]

func (t *shiftTask) run(_, lo, hi int) {
	h, w := t.h, t.w
	img := t.c * h * w
	for i := lo; i < hi; i++ {
		dy, dx := int(t.shifts[2*i]), int(t.shifts[2*i+1])
		r0, r1 := inFrame(dy, h)
		c0, c1 := inFrame(dx, w)
		if c0 >= c1 {
			r0, r1 = 0, 0 // shifted out sideways: no row keeps a pixel
		}
		src, dst := t.x[i*img:(i+1)*img], t.y[i*img:(i+1)*img]
		for p := 0; p < img; p += h * w {
			plane := dst[p : p+h*w]
			fillSlice(plane[:r0*w], t.fill)
			for r := r0; r < r1; r++ {
				row := plane[r*w : (r+1)*w]
				fillSlice(row[:c0], t.fill)
				from := src[p+(r-dy)*w:]
				copy(row[c0:c1], from[c0-dx:c1-dx])
				fillSlice(row[c1:], t.fill)
			}
			fillSlice(plane[r1*w:], t.fill)
		}
	}
}

// inFrame returns the output positions [lo, hi) along an axis of size n
// whose source, shifted by d, lies inside [0, n).
func inFrame(d, n int) (lo, hi int) {
	return min(max(d, 0), n), max(min(n+d, n), 0)
}

// fillSlice sets every element of d to v.
func fillSlice(d []float32, v float32) {
	for i := range d {
		d[i] = v
	}
}
