package cpu

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// convBlocked are geometries whose column matrices exceed colBudget, so
// that the convolution ops unfold them in blocks that start and end inside
// rows: the first with stride, padding and dilation (im2col on the output
// grid), the second with stride 1 and no padding (columns on the input's
// grid).
var convBlocked = []backend.ConvGeom{
	{N: 2, C: 5, H: 100, W: 100, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2, DilH: 2, DilW: 1},
	{N: 2, C: 5, H: 100, W: 100, KH: 3, KW: 2, StrideH: 1, StrideW: 1, DilH: 2, DilW: 1},
}

// TestConvBlocks checks the three convolution ops on convBlocked at every
// level against float64 references written from the definition, within
// (n+2)·2⁻²³·Σ|terms| for n terms per element.
func TestConvBlocks(t *testing.T) {
	for gi, g := range convBlocked {
		checkConvBlocks(t, g, gi == 1)
	}
}

// TestConvFilterGroups checks the three convolution ops at every level,
// as TestConvBlocks does, on batches of more images than
// Conv2DBackwardFilter has chunks and outputs few enough that its products
// span several images, on the output's grid (padding) and on the input's.
func TestConvFilterGroups(t *testing.T) {
	for _, pad := range []int{1, 0} {
		g := backend.ConvGeom{N: 37, C: 4, H: 9, W: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: pad, PadW: pad, DilH: 1, DilW: 1}
		checkConv(t, g, func(p convPlan) bool {
			return !p.direct && p.shifted == (pad == 0) && 2*p.cols <= filterCols && g.N > 2*maxFilterChunks
		})
	}
}

// TestConvFilterGroupsDeterministic checks that Conv2DBackwardFilter's
// products spanning several images give bit-identical results for any
// GOMAXPROCS.
func TestConvFilterGroupsDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	g := backend.ConvGeom{N: 37, C: 4, H: 9, W: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	const f = 3
	b := New()
	defer b.Close()
	r := rand.New(rand.NewPCG(8, 9))
	random := func(shape ...int) backend.Tensor {
		d := make([]float32, backend.Shape(shape).Len())
		for i := range d {
			d[i] = float32(r.NormFloat64())
		}
		return upload(b, d, shape...)
	}
	x, dy := random(g.N, g.C, g.H, g.W), random(g.N, f, g.OutH(), g.OutW())
	var want []float32
	for _, procs := range []int{1, 2, 3, 5} {
		runtime.GOMAXPROCS(procs)
		dw := nanTensor(b, f, g.C, g.KH, g.KW)
		b.Conv2DBackwardFilter(x, dy, dw, g)
		got := make([]float32, dw.Shape().Len())
		b.Download(got, dw)
		if want == nil {
			want = got
			continue
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("element %d is %v with GOMAXPROCS %d, %v with 1", i, got[i], procs, want[i])
			}
		}
	}
}

// checkConvBlocks is TestConvBlocks on g, whose plan is shifted or not.
func checkConvBlocks(t *testing.T, g backend.ConvGeom, shifted bool) {
	checkConv(t, g, func(p convPlan) bool {
		return p.blocks >= 2 && p.block%g.OutW() != 0 && p.block%g.W != 0 && p.shifted == shifted
	})
}

