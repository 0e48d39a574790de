package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// sentinel fills the memory around every matrix: a write outside C's
// window shows as a changed sentinel.
const sentinel = float32(-7.25e30)

// eps is 2⁻²³, twice float32's unit roundoff.
const eps = 1.0 / (1 << 23)

// product is one Sgemm call of a test, with its matrices embedded in
// slices larger than they need: off floats before, gap floats between
// rows, and off floats after.
type product struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	off, gap       int
}

func (p product) String() string {
	return fmt.Sprintf("transA=%t transB=%t m=%d n=%d k=%d alpha=%g beta=%g off=%d gap=%d",
		p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.beta, p.off, p.gap)
}

// matrix returns a slice holding a rows×cols matrix at offset off with
// leading dimension cols+gap, filled with values from r (or NaN when nan
// is set) and sentinels everywhere else, and the leading dimension.
func matrix(r *rand.Rand, rows, cols, off, gap int, nan bool) ([]float32, int) {
	ld := max(cols+gap, 1)
	x := make([]float32, off+max(rows*ld, 1)+off)
	for i := range x {
		x[i] = sentinel
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			v := float32(2*r.Float64() - 1)
			if nan {
				v = float32(math.NaN())
			}
			x[off+i*ld+j] = v
		}
	}
	return x, ld
}

// check runs p at level l and compares C with a float64 reference:
// |C − C₀| ≤ (k+2)·2⁻²³·(|alpha|·Σ_p |A[i,p]|·|B[p,j]| + |beta·C[i,j]|)
// elementwise, and every float outside C's window unchanged.
func check(t *testing.T, l isa.Level, r *rand.Rand, p product) {
	t.Helper()
	ar, ac := p.m, p.k
	if p.transA {
		ar, ac = ac, ar
	}
	br, bc := p.k, p.n
	if p.transB {
		br, bc = bc, br
	}
	a, lda := matrix(r, ar, ac, p.off, p.gap, p.alpha == 0)
	b, ldb := matrix(r, br, bc, p.off, p.gap+1, p.alpha == 0)
	c, ldc := matrix(r, p.m, p.n, p.off, p.gap+2, p.beta == 0)
	c0 := append([]float32(nil), c...)
	at := func(i, q int) float64 {
		if p.transA {
			return float64(a[p.off+q*lda+i])
		}
		return float64(a[p.off+i*lda+q])
	}
	bt := func(q, j int) float64 {
		if p.transB {
			return float64(b[p.off+j*ldb+q])
		}
		return float64(b[p.off+q*ldb+j])
	}
	Sgemm(l, p.transA, p.transB, p.m, p.n, p.k, p.alpha, a[p.off:], lda, b[p.off:], ldb, p.beta, c[p.off:], ldc)

	inside := make([]bool, len(c))
	bad := 0
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			x := p.off + i*ldc + j
			inside[x] = true
			var want, mag float64
			if p.alpha != 0 {
				for q := 0; q < p.k; q++ {
					want += at(i, q) * bt(q, j)
					mag += math.Abs(at(i, q) * bt(q, j))
				}
				want *= float64(p.alpha)
				mag *= math.Abs(float64(p.alpha))
			}
			if p.beta != 0 {
				want += float64(p.beta) * float64(c0[x])
				mag += math.Abs(float64(p.beta) * float64(c0[x]))
			}
			tol := float64(p.k+2) * eps * mag
			if got := float64(c[x]); !(math.Abs(got-want) <= tol) {
				if bad++; bad <= 3 {
					t.Errorf("level %v, %v: C[%d,%d] = %g, want %g ± %g", l, p, i, j, got, want, tol)
				}
			}
		}
	}
	for x := range c {
		if !inside[x] && math.Float32bits(c[x]) != math.Float32bits(c0[x]) {
			t.Fatalf("level %v, %v: float %d outside C (offset %d, ldc %d) changed from %g to %g", l, p, x, p.off, ldc, c0[x], c[x])
		}
	}
}

// transposes lists the four combinations of transA and transB.
var transposes = [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}

// TestSmall runs every level on all small shapes around one tile, every
// transpose combination and several alpha and beta, with offsets and
// gaps.
func TestSmall(t *testing.T) {
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		r := rand.New(rand.NewPCG(1, uint64(l)))
		ms := []int{1, kn.mr - 1, kn.mr, kn.mr + 1, 2*kn.mr + 1}
		ns := []int{1, kn.nr - 1, kn.nr, kn.nr + 1, 2*kn.nr + 3}
		ks := []int{1, 2, 3, 4, 5, 17}
		scalars := [][2]float32{{1, 0}, {-0.5, 1}, {2, -1.5}}
		i := 0
		for _, tr := range transposes {
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						for _, s := range scalars {
							if m == 0 || n == 0 {
								continue
							}
							i++
							check(t, l, r, product{tr[0], tr[1], m, n, k, s[0], s[1], i % 4, i % 3})
						}
					}
				}
			}
		}
	}
}

// TestBlockBoundaries runs every level at sizes one below, at and one
// above each block size (kc, nc, mc) and the rows up to which B is read in
// place.
func TestBlockBoundaries(t *testing.T) {
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		r := rand.New(rand.NewPCG(2, uint64(l)))
		var ps []product
		for _, d := range []int{-1, 0, 1} {
			for _, tr := range transposes {
				ps = append(ps,
					product{tr[0], tr[1], kn.mr + 1, kn.nr + 1, kn.kc + d, 1, 0.5, 1, 1},
					product{tr[0], tr[1], 3, kn.nc + d, 7, 1.5, 0, 2, 0},
					product{tr[0], tr[1], directRows + d, 2*kn.nr + 1, 9, 1, 1, 3, 2},
				)
				if !testing.Short() {
					ps = append(ps,
						product{tr[0], tr[1], kn.mc + d, kn.nr - 1, 5, 1, 0, 0, 1},
						product{tr[0], tr[1], 2*kn.mr - 1, 2*kn.nr + 5, 2*kn.kc + d, -1, 2, 1, 0},
					)
				}
			}
		}
		for _, p := range ps {
			check(t, l, r, p)
		}
	}
}

