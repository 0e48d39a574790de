package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// TestSgemmPackedAddAt checks SgemmPackedAddAt against a float64
// reference, |C − C₀| ≤ (k+m+2)·2⁻²³·(|C₀| + Σ_i Σ_p |P[i,p]|·|B[p,j]|)
// over the rows i that reach an element, and, where k fits in one block
// along k and n in one block of columns, bit for bit against SgemmPacked
// into a scratch C whose rows are then added in order. Rows lie as a
// convolution's data gradient has them (channels at one tap H·W apart,
// taps overlapping), evenly spaced but closer than a tile is wide, and at
// random; elements no row reaches must keep their value.
func TestSgemmPackedAddAt(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 11))
	fill := randomFill(r)
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		layouts := map[string]func(m int) []int{
			// Rows (i, j, c) of a 3×3 kernel on a grid 29 wide, 31 high.
			"conv": func(m int) []int {
				off := make([]int, m)
				channels := (m + 8) / 9
				for a := range off {
					c, tap := a%channels, a/channels
					off[a] = c*29*31 + tap/3*29 + tap%3
				}
				return off
			},
			"close": func(m int) []int {
				off := make([]int, m)
				for a := range off {
					off[a] = 3 * a
				}
				return off
			},
			"random": func(m int) []int {
				off := make([]int, m)
				for a := range off {
					off[a] = r.IntN(4 * m)
				}
				return off
			},
		}
		for _, sz := range [][3]int{{1, kn.nr, 1}, {kn.mr + 1, 2*kn.nr + 3, 9}, {64, 4*kn.nr + 5, 24}, {kn.mr*3 + 2, kn.nr/2 + 1, kn.kc + 7}, {kn.mc + 3, 2*kn.nc + 1, 5}} {
			m, n, k := sz[0], sz[1], sz[2]
			for name, layout := range layouts {
				what := fmt.Sprintf("level %v %s m=%d n=%d k=%d", l, name, m, n, k)
				off := layout(m)
				a, b := fill(m*k), fill(k*n)
				c0 := fill(slicesMax(off) + n + 7)
				pa := PackA(l, false, m, k, 1, a, k, make([]float32, PackedSize(l, m, k)))
				got := append([]float32(nil), c0...)
				SgemmPackedAddAt(&pa, n, b, n, got, off)

				ref, bound := make([]float64, len(c0)), make([]float64, len(c0))
				for e, v := range c0 {
					ref[e], bound[e] = float64(v), math.Abs(float64(v))
				}
				for i, o := range off {
					for j := 0; j < n; j++ {
						for p := 0; p < k; p++ {
							v := float64(a[i*k+p]) * float64(b[p*n+j])
							ref[o+j] += v
							bound[o+j] += math.Abs(v)
						}
					}
				}
				for e := range got {
					if math.Abs(float64(got[e])-ref[e]) > float64(k+m+2)*eps*bound[e] {
						t.Fatalf("%s: C[%d] = %g, want %g", what, e, got[e], ref[e])
					}
				}
				if k > kn.kc || n > kn.nc {
					continue
				}
				scratch := make([]float32, m*n)
				SgemmPacked(&pa, false, n, b, n, 0, scratch, n)
				want := append([]float32(nil), c0...)
				for i, o := range off {
					for j := 0; j < n; j++ {
						want[o+j] += scratch[i*n+j]
					}
				}
				for e := range got {
					if math.Float32bits(got[e]) != math.Float32bits(want[e]) {
						t.Fatalf("%s: C[%d] = %g, SgemmPacked and row additions in order give %g", what, e, got[e], want[e])
					}
				}
			}
		}
	}
}

// TestSgemmPackedAddAtPanics checks the panics on rows outside C, too few
// offsets and B too short.
func TestSgemmPackedAddAtPanics(t *testing.T) {
	l := isa.Generic
	pa := PackA(l, false, 2, 3, 1, make([]float32, 6), 3, make([]float32, PackedSize(l, 2, 3)))
	b, c := make([]float32, 12), make([]float32, 8)
	expectPanics(t, "gemm: SgemmPackedAddAt", map[string]func(){
		"needs 9 elements of C": func() { SgemmPackedAddAt(&pa, 4, b, 4, c, []int{0, 5}) },
		"1 row offsets":         func() { SgemmPackedAddAt(&pa, 4, b, 4, c, []int{0}) },
		"offset -1":             func() { SgemmPackedAddAt(&pa, 2, b, 4, c, []int{-1, 1}) },
	})
	expectPanics(t, "gemm: Sgemm: B", map[string]func(){
		"12 elements": func() { SgemmPackedAddAt(&pa, 5, b, 5, c, []int{0, 0}) },
	})
}
