package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// TestSgemmPackedRowsAt checks SgemmPackedRowsAt against a float64
// reference, |C − C₀| ≤ (k+2)·2⁻²³·(Σ_p |P[i,p]|·|B[p,j]| + |beta·C|), and
// bit for bit against SgemmPacked on the gathered B, for rows at offsets
// as a convolution has them (overlapping runs of one image) and at random
// ones, n across whole and partial strips, k across the blocks along k,
// and beta 0 (C holding NaN) and 1.
func TestSgemmPackedRowsAt(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 2))
	fill := randomFill(r)
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		layouts := map[string]func(k int) []int{
			// Channel c of a 3×3 kernel's positions on a grid 29 wide.
			"conv": func(k int) []int {
				off := make([]int, k)
				for p := range off {
					c, i, j := p/9, p%9/3, p%3
					off[p] = c*29*31 + i*29 + j
				}
				return off
			},
			"random": func(k int) []int {
				off := make([]int, k)
				for p := range off {
					off[p] = r.IntN(4 * k)
				}
				return off
			},
		}
		for _, sz := range [][3]int{{1, kn.nr, 1}, {kn.mr + 1, 2*kn.nr + 3, 9}, {64, 4*kn.nr + 5, kn.kc + 7}, {kn.mc + 3, kn.nr/2 + 1, 2*kn.kc + 1}} {
			m, n, k := sz[0], sz[1], sz[2]
			for name, layout := range layouts {
				for _, beta := range []float32{0, 1} {
					off := layout(k)
					b := fill(slicesMax(off) + n + 5)
					a, c0 := fill(m*k), fill(m*n)
					if beta == 0 {
						for i := range c0 {
							c0[i] = float32(math.NaN())
						}
					}
					gathered := make([]float32, k*n)
					for p, o := range off {
						copy(gathered[p*n:(p+1)*n], b[o:o+n])
					}
					pa := PackA(l, false, m, k, 1, a, k, make([]float32, PackedSize(l, m, k)))
					want := append([]float32(nil), c0...)
					SgemmPacked(&pa, false, n, gathered, n, beta, want, n)
					got := append([]float32(nil), c0...)
					SgemmPackedRowsAt(&pa, n, b, off, beta, got, n)
					checkGathered(t, fmt.Sprintf("level %v %s", l, name), m, n, k, a, gathered, beta, c0, got, want)
				}
			}
		}
	}
}

// slicesMax returns the largest element of a non-empty slice.
func slicesMax(s []int) int {
	m := s[0]
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

// TestSgemmPackedRowsAtPanics checks the panics on rows outside B and too
// few offsets.
func TestSgemmPackedRowsAtPanics(t *testing.T) {
	l := isa.Generic
	pa := PackA(l, false, 2, 3, 1, make([]float32, 6), 3, make([]float32, PackedSize(l, 2, 3)))
	b, c := make([]float32, 12), make([]float32, 8)
	expectPanics(t, "gemm: SgemmPackedRowsAt", map[string]func(){
		"needs 13 elements of B": func() { SgemmPackedRowsAt(&pa, 4, b, []int{0, 1, 9}, 0, c, 4) },
		"2 row offsets":          func() { SgemmPackedRowsAt(&pa, 4, b, []int{0, 1}, 0, c, 4) },
		"offset -1":              func() { SgemmPackedRowsAt(&pa, 2, b, []int{0, -1, 1}, 0, c, 4) },
	})
}
