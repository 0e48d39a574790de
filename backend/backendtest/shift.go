package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// withoutShifter hides every optional interface of a backend but Viewer
// and Indexer, so that backend.ShiftImages runs its fallback.
type withoutShifter struct {
	backend.Backend
	backend.Viewer
	backend.Indexer
}

// shiftBackends returns the backends to run the ShiftImages checks on: b
// when it is a backend.Shifter ("native"), and b with Shifter hidden when
// it is a backend.Viewer ("fallback"). It skips t when there is neither.
func shiftBackends(t *testing.T, b backend.Backend, ix backend.Indexer) []namedBackend {
	var bs []namedBackend
	if _, ok := b.(backend.Shifter); ok {
		bs = append(bs, namedBackend{"native", b})
	}
	if v, ok := b.(backend.Viewer); ok {
		bs = append(bs, namedBackend{"fallback", withoutShifter{b, v, ix}})
	}
	if len(bs) == 0 {
		t.Skip(needMessage[backend.Shifter](b) + " and backend.Viewer, which its fallback needs")
	}
	return bs
}

// shiftRef returns x [n, c, h, w] with image i translated by (dy, dx) =
// (shifts[2i], shifts[2i+1]), computed per output element in 64-bit
// integers: y[i, ch, r, col] = x[i, ch, r−dy, col−dx] inside the image,
// fill elsewhere.
func shiftRef(x []float32, shifts []int32, n, c, h, w int, fill float32) []float32 {
	y := make([]float32, 0, len(x))
	for i := range n {
		dy, dx := int64(shifts[2*i]), int64(shifts[2*i+1])
		for ch := range c {
			for r := range h {
				for col := range w {
					sr, sc := int64(r)-dy, int64(col)-dx
					if sr < 0 || sr >= int64(h) || sc < 0 || sc >= int64(w) {
						y = append(y, fill)
						continue
					}
					y = append(y, x[((i*c+ch)*h+int(sr))*w+int(sc)])
				}
			}
		}
	}
	return y
}

// shiftCase is one ShiftImages check: images [n, c, h, w], the offsets
// (nil: random in [−span, span]) and the fill value.
type shiftCase struct {
	n, c, h, w int
	shifts     []int32
	span       int
	fill       float32
}

func (s shiftCase) String() string {
	return fmt.Sprintf("x [%d %d %d %d], fill %v", s.n, s.c, s.h, s.w, s.fill)
}

// checkShiftImages checks ShiftImages, natively and through its fallback,
// exactly against shiftRef: offsets zero, negative, beyond the image and
// at the int32 extremes, one channel and several, single rows and
// columns, a NaN, infinities and a negative zero moved unchanged, a
// negative zero fill, a batch large enough to be split between threads,
// views as x, shifts and y (the base outside y must stay NaN), x left
// unchanged; and that misuse panics naming the op.
func checkShiftImages(t *testing.T, b backend.Backend) {
	ix := need[backend.Indexer](t, b)
	cases := []shiftCase{
		{n: 1, c: 1, h: 1, w: 1, shifts: []int32{0, 0}, fill: 7},
		{n: 2, c: 1, h: 1, w: 1, shifts: []int32{1, 0, 0, -1}, fill: 7},
		{n: 12, c: 3, h: 5, w: 7, fill: -0.4242, shifts: []int32{
			0, 0, 1, 2, -2, 3, 4, -6, 5, 0, 0, -7, -5, 0, 0, 7, -9, 11, 4, 6,
			math.MinInt32, 1, 2, math.MaxInt32}},
		{n: 6, c: 1, h: 28, w: 28, span: 3, fill: float32(math.Copysign(0, -1))},
		{n: 5, c: 2, h: 1, w: 9, span: 3, fill: 0.5},
		{n: 5, c: 2, h: 9, w: 1, span: 3, fill: 0.5},
		{n: 300, c: 2, h: 16, w: 12, span: 14, fill: -1},
	}
	if testing.Short() {
		cases[len(cases)-1].n = 60
	}
	for _, nb := range shiftBackends(t, b, ix) {
		t.Run(nb.name, func(t *testing.T) {
			rng := newRand(70)
			for _, c := range cases {
				shifts := c.shifts
				if shifts == nil {
					shifts = make([]int32, 2*c.n)
					for i := range shifts {
						shifts[i] = int32(rng.Intn(2*c.span+1) - c.span)
					}
				}
				size := c.n * c.c * c.h * c.w
				xs := uniform(rng, size, -1, 1)
				for i, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)} {
					xs[(i*size/4+size/8)%size] = float32(v)
				}
				want := shiftRef(xs, shifts, c.n, c.c, c.h, c.w, c.fill)
				x := upload(t, nb.b, xs, c.n, c.c, c.h, c.w)
				s := uploadInts(t, ix, shifts, c.n, 2)
				y := poisoned(t, nb.b, c.n, c.c, c.h, c.w)
				backend.ShiftImages(nb.b, x, s, y, c.fill)
				expectBits(t, fmt.Sprintf("ShiftImages(%v)", c), download(nb.b, y), want)
				expectBits(t, fmt.Sprintf("ShiftImages(%v): x afterwards", c), download(nb.b, x), xs)
			}
			shiftViews(t, nb.b, ix)
			shiftMisuse(t, nb.b, ix)
		})
	}
}

