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

// indexWidths returns the widths of arg's rows the pooling kernels are
// tested with for rows w floats apart and ow outputs: w itself, the
// narrowest, 2·ow, and one wider than w.
func indexWidths(w, ow int) []int {
	if 2*ow == w {
		return []int{w, w + 3}
	}
	return []int{w, 2 * ow, w + 3}
}

// maxPool2Ref is 2×2, stride-2 max pooling written from the contract: the
// window's elements visited in row-major order, the first that no later
// one exceeds (by float32 >) kept, its index counted in rows of width aw.
func maxPool2Ref(x []float32, w, aw, oh, ow int) (y, arg []float32) {
	for r := range oh {
		for j := range ow {
			best, bi := (2*r)*w+2*j, 0
			for i, idx := range []int{(2*r)*w + 2*j + 1, (2*r+1)*w + 2*j, (2*r+1)*w + 2*j + 1} {
				if x[idx] > x[best] {
					best, bi = idx, i+1
				}
			}
			y = append(y, x[best])
			arg = append(arg, float32(2*r*aw+2*j+[]int{0, 1, aw, aw + 1}[bi]))
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
				aw := indexWidths(w, ow)[r.IntN(len(indexWidths(w, ow)))]
				name := fmt.Sprintf("%v w=%d aw=%d oh=%d ow=%d nans=%v", l, w, aw, oh, ow, nans)
				x := poolInput(r, 2*oh*w, nans)
				off := (w + oh) % 4
				y, ybuf := guarded(oh*ow, off)
				arg, abuf := guarded(oh*ow, 3-off)
				for i := range y {
					y[i], arg[i] = float32(math.NaN()), float32(math.NaN())
				}
				k.MaxPool2(y, arg, x, w, aw, oh, ow)
				wy, wa := maxPool2Ref(x, w, aw, oh, ow)
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
			for _, aw := range indexWidths(w, ow) {
				name := fmt.Sprintf("%v w=%d aw=%d oh=%d ow=%d", l, w, aw, oh, ow)
				x := poolInput(r, 2*oh*w, false)
				_, arg := maxPool2Ref(x, w, aw, oh, ow)
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
						at := 2*rr*w + 2*j
						window := []int{at, at + 1, at + w, at + w + 1}
						for _, idx := range window {
							dx[idx] = float32(math.NaN())
							want[idx] = 0
						}
						switch int(arg[rr*ow+j]) - (2*rr*aw + 2*j) {
						case 0:
							want[window[0]] = dy[rr*ow+j]
						case 1:
							want[window[1]] = dy[rr*ow+j]
						case aw:
							want[window[2]] = dy[rr*ow+j]
						case aw + 1:
							want[window[3]] = dy[rr*ow+j]
						}
					}
				}
				if !k.MaxPool2Grad(dx, dy, arg, w, aw, oh, ow) {
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
				a, pos := arg[i], float32(2*(i/ow)*aw+2*(i%ow))
				for _, bad := range []float32{a + 2, a - 1, a + 1, a + float32(2*aw), a + float32(w-aw), a + 0.5, -1, float32(math.NaN())} {
					switch bad - pos {
					case 0, 1, float32(aw), float32(aw + 1):
						continue // in the window after all
					}
					arg[i] = bad
					if k.MaxPool2Grad(dx, dy, arg, w, aw, oh, ow) {
						t.Fatalf("%s: argmax %v for output %d (window at %v) accepted", name, bad, i, a)
					}
				}
				arg[i] = a
			}
		}
	}
}
