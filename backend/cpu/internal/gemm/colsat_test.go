package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// TestSgemmPackedColsAt checks SgemmPackedColsAt against a float64
// reference, |C − C₀| ≤ (k+2)·2⁻²³·Σ_p |P[i,p]|·|B[p,j]| + |beta·C|, and
// bit for bit against SgemmPacked on the gathered B, for columns at
// offsets that run in whole strips (read in place), in short runs and
// scattered (packed), with m on both sides of directRows, k across the
// blocks along k, and beta 0 (C holding NaN) and 1.
func TestSgemmPackedColsAt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	fill := randomFill(r)
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		// Offsets as a convolution's filter gradient has them: groups of
		// run consecutive channels at kernel positions spaced apart.
		layouts := map[string]func(n int) []int{
			"strips": func(n int) []int { return runsOf(n, kn.nr, 3*kn.nr+5) },
			"runs":   func(n int) []int { return runsOf(n, 5, 11) },
			"random": func(n int) []int {
				off := make([]int, n)
				for j := range off {
					off[j] = r.IntN(3 * n)
				}
				return off
			},
		}
		for _, sz := range [][3]int{{1, kn.nr, 1}, {kn.mr + 1, 2*kn.nr + 3, 9}, {directRows, 4 * kn.nr, kn.kc + 7}, {directRows + 1, kn.nr + 1, 2*kn.kc + 1}} {
			m, n, k := sz[0], sz[1], sz[2]
			for name, layout := range layouts {
				for _, beta := range []float32{0, 1} {
					off := layout(n)
					ldb := 1
					for _, o := range off {
						ldb = max(ldb, o+1)
					}
					ldb = min(ldb, 2*directLD) // some rows too far apart to read in place
					b := fill(k*ldb + 3*n)
					a, c0 := fill(m*k), fill(m*n)
					if beta == 0 {
						for i := range c0 {
							c0[i] = float32(math.NaN())
						}
					}
					gathered := make([]float32, k*n)
					for p := 0; p < k; p++ {
						for j, o := range off {
							gathered[p*n+j] = b[p*ldb+o]
						}
					}
					pa := PackA(l, false, m, k, 1, a, k, make([]float32, PackedSize(l, m, k)))
					want := append([]float32(nil), c0...)
					SgemmPacked(&pa, false, n, gathered, n, beta, want, n)
					got := append([]float32(nil), c0...)
					SgemmPackedColsAt(&pa, n, b, ldb, off, beta, got, n)
					checkGathered(t, fmt.Sprintf("level %v %s", l, name), m, n, k, a, gathered, beta, c0, got, want)
				}
			}
		}
	}
}

// checkGathered checks C = got, from a product P·B + beta·C₀ with P m×k (a,
// row-major) and the gathered B k×n, against a float64 reference, |C − C₀|
// ≤ (k+2)·2⁻²³·(Σ_p |P[i,p]|·|B[p,j]| + |beta·C₀|), and bit for bit against
// want, SgemmPacked's result on the gathered B.
func checkGathered(t *testing.T, what string, m, n, k int, a, gathered []float32, beta float32, c0, got, want []float32) {
	t.Helper()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			ref, bound := 0.0, 0.0
			for p := 0; p < k; p++ {
				v := float64(a[i*k+p]) * float64(gathered[p*n+j])
				ref += v
				bound += math.Abs(v)
			}
			if beta != 0 {
				ref += float64(beta) * float64(c0[i*n+j])
				bound += math.Abs(float64(beta) * float64(c0[i*n+j]))
			}
			g := got[i*n+j]
			if math.Abs(float64(g)-ref) > float64(k+2)*eps*bound {
				t.Fatalf("%s m=%d n=%d k=%d beta %g: C[%d,%d] = %g, want %g", what, m, n, k, beta, i, j, g, ref)
			}
			if math.Float32bits(g) != math.Float32bits(want[i*n+j]) {
				t.Fatalf("%s m=%d n=%d k=%d beta %g: C[%d,%d] = %g, SgemmPacked on the gathered B gives %g", what, m, n, k, beta, i, j, g, want[i*n+j])
			}
		}
	}
}

// randomFill returns a function that returns n values uniform in [−1, 1)
// from r.
func randomFill(r *rand.Rand) func(n int) []float32 {
	return func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(2*r.Float64() - 1)
		}
		return x
	}
}

// runsOf returns n offsets in runs of run consecutive ones, runs spaced
// apart by gap.
func runsOf(n, run, gap int) []int {
	off := make([]int, n)
	for j := range off {
		off[j] = j/run*gap + j%run
	}
	return off
}

// TestSgemmPackedColsAtPanics checks the panics on offsets outside B and
// too few offsets.
func TestSgemmPackedColsAtPanics(t *testing.T) {
	l := isa.Generic
	pa := PackA(l, false, 2, 3, 1, make([]float32, 6), 3, make([]float32, PackedSize(l, 2, 3)))
	b, c := make([]float32, 12), make([]float32, 8)
	expectPanics(t, "gemm: SgemmPackedColsAt", map[string]func(){
		"needs 13 elements of B": func() { SgemmPackedColsAt(&pa, 4, b, 4, []int{0, 1, 2, 4}, 0, c, 4) },
		"2 column offsets":       func() { SgemmPackedColsAt(&pa, 4, b, 4, []int{0, 1}, 0, c, 4) },
		"offset -1":              func() { SgemmPackedColsAt(&pa, 2, b, 4, []int{-1, 1}, 0, c, 4) },
	})
}

// TestTransposeExported checks Transpose at every level for sizes around
// the vector transpose's 8×8 blocks, and that nothing past dst's matrix
// is written.
func TestTransposeExported(t *testing.T) {
	for _, l := range isa.Supported() {
		for _, sz := range [][2]int{{1, 1}, {8, 8}, {9, 17}, {32, 676}, {13, 5}} {
			rows, cols := sz[0], sz[1]
			ld, ldd := cols+3, rows+1
			src := make([]float32, rows*ld)
			for i := range src {
				src[i] = float32(i)
			}
			dst := make([]float32, cols*ldd)
			for i := range dst {
				dst[i] = sentinel
			}
			Transpose(l, rows, cols, src, ld, dst, ldd)
			for p := 0; p < cols; p++ {
				for i := 0; i < ldd; i++ {
					want := sentinel
					if i < rows {
						want = src[i*ld+p]
					}
					if dst[p*ldd+i] != want {
						t.Fatalf("level %v %d×%d: dst[%d,%d] = %g, want %g", l, rows, cols, p, i, dst[p*ldd+i], want)
					}
				}
			}
		}
	}
}