// shiftViews checks ShiftImages on views: images 1 to 4 of a base of 6
// into images 2 to 5 of another, with the offsets of rows 3 to 6 of a
// base of 8.
func shiftViews(t *testing.T, b backend.Backend, ix backend.Indexer) {
	v, ok := b.(backend.Viewer)
	if !ok {
		return
	}
	const n, c, h, w, fill = 4, 2, 6, 5, 3.5
	img := c * h * w
	rng := newRand(71)
	xs := uniform(rng, 6*img, -1, 1)
	all := make([]int32, 16)
	for i := range all {
		all[i] = int32(rng.Intn(9) - 4)
	}
	xb := upload(t, b, xs, 6, c, h, w)
	sb := uploadInts(t, ix, all, 8, 2)
	yb := poisoned(t, b, 7, c, h, w)
	backend.ShiftImages(b, v.Slice(xb, 1, 5), v.Slice(sb, 3, 7), v.Slice(yb, 2, 6), fill)
	want := nans(7 * img)
	copy(want[2*img:], shiftRef(xs[img:5*img], all[6:14], n, c, h, w, fill))
	expectBits(t, "ShiftImages from a Slice into a Slice with a Slice of offsets", download(b, yb), want)
}

// shiftMisuse checks that ShiftImages panics, naming the op, on shapes
// that do not fit and on float32 offsets.
func shiftMisuse(t *testing.T, b backend.Backend, ix backend.Indexer) {
	x, y := b.Alloc(3, 2, 4, 5), b.Alloc(3, 2, 4, 5)
	b.Fill(x, 1)
	s := ix.AllocInt32(3, 2)
	ix.UploadInt32(s, make([]int32, 6))
	expectPanic(t, "ShiftImages", "x of three dimensions", func() {
		backend.ShiftImages(b, b.Alloc(3, 8, 5), s, b.Alloc(3, 8, 5), 0)
	})
	expectPanic(t, "ShiftImages", "y of another shape", func() {
		backend.ShiftImages(b, x, s, b.Alloc(3, 2, 5, 4), 0)
	})
	expectPanic(t, "ShiftImages", "shifts [6]", func() {
		flat := ix.AllocInt32(6)
		ix.UploadInt32(flat, make([]int32, 6))
		backend.ShiftImages(b, x, flat, y, 0)
	})
	expectPanic(t, "ShiftImages", "shifts [2, 2] for 3 images", func() {
		short := ix.AllocInt32(2, 2)
		ix.UploadInt32(short, make([]int32, 4))
		backend.ShiftImages(b, x, short, y, 0)
	})
	if _, native := b.(backend.Shifter); native {
		expectPanic(t, "ShiftImages", "float32 shifts", func() {
			f := b.Alloc(3, 2)
			b.Fill(f, 0)
			backend.ShiftImages(b, x, f, y, 0)
		})
	}
}
