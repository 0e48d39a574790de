package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// TestTranspose checks each level's transpose, with its vector blocks,
// against the definition dst[p·ldd+i] = alpha·src[i·ld+p] at sizes around
// the 8×8 blocks, and that nothing else in dst changes.
func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		for _, rows := range []int{1, 7, 8, 9, 16, 17, 32} {
			for _, cols := range []int{1, 7, 8, 9, 15, 16, 33} {
				ld, ldd := cols+3, rows+5
				src := make([]float32, rows*ld)
				for i := range src {
					src[i] = float32(2*r.Float64() - 1)
				}
				dst := make([]float32, cols*ldd+2)
				for i := range dst {
					dst[i] = sentinel
				}
				const alpha = -1.5
				kn.transpose(rows, cols, alpha, src, ld, dst, ldd)
				for x, got := range dst {
					p, i := x/ldd, x%ldd
					want := sentinel
					if p < cols && i < rows {
						want = alpha * src[i*ld+p]
					}
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("level %v, %d×%d: dst[%d] (p %d, i %d) = %g, want %g", l, rows, cols, x, p, i, got, want)
					}
				}
			}
		}
	}
}

// TestSgemmPacked checks that PackA and SgemmPacked give bit for bit what
// Sgemm gives, for both transposes of each operand, sizes across the
// blocks along m and k, and beta 0 (C holding NaN) and 1.
func TestSgemmPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	fill := randomFill(r)
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		for _, sz := range [][3]int{{1, kn.nr, 1}, {kn.mr + 1, kn.nr/2 + 1, 9}, {2*kn.mr + 3, 3*kn.nr + 5, kn.kc + 1}, {kn.mc + 1, kn.nr + 1, 3}} {
			m, n, k := sz[0], sz[1], sz[2]
			for _, tr := range transposes {
				for _, beta := range []float32{0, 1} {
					a, b, c0 := fill(m*k), fill(k*n), fill(m*n)
					if beta == 0 {
						for i := range c0 {
							c0[i] = float32(math.NaN())
						}
					}
					lda, ldb := k, n
					if tr[0] {
						lda = m
					}
					if tr[1] {
						ldb = k
					}
					want := append([]float32(nil), c0...)
					Sgemm(l, tr[0], tr[1], m, n, k, -0.5, a, lda, b, ldb, beta, want, n)
					pa := PackA(l, tr[0], m, k, -0.5, a, lda, make([]float32, PackedSize(l, m, k)))
					got := append([]float32(nil), c0...)
					SgemmPacked(&pa, tr[1], n, b, ldb, beta, got, n)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("level %v, m=%d n=%d k=%d trans %v beta %g: C[%d] = %g, Sgemm gives %g", l, m, n, k, tr, beta, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
