package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// poolShapes are the plane widths and output sizes the pooling kernels are
// tested at: every output width up to two vectors and a bit (odd widths
// and unused columns included) and a few row counts.
func poolShapes() (s [][3]int) {
	for _, w := range []int{2, 3, 4, 7, 8, 15, 16, 17, 24, 31, 32, 33, 47, 48, 63, 64, 65, 70, 72} {
		for _, oh := range []int{0, 1, 2, 3, 5} {
			for _, ow := range []int{0, 1, w / 4, w/2 - 1, w / 2} {
				s = append(s, [3]int{w, oh, ow})
			}
		}
	}
	return s
}

// poolInput returns a plane of h×w values drawn from a few integers, so
// that windows hold ties, with NaNs (of either sign) sprinkled in if nans.
func poolInput(r *rand.Rand, n int, nans bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.IntN(7) - 3)
		if nans && r.IntN(9) == 0 {
			x[i] = float32(math.Copysign(math.NaN(), float64(r.IntN(2)-1)))
		}
	}
	return x
}

// maxPool2Ref is 2×2, stride-2 max pooling written from the contract: the
// window's elements visited in row-major order, the first that no later
// one exceeds (by float32 >) kept.
func maxPool2Ref(x []float32, w, oh, ow int) (y, arg []float32) {
	for r := range oh {
		for j := range ow {
			best := (2*r)*w + 2*j
			for _, idx := range []int{(2*r)*w + 2*j + 1, (2*r+1)*w + 2*j, (2*r+1)*w + 2*j + 1} {
				if x[idx] > x[best] {
					best = idx
				}
			}
			y = append(y, x[best])
			arg = append(arg, float32(best))
		}
	}
	return y, arg
}

// same reports whether a and b are the same float32, any NaN matching any
// NaN.
func same(a, b float32) bool { return a == b || a != a && b != b }

// TestMaxPool2 checks MaxPool2 at every level against maxPool2Ref, bit for
// bit, with ties and NaNs in the input and guard bands round the outputs.
func TestMaxPool2(t *testing.T) {
	for _, l := range isa.Supported() {
		k := For(l)
		r := rand.New(rand.NewPCG(7, uint64(l)))
		for _, s := range poolShapes() {
			w, oh, ow := s[0], s[1], s[2]
			for _, nans := range []bool{false, true} {
				name := fmt.Sprintf("%v w=%d oh=%d ow=%d nans=%v", l, w, oh, ow, nans)
				x := poolInput(r, 2*oh*w, nans)
				off := (w + oh) % 4
				y, ybuf := guarded(oh*ow, off)
				arg, abuf := guarded(oh*ow, 3-off)
				for i := range y {
					y[i], arg[i] = float32(math.NaN()), float32(math.NaN())
				}
				k.MaxPool2(y, arg, x, w, oh, ow)
				wy, wa := maxPool2Ref(x, w, oh, ow)
				for i := range wy {
					if !same(y[i], wy[i]) || arg[i] != wa[i] {
						t.Fatalf("%s: output %d is %v at %v, want %v at %v", name, i, y[i], arg[i], wy[i], wa[i])
					}
				}
				checkGuards(t, name+" y", ybuf, off, oh*ow)
				checkGuards(t, name+" arg", abuf, 3-off, oh*ow)
			}
		}
	}
}

// TestMaxPool2Grad checks MaxPool2Grad at every level: with argmaxes from
// the forward pass each window of dx gets dy at its argmax and 0 elsewhere
// and nothing outside the windows is written; an argmax outside its window
// (another element of the plane, a fraction, NaN) makes it report false.
func TestMaxPool2Grad(t *testing.T) {
	for _, l := range isa.Supported() {
		k := For(l)
		r := rand.New(rand.NewPCG(8, uint64(l)))
		for _, s := range poolShapes() {
			w, oh, ow := s[0], s[1], s[2]
			name := fmt.Sprintf("%v w=%d oh=%d ow=%d", l, w, oh, ow)
			x := poolInput(r, 2*oh*w, false)
			_, arg := maxPool2Ref(x, w, oh, ow)
			dy := make([]float32, oh*ow)
			for i := range dy {
				dy[i] = float32(r.NormFloat64())
			}
			off := w % 4
			dx, buf := guarded(2*oh*w, off)
			want := make([]float32, len(dx))
			for i := range want {
				want[i] = sentinel
			}
			for rr := range oh {
				for j := range ow {
					for _, idx := range []int{2*rr*w + 2*j, 2*rr*w + 2*j + 1, (2*rr+1)*w + 2*j, (2*rr+1)*w + 2*j + 1} {
						dx[idx] = float32(math.NaN())
						want[idx] = 0
					}
					want[int(arg[rr*ow+j])] = dy[rr*ow+j]
				}
			}
			if !k.MaxPool2Grad(dx, dy, arg, w, oh, ow) {
				t.Fatalf("%s: reported an argmax outside its window", name)
			}
			for i := range want {
				if dx[i] != want[i] {
					t.Fatalf("%s: dx[%d] = %v, want %v", name, i, dx[i], want[i])
				}
			}
			checkGuards(t, name, buf, off, len(dx))
			if oh*ow == 0 {
				continue
			}
			i := r.IntN(oh * ow)
			a, pos := arg[i], float32(2*(i/ow)*w+2*(i%ow))
			for _, bad := range []float32{a + 2, a - 1, a + 1, a + float32(2*w), a + 0.5, -1, float32(math.NaN())} {
				switch bad - pos {
				case 0, 1, float32(w), float32(w + 1):
					continue // in the window after all
				}
				arg[i] = bad
				if k.MaxPool2Grad(dx, dy, arg, w, oh, ow) {
					t.Fatalf("%s: argmax %v for output %d (window at %v) accepted", name, bad, i, a)
				}
			}
			arg[i] = a
		}
	}
}
