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
// above each block size (kc, nc, mc) and the rows and leading dimensions
// up to which B is read in place.
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
					product{tr[0], tr[1], directRows, directLD - 3, 9, 1, 1, 1, 3 + d},
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
	expectPanics(t, "gemm: Sgemm", map[string]func(){
		"negative dimension": func() { Sgemm(isa.Generic, false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) },
		"leading dimension":  func() { Sgemm(isa.Generic, false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) },
		"elements":           func() { Sgemm(isa.Generic, false, false, 4, 4, 4, 1, x, 4, x, 4, 0, x, 4) },
		"not available":      func() { Sgemm(isa.Best()+1, false, false, 1, 1, 1, 1, x, 1, x, 1, 0, x, 1) },
	})
}

// TestNoAllocs checks that Sgemm allocates nothing once its buffers exist,
// on the packed path, the dot-product path and the path reading A and B
// in place.
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
		if got := testing.AllocsPerRun(3, func() { Sgemm(l, true, false, 10, 128, 64, 1, a, 10, b, 128, 1, c, 128) }); got != 0 {
			t.Errorf("level %v, 10×128×64 with transposed A: %v allocations per Sgemm", l, got)
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
// float64 dot products, |err| ≤ (k+2)·2⁻²³·(Σ|alpha·a·b| + |beta·c|), at
// lengths around the vector width, with 1 to 4 rows of B, with rows of A
// and B read dotRows times (stride 0) too, one tile and three (A and C
// moving down dotRows rows each), beta 0 on NaN C and several masks: C is
// written exactly where the mask says, in every tile, with the bits of one
// call per tile. B holds exactly the rows a call may read.
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
			for cols := 1; cols <= dotRows; cols++ {
				for _, stride := range []int{0, k + 3} {
					for _, tiles := range []int{1, 3} {
						if stride == 0 && tiles > 1 {
							continue
						}
						for _, mask := range []uint16{0xffff, 0x0001, 0xeeee, 0x7310} {
							mask &= 0x1111 * (1<<cols - 1)
							for _, s := range [][2]float32{{1, 0}, {-1.5, 0.5}} {
								checkDots(t, r, name, f, k, cols, stride, tiles, mask, s[0], s[1])
							}
						}
					}
				}
			}
		}
	}
}

// checkDots runs one call of TestDotsKernels.
func checkDots(t *testing.T, r *rand.Rand, name string, f dotsFunc, k, cols, stride, tiles int, mask uint16, alpha, beta float32) {
	t.Helper()
	rows := dotRows * tiles
	a, _ := matrix(r, rows, k+3, 0, 0, false)
	b, _ := matrix(r, cols, k+3, 0, 0, false)
	b = b[:(cols-1)*stride+k]
	c, ldc := matrix(r, rows+1, dotRows, 1, 2, beta == 0)
	c0 := append([]float32(nil), c...)
	f(k, a, stride, b, stride, cols, alpha, beta, c[1:], ldc, mask, tiles)
	g := append([]float32(nil), c0...)
	for ti := 0; ti < tiles; ti++ {
		f(k, a[ti*dotRows*stride:], stride, b, stride, cols, alpha, beta, g[1+ti*dotRows*ldc:], ldc, mask, 1)
	}
	where := fmt.Sprintf("%s, k=%d, %d rows of B, stride %d, %d tiles, mask %#x", name, k, cols, stride, tiles, mask)
	for x := range c {
		if math.Float32bits(c[x]) != math.Float32bits(g[x]) {
			t.Fatalf("%s: float %d is %g, %g from one tile per call", where, x, c[x], g[x])
		}
		i, j := (x-1)/ldc, (x-1)%ldc
		ti := i % dotRows // row of the element in its tile
		if x == 0 || i >= rows || j >= dotRows || mask&(1<<(dotRows*ti+j)) == 0 {
			if math.Float32bits(c[x]) != math.Float32bits(c0[x]) {
				t.Fatalf("%s: float %d changed", where, x)
			}
			continue
		}
		ar := i/dotRows*dotRows*stride + ti*stride // row i of A
		var want, mag float64
		for p := 0; p < k; p++ {
			v := float64(alpha) * float64(a[ar+p]) * float64(b[j*stride+p])
			want += v
			mag += math.Abs(v)
		}
		if beta != 0 {
			want += float64(beta) * float64(c0[x])
			mag += math.Abs(float64(beta) * float64(c0[x]))
		}
		if got := float64(c[x]); !(math.Abs(got-want) <= float64(k+2)*eps*mag) {
			t.Errorf("%s: C[%d,%d] = %g, want %g", where, i, j, got, want)
		}
	}
}