// checkConv checks Conv2D, Conv2DBackwardData and Conv2DBackwardFilter
// with 3 filters on g at every level against float64 references, after
// checking that covers holds for the plan of g.
func checkConv(t *testing.T, g backend.ConvGeom, covers func(convPlan) bool) {
	f := 3
	oh, ow := g.OutH(), g.OutW()
	r := rand.New(rand.NewPCG(4, 5))
	random := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(2*r.Float64() - 1)
		}
		return s
	}
	x, w, dy := random(g.N*g.C*g.H*g.W), random(f*g.C*g.KH*g.KW), random(g.N*f*oh*ow)
	y, dx, dw := make([]float64, len(dy)), make([]float64, len(x)), make([]float64, len(w))
	ym, dxm, dwm := make([]float64, len(dy)), make([]float64, len(x)), make([]float64, len(w))
	for n := 0; n < g.N; n++ {
		for o := 0; o < f; o++ {
			for c := 0; c < g.C; c++ {
				for i := 0; i < g.KH; i++ {
					for j := 0; j < g.KW; j++ {
						wi := ((o*g.C+c)*g.KH+i)*g.KW + j
						for u := 0; u < oh; u++ {
							for v := 0; v < ow; v++ {
								ih, iw := u*g.StrideH-g.PadH+i*g.DilH, v*g.StrideW-g.PadW+j*g.DilW
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								xi, yi := ((n*g.C+c)*g.H+ih)*g.W+iw, ((n*f+o)*oh+u)*ow+v
								xv, wv, dv := float64(x[xi]), float64(w[wi]), float64(dy[yi])
								y[yi] += xv * wv
								ym[yi] += math.Abs(xv * wv)
								dx[xi] += dv * wv
								dxm[xi] += math.Abs(dv * wv)
								dw[wi] += dv * xv
								dwm[wi] += math.Abs(dv * xv)
							}
						}
					}
				}
			}
		}
	}
	for _, l := range Levels() {
		b, err := NewLevel(l)
		if err != nil {
			t.Fatal(err)
		}
		if p := b.planConv("test", g, &tensor{shape: backend.Shape{g.N, g.C, g.H, g.W}}, "x",
			&tensor{shape: backend.Shape{f, g.C, g.KH, g.KW}}, &tensor{shape: backend.Shape{g.N, f, oh, ow}}, "y"); !covers(p) {
			t.Fatalf("level %v, %+v: %d blocks of %d columns (rows of %d or %d), shifted %t: the plan is not the one the test covers",
				l, g, p.blocks, p.block, ow, g.W, p.shifted)
		}
		tx, tw, tdy := upload(b, x, g.N, g.C, g.H, g.W), upload(b, w, f, g.C, g.KH, g.KW), upload(b, dy, g.N, f, oh, ow)
		ty, tdx, tdw := nanTensor(b, g.N, f, oh, ow), nanTensor(b, g.N, g.C, g.H, g.W), nanTensor(b, f, g.C, g.KH, g.KW)
		b.Conv2D(tx, tw, ty, g)
		b.Conv2DBackwardData(tdy, tw, tdx, g)
		b.Conv2DBackwardFilter(tx, tdy, tdw, g)
		for _, c := range []struct {
			op        string
			got       backend.Tensor
			want, mag []float64
			terms     int
		}{
			{"Conv2D", ty, y, ym, g.C * g.KH * g.KW},
			{"Conv2DBackwardData", tdx, dx, dxm, f * g.KH * g.KW},
			{"Conv2DBackwardFilter", tdw, dw, dwm, g.N * oh * ow},
		} {
			got := make([]float32, len(c.want))
			b.Download(got, c.got)
			for i, v := range got {
				if tol := float64(c.terms+2) * 0x1p-23 * c.mag[i]; !(math.Abs(float64(v)-c.want[i]) <= tol) {
					t.Fatalf("level %v, %+v: %s element %d = %g, want %g ± %g", l, g, c.op, i, v, c.want[i], tol)
				}
			}
		}
		b.Close()
	}
}

func upload(b *Backend, data []float32, shape ...int) backend.Tensor {
	t := b.Alloc(shape...)
	b.Upload(t, data)
	return t
}

func nanTensor(b *Backend, shape ...int) backend.Tensor {
	t := b.Alloc(shape...)
	b.Fill(t, float32(math.NaN()))
	return t
}

// TestGEMMNoAllocs checks that MatMul (256³) and the convolution ops
// allocate nothing after a warm-up, on two goroutines.
func TestGEMMNoAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	b := New()
	defer b.Close()
	const n = 256
	r := rand.New(rand.NewPCG(6, 7))
	random := func(shape ...int) backend.Tensor {
		d := make([]float32, backend.Shape(shape).Len())
		for i := range d {
			d[i] = float32(r.NormFloat64())
		}
		return upload(b, d, shape...)
	}
	g := backend.ConvGeom{N: 8, C: 32, H: 26, W: 26, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	x, w, y := random(g.N, g.C, g.H, g.W), random(64, g.C, g.KH, g.KW), random(g.N, 64, g.OutH(), g.OutW())
	ma, mb, mc := random(n, n), random(n, n), random(n, n)
	for name, op := range map[string]func(){
		"MatMul":               func() { b.MatMul(false, true, 1, ma, mb, 0, mc) },
		"Conv2D":               func() { b.Conv2D(x, w, y, g) },
		"Conv2DBackwardData":   func() { b.Conv2DBackwardData(y, w, x, g) },
		"Conv2DBackwardFilter": func() { b.Conv2DBackwardFilter(x, y, w, g) },
	} {
		op()
		if a := testing.AllocsPerRun(5, op); a != 0 {
			t.Errorf("%s: %v allocations per call", name, a)
		}
	}
}