// TestAlphaZero checks that alpha 0 scales C by beta without reading A or
// B (they hold NaN), and that k 0 does the same.
func TestAlphaZero(t *testing.T) {
	for _, l := range isa.Supported() {
		r := rand.New(rand.NewPCG(3, uint64(l)))
		for _, beta := range []float32{0, 1, -2} {
			check(t, l, r, product{false, true, 5, 7, 3, 0, beta, 1, 2})
			check(t, l, r, product{true, false, 5, 7, 0, 1, beta, 2, 1})
		}
	}
}

// TestPanics checks that bad arguments panic with a message naming the
// problem.
func TestPanics(t *testing.T) {
	x := make([]float32, 12)
	for name, f := range map[string]func(){
		"negative dimension": func() { Sgemm(isa.Generic, false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) },
		"leading dimension":  func() { Sgemm(isa.Generic, false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) },
		"elements":           func() { Sgemm(isa.Generic, false, false, 4, 4, 4, 1, x, 4, x, 4, 0, x, 4) },
		"not available":      func() { Sgemm(isa.Best()+1, false, false, 1, 1, 1, 1, x, 1, x, 1, 0, x, 1) },
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, "gemm: Sgemm") || !strings.Contains(msg, name) {
					t.Errorf("panic %q, want one naming %q", msg, name)
				}
			}()
			f()
		}()
	}
}

// TestNoAllocs checks that Sgemm allocates nothing once its buffers exist,
// on the packed path and on the dot-product path.
func TestNoAllocs(t *testing.T) {
	const n = 256
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(i%7)-3, float32(i%5)-2
	}
	for _, l := range isa.Supported() {
		for _, tr := range transposes {
			Sgemm(l, tr[0], tr[1], n, n, n, 1, a, n, b, n, 0, c, n)
			if got := testing.AllocsPerRun(3, func() { Sgemm(l, tr[0], tr[1], n, n, n, 1, a, n, b, n, 0, c, n) }); got != 0 {
				t.Errorf("level %v, transA %t transB %t: %v allocations per Sgemm", l, tr[0], tr[1], got)
			}
		}
		if got := testing.AllocsPerRun(3, func() { Sgemm(l, false, true, 64, 10, 128, 1, a, 128, b, 128, 1, c, 10) }); got != 0 {
			t.Errorf("level %v, 64×10×128 with transposed B: %v allocations per Sgemm", l, got)
		}
	}
}

// TestDotsPath runs every level at the shapes around the limits of the
// dot-product path for a narrow C with transposed B (n up to nr/2, k up to
// dotsMaxK), with m and n below, at and above multiples of dotRows so that
// edge tiles overlap, and the other transposes at the same sizes.
func TestDotsPath(t *testing.T) {
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		r := rand.New(rand.NewPCG(4, uint64(l)))
		ks := []int{1, 15, 16, 17, 33, 128}
		if !testing.Short() {
			ks = append(ks, dotsMaxK, dotsMaxK+1)
		}
		i := 0
		for _, m := range []int{1, 2, 3, 4, 5, 7, 8, 9, 64} {
			for _, n := range []int{1, 3, 4, 5, 10, kn.nr / 2, kn.nr/2 + 1} {
				for _, k := range ks {
					for _, s := range [][2]float32{{1, 0}, {-0.5, 1}, {2, -1.5}} {
						i++
						check(t, l, r, product{false, true, m, n, k, s[0], s[1], i % 4, i % 3})
						if k == 17 {
							check(t, l, r, product{true, true, m, n, k, s[0], s[1], i % 4, i % 3})
						}
					}
				}
			}
		}
	}
}

// TestDotsKernels checks dotsGeneric and each level's dots kernel against
// float64 dot products, |err| ≤ k·2⁻²³·Σ|a·b|, at lengths around the
// vector width, with rows of A and B read dotRows times (stride 0) too.
func TestDotsKernels(t *testing.T) {
	kernels := map[string]dotsFunc{"generic": dotsGeneric}
	for _, l := range isa.Supported() {
		if kn := kernelFor(l); kn.dots != nil {
			kernels[l.String()] = kn.dots
		}
	}
	r := rand.New(rand.NewPCG(5, 0))
	for name, f := range kernels {
		for _, k := range []int{1, 7, 15, 16, 17, 31, 32, 100} {
			for _, stride := range []int{0, k + 3} {
				a, _ := matrix(r, dotRows, k+3, 0, 0, false)
				b, _ := matrix(r, dotRows, k+3, 0, 0, false)
				var out [dotRows * dotRows]float32
				f(k, a, stride, b, stride, &out)
				for i := 0; i < dotRows; i++ {
					for j := 0; j < dotRows; j++ {
						var want, mag float64
						for p := 0; p < k; p++ {
							x := float64(a[i*stride+p]) * float64(b[j*stride+p])
							want += x
							mag += math.Abs(x)
						}
						if got := float64(out[i*dotRows+j]); !(math.Abs(got-want) <= float64(k)*eps*mag) {
							t.Errorf("%s, k=%d, stride %d: out[%d,%d] = %g, want %g", name, k, stride, i, j, got, want)
						}
					}
				}
			}
		}
	}
}