// TestRowsPath runs every level at the shapes around the limits of the
// path that reads A and an untransposed B in place (k up to rowsMaxK, k·n
// up to rowsMaxB, n above nr/2), with m below, at and above multiples of
// rowsTile and n around the kernel's 64-column chunks, both transposes of
// A, and a transposed B at the same sizes; -short leaves out m = 64.
func TestRowsPath(t *testing.T) {
	ms := []int{1, 2, 3, 4, 5, 6, 9, 10, 11}
	if !testing.Short() {
		ms = append(ms, 64)
	}
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		r := rand.New(rand.NewPCG(6, uint64(l)))
		i := 0
		for _, m := range ms {
			for _, n := range []int{kn.nr / 2, kn.nr/2 + 1, 63, 64, 65, 128, 130} {
				for _, k := range []int{1, 3, 10, 16, 17, rowsMaxK, rowsMaxK + 1} {
					for _, s := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 1}, {2, -1.5}} {
						i++
						for _, transA := range []bool{false, true} {
							for _, transB := range []bool{false, true} {
								check(t, l, r, product{transA, transB, m, n, k, s[0], s[1], i % 4, i % 3})
							}
						}
					}
				}
			}
		}
		for _, n := range []int{rowsMaxB/rowsMaxK - 1, rowsMaxB / rowsMaxK, rowsMaxB/rowsMaxK + 1} {
			for _, transA := range []bool{false, true} {
				for _, transB := range []bool{false, true} {
					check(t, l, r, product{transA, transB, 5, n, rowsMaxK, 1.5, 0.5, 1, 2})
				}
			}
		}
	}
}

// TestRowsSamePacked checks that the path reading A and op(B) in place
// (a transposed B after one transpose) gives C bit for bit equal to the
// packed path's, so that where it is taken does not change the result.
func TestRowsSamePacked(t *testing.T) {
	for _, l := range isa.Supported() {
		kn := kernelFor(l)
		if kn.rows == nil {
			continue
		}
		r := rand.New(rand.NewPCG(7, uint64(l)))
		ws := new(workspace)
		for _, p := range []product{
			{false, false, 64, 128, 10, 1, 0, 0, 0},
			{true, false, 10, 128, 64, 1, 0, 0, 0},
			{false, false, 7, 70, 33, -0.75, 1.25, 0, 0},
			{true, false, 9, 33, 5, 3, -1, 0, 0},
			{false, true, 64, 64, 64, 1, 0, 0, 0},
			{true, true, 10, 128, 64, 1, 0, 0, 0},
			{false, true, 7, 70, 33, -0.75, 1.25, 0, 0},
			{true, true, 9, 33, 5, 3, -1, 0, 0},
		} {
			ar, ac := p.m, p.k
			if p.transA {
				ar, ac = ac, ar
			}
			br, bc := p.k, p.n
			if p.transB {
				br, bc = bc, br
			}
			a, lda := matrix(r, ar, ac, 0, 0, false)
			b, ldb := matrix(r, br, bc, 0, 0, false)
			c, ldc := matrix(r, p.m, p.n, 0, 0, false)
			packed := append([]float32(nil), c...)
			Sgemm(l, p.transA, p.transB, p.m, p.n, p.k, p.alpha, a, lda, b, ldb, p.beta, c, ldc)
			kn.gemm(ws, p.transA, p.transB, p.m, p.n, p.k, p.alpha, a, lda, nil, b, ldb, p.beta, packed, ldc)
			for x := range c {
				if math.Float32bits(c[x]) != math.Float32bits(packed[x]) {
					t.Fatalf("level %v, %v: C[%d] = %g in place, %g packed", l, p, x, c[x], packed[x])
				}
			}
		}
	}
}

// TestRowsKernels checks rowsGeneric and each level's rows kernel against
// float64 sums, |err| ≤ (k+2)·2⁻²³·(Σ|alpha·a·b| + |beta·c|), for every
// row count up to two groups of rowsTile and one more (A holding only
// those rows), n around the 64-column chunks and both layouts of A,
// without writing past the rows and columns of C.
func TestRowsKernels(t *testing.T) {
	kernels := map[string]rowsFunc{"generic": rowsGeneric}
	for _, l := range isa.Supported() {
		if kn := kernelFor(l); kn.rows != nil {
			kernels[l.String()] = kn.rows
		}
	}
	r := rand.New(rand.NewPCG(8, 0))
	const alpha, beta = 1.5, -0.5
	for name, f := range kernels {
		for _, k := range []int{1, 2, 10} {
			for _, n := range []int{1, 15, 64, 65, 129} {
				for mr := 1; mr <= 2*rowsTile+1; mr++ {
					for _, transA := range []bool{false, true} {
						ar, ac := mr, k
						if transA {
							ar, ac = k, mr
						}
						a, lda := matrix(r, ar, ac, 0, 1, false)
						sai, sap := lda, 1
						if transA {
							sai, sap = 1, lda
						}
						b, ldb := matrix(r, k, n, 0, 2, false)
						c, ldc := matrix(r, 2*rowsTile+2, n, 0, 3, false)
						c0 := append([]float32(nil), c...)
						f(k, n, alpha, a, sai, sap, b, ldb, beta, c, ldc, mr)
						for x := range c {
							i, j := x/ldc, x%ldc
							if i >= mr || j >= n {
								if math.Float32bits(c[x]) != math.Float32bits(c0[x]) {
									t.Fatalf("%s, k=%d n=%d mr=%d transA=%t: C[%d,%d] changed", name, k, n, mr, transA, i, j)
								}
								continue
							}
							want := beta * float64(c0[x])
							mag := math.Abs(want)
							for p := 0; p < k; p++ {
								v := alpha * float64(a[i*sai+p*sap]) * float64(b[p*ldb+j])
								want += v
								mag += math.Abs(v)
							}
							if got := float64(c[x]); !(math.Abs(got-want) <= float64(k+2)*eps*mag) {
								t.Errorf("%s, k=%d n=%d mr=%d transA=%t: C[%d,%d] = %g, want %g", name, k, n, mr, transA, i, j, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestWorkspace runs a sequence of products of growing and shrinking
// sizes, both transposes, through one Workspace, released halfway and used
// again, and checks each against Sgemm bit for bit; in steady state a
// Workspace's Sgemm allocates nothing.
func TestWorkspace(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, l := range isa.Supported() {
		var w Workspace
		for i, sz := range [][3]int{{64, 64, 64}, {300, 200, 150}, {8, 70, 600}, {64, 64, 64}, {33, 5, 17}, {130, 129, 65}} {
			m, n, k := sz[0], sz[1], sz[2]
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				ar, ac := m, k
				if tr[0] {
					ar, ac = k, m
				}
				br, bc := k, n
				if tr[1] {
					br, bc = n, k
				}
				a, lda := matrix(r, ar, ac, 0, 0, false)
				b, ldb := matrix(r, br, bc, 0, 0, false)
				c0, ldc := matrix(r, m, n, 0, 0, false)
				want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
				Sgemm(l, tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 0.25, want, ldc)
				w.Sgemm(l, tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 0.25, got, ldc)
				for j := range want {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("%v %v trans=%v: element %d: Workspace.Sgemm %v, Sgemm %v", l, sz, tr, j, got[j], want[j])
					}
				}
			}
			if i == 2 {
				w.Release()
			}
		}
		a, b, c := make([]float32, 64*64), make([]float32, 64*64), make([]float32, 64*64)
		if got := testing.AllocsPerRun(3, func() { w.Sgemm(l, false, true, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64) }); got != 0 {
			t.Errorf("%v: Workspace.Sgemm allocates %v times per call", l, got)
		}
		w.Release()
	}
}

// expectPanics calls each case and checks that it panics with a message
// naming fn and the case's name.
func expectPanics(t *testing.T, fn string, cases map[string]func()) {
	t.Helper()
	for name, f := range cases {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, fn) || !strings.Contains(msg, name) {
					t.Errorf("panic %q, want one naming %q", msg, name)
				}
			}()
			f()
		}()
	}
}
