//go:build cuda

package cuda

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// GPU tests of the optional op groups, for what the conformance suite may
// not reach: the kernel paths chosen by shape, views' lifetime, the
// device-side index errors and ScatterAdd's exact order.

// u32 is float32's unit roundoff, 2⁻²⁴.
const u32 = 0x1p-24

// randFloats returns n values uniform in [lo, hi) from a fixed seed.
func randFloats(seed uint64, n int, lo, hi float64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return x
}

// up allocates a tensor of the given shape on g holding x.
func up(g *Backend, x []float32, shape ...int) backend.Tensor {
	t := g.Alloc(shape...)
	g.Upload(t, x)
	return t
}

// down returns t's contents.
func down(g *Backend, t backend.Tensor) []float32 {
	x := make([]float32, t.Shape().Len())
	g.Download(x, t)
	return x
}

// nanFilled allocates a tensor of the given shape filled with NaN.
func nanFilled(g *Backend, shape ...int) backend.Tensor {
	t := g.Alloc(shape...)
	g.Fill(t, float32(math.NaN()))
	return t
}

// sameBits reports whether x and y are equal bit for bit.
func sameBits(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }

// checkClose fails t at the first i where got[i] differs from want[i] by
// more than tol[i] (NaN must match NaN).
func checkClose(t *testing.T, what string, got []float32, want, tol []float64) {
	t.Helper()
	for i := range want {
		g, w := float64(got[i]), want[i]
		if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && g != w && !(math.Abs(g-w) <= tol[i])) {
			t.Errorf("%s: element %d = %v, want %v ± %.3g", what, i, g, w, tol[i])
			return
		}
	}
}

// syncOK fails t if g has recorded an error.
func syncOK(t *testing.T, g *Backend) {
	t.Helper()
	if err := g.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

func TestViews(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	x := up(g, randFloats(1, 24, -1, 1), 4, 3, 2)
	want := down(g, x)

	r := g.Reshape(x, 6, 4)
	s := g.Slice(x, 1, 3)
	if !r.Shape().Equal(backend.Shape{6, 4}) || !s.Shape().Equal(backend.Shape{2, 3, 2}) {
		t.Fatalf("Reshape shape %v, Slice shape %v; want [6 4], [2 3 2]", r.Shape(), s.Shape())
	}
	if got := down(g, s); !equal32(got, want[6:18]) {
		t.Errorf("Slice(1, 3) = %v, want %v", got, want[6:18])
	}
	// A view as an op's output writes the base's memory.
	g.Fill(s, 5)
	g.Scale(2, g.Slice(r, 5, 6))
	for i := range want {
		switch {
		case i >= 6 && i < 18:
			want[i] = 5
		case i >= 20:
			want[i] *= 2
		}
	}
	if got := down(g, x); !equal32(got, want) {
		t.Errorf("base after writes through views = %v, want %v", got, want)
	}
	// SliceInto re-aims without allocating.
	v := g.Slice(x, 0, 1)
	allocs := testing.AllocsPerRun(100, func() { g.SliceInto(v, x, 2, 4) })
	if allocs != 0 {
		t.Errorf("SliceInto: %v allocations per call, want 0", allocs)
	}
	if got := down(g, v); !v.Shape().Equal(backend.Shape{2, 3, 2}) || !equal32(got, want[12:]) {
		t.Errorf("SliceInto(x, 2, 4): shape %v, values %v; want [2 3 2], %v", v.Shape(), got, want[12:])
	}
	allocs = testing.AllocsPerRun(100, func() { g.Slice(x, 1, 2) })
	t.Logf("Slice: %v allocations per call (the view itself)", allocs)
	// Free of a view is a no-op; a view dies with its base.
	g.Free(v)
	if got := down(g, x); !equal32(got, want) {
		t.Errorf("base after Free of a view = %v, want %v", got, want)
	}
	g.Free(x)
	mustPanic(t, "used after its base", func() { g.Fill(r, 0) })
	mustPanic(t, "used after its base", func() { down(g, s) })
	g.Free(s) // still a no-op
	syncOK(t, g)
}

func TestInt32Tensors(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	idx := g.AllocInt32(2, 3)
	src := []int32{-7, 0, 1, 2147483647, -2147483648, 42}
	g.UploadInt32(idx, src)
	got := make([]int32, 6)
	g.DownloadInt32(got, g.Reshape(idx, 6))
	for i := range src {
		if got[i] != src[i] {
			t.Fatalf("DownloadInt32 = %v, want %v", got, src)
		}
	}
	if d := backend.DTypeOf(g.Slice(idx, 1, 2)); d != backend.Int32 {
		t.Errorf("a slice of an int32 tensor has type %v", d)
	}
	f := g.Alloc(2, 3)
	mustPanic(t, "holds int32, want float32", func() { g.Fill(idx, 0) })
	mustPanic(t, "holds int32, want float32", func() { g.Add(f, idx, f) })
	mustPanic(t, "holds int32, want float32", func() { g.Upload(idx, make([]float32, 6)) })
	mustPanic(t, "holds float32, want int32", func() { g.UploadInt32(f, src) })
	g.Free(idx)
	syncOK(t, g)
}

func equal32(x, y []float32) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !sameBits(x[i], y[i]) {
			return false
		}
	}
	return true
}

// TestCopyRegion checks boxes with negative and zero strides, accumulation
// in float32 and int32, and the transpose of the last two axes.
func TestCopyRegion(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	const a, b, c = 3, 4, 5
	src := randFloats(2, a*b*c, -1, 1)
	x := up(g, src, a, b, c)
	// Transpose of the last two axes: dst [a, c, b].
	y := nanFilled(g, a, c, b)
	g.CopyRegion(y, backend.Region{Strides: [4]int{0, c * b, 1, b}}, x, backend.Region{Strides: [4]int{0, b * c, c, 1}}, [4]int{1, a, b, c}, false)
	got := down(g, y)
	for i := range a {
		for j := range b {
			for k := range c {
				if got[i*c*b+k*b+j] != src[i*b*c+j*c+k] {
					t.Fatalf("transpose: y[%d,%d,%d] = %v, want %v", i, k, j, got[i*c*b+k*b+j], src[i*b*c+j*c+k])
				}
			}
		}
	}
	// Reversed rows of one plane, accumulated onto ones, from a source
	// read with a zero stride (the same row repeated).
	z := up(g, make32(b*c, 1), b, c)
	g.CopyRegion(z, backend.Region{Offset: b*c - 1, Strides: [4]int{0, 0, -c, -1}}, x, backend.Region{Offset: c, Strides: [4]int{0, 0, 0, 1}}, [4]int{1, 1, b, c}, true)
	got = down(g, z)
	for j := range b {
		for k := range c {
			want := 1 + src[c+k]
			if at := b*c - 1 - j*c - k; got[at] != want {
				t.Fatalf("accumulate: z[%d] = %v, want %v", at, got[at], want)
			}
		}
	}
	// int32, accumulated.
	p, q := g.AllocInt32(6), g.AllocInt32(3)
	g.UploadInt32(p, []int32{1, 2, 3, 4, 5, 6})
	g.UploadInt32(q, []int32{10, -20, 30})
	g.CopyRegion(p, backend.Region{Offset: 1, Strides: [4]int{0, 0, 0, 2}}, q, backend.Region{Strides: [4]int{0, 0, 0, 1}}, [4]int{1, 1, 1, 3}, true)
	pi := make([]int32, 6)
	g.DownloadInt32(pi, p)
	if want := []int32{1, 12, 3, -16, 5, 36}; !equalInts(pi, want) {
		t.Errorf("int32 accumulate: %v, want %v", pi, want)
	}
	mustPanic(t, "reaches elements", func() {
		g.CopyRegion(z, backend.Region{Offset: 1, Strides: [4]int{0, 0, c, 1}}, x, backend.Region{Strides: [4]int{0, 0, c, 1}}, [4]int{1, 1, b, c}, false)
	})
	mustPanic(t, "holds", func() {
		g.CopyRegion(p, backend.Region{}, x, backend.Region{}, [4]int{1, 1, 1, 1}, false)
	})
	syncOK(t, g)
}

func make32(n int, v float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

func equalInts(x, y []int32) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// binaryRef returns a op b in float64, rounded to float32: for add, sub,
// mul and div of float32 operands that is the correctly rounded float32
// result, which the GPU must match bit for bit.
func binaryRef(op backend.BinaryOp, a, b float32) float32 {
	x, y := float64(a), float64(b)
	switch op {
	case backend.OpAdd:
		return float32(x + y)
	case backend.OpSub:
		return float32(x - y)
	case backend.OpMul:
		return float32(x * y)
	case backend.OpDiv:
		return float32(x / y)
	case backend.OpMax:
		if math.IsNaN(x) || math.IsNaN(y) {
			return float32(math.NaN())
		}
		return float32(math.Max(x, y))
	default:
		if math.IsNaN(x) || math.IsNaN(y) {
			return float32(math.NaN())
		}
		return float32(math.Min(x, y))
	}
}

// TestBinaryBroadcast runs every operation on shapes that take each path:
// equal shapes, one to four collapsed dimensions, five (the host loop),
// a one-element operand, and c aliasing an operand.
func TestBinaryBroadcast(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	shapes := [][2]backend.Shape{
		{{7, 33}, {7, 33}},
		{{7, 33}, {1, 33}},
		{{7, 33}, {33}},
		{{2, 5, 3, 3}, {5, 1, 1}},
		{{1}, {2, 3, 4}},
		{{3, 1}, {1, 4}},
		{{2, 1, 3, 1, 2}, {1, 3, 1, 2, 1}},
		{{2, 3, 4}, {2, 1, 4}},
		{{6, 1, 1, 7}, {6, 5, 4, 7}},
		{{1000, 37}, {1000, 1}},
	}
	for si, sh := range shapes {
		c, _ := broadcastShape(sh[0], sh[1])
		av := randFloats(uint64(10+si), sh[0].Len(), -2, 2)
		bv := randFloats(uint64(50+si), sh[1].Len(), -2, 2)
		av[len(av)/2] = float32(math.NaN())
		bv[len(bv)-1] = 0 // division by zero somewhere
		ta, tb := up(g, av, sh[0]...), up(g, bv, sh[1]...)
		ia, ib := broadcastIndex(c, sh[0]), broadcastIndex(c, sh[1])
		for op := backend.OpAdd; op <= backend.OpMin; op++ {
			tc := nanFilled(g, c...)
			g.Binary(op, ta, tb, tc)
			got := down(g, tc)
			for i := range got {
				if want := binaryRef(op, av[ia[i]], bv[ib[i]]); !sameBits(got[i], want) && !(isNaN32(got[i]) && isNaN32(want)) {
					t.Errorf("Binary %v %v %v: c[%d] = %v, want %v", op, sh[0], sh[1], i, got[i], want)
					break
				}
			}
			g.Free(tc)
		}
		// c aliasing a when a has c's shape.
		if sh[0].Equal(c) {
			g.Binary(backend.OpSub, ta, tb, ta)
			got := down(g, ta)
			for i := range got {
				if want := binaryRef(backend.OpSub, av[ia[i]], bv[ib[i]]); !sameBits(got[i], want) && !(isNaN32(got[i]) && isNaN32(want)) {
					t.Errorf("Binary sub in place %v %v: a[%d] = %v, want %v", sh[0], sh[1], i, got[i], want)
					break
				}
			}
		}
		g.Free(ta)
		g.Free(tb)
	}
	x := g.Alloc(3, 4)
	mustPanic(t, "do not broadcast", func() { g.Binary(backend.OpAdd, x, g.Alloc(3), x) })
	mustPanic(t, "want the broadcast shape", func() { g.Binary(backend.OpAdd, x, x, g.Alloc(4, 3)) })
	mustPanic(t, "shares memory", func() { g.Binary(backend.OpAdd, g.Slice(x, 0, 1), x, x) })
	syncOK(t, g)
}

func isNaN32(x float32) bool { return x != x }

func TestUnaryAffineClamp(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	xv := randFloats(3, 1000, -3, 3)
	xv[0], xv[1], xv[2] = 0, float32(math.Inf(1)), float32(math.NaN())
	x := up(g, xv, 10, 100)
	y := g.Alloc(10, 100)
	funcs := map[backend.UnaryOp]func(float64) float64{
		backend.OpExp: math.Exp, backend.OpLog: math.Log, backend.OpSqrt: math.Sqrt,
		backend.OpRsqrt: func(v float64) float64 { return 1 / math.Sqrt(v) }, backend.OpAbs: math.Abs,
		backend.OpSquare: func(v float64) float64 { return v * v }, backend.OpReciprocal: func(v float64) float64 { return 1 / v },
		backend.OpNeg: func(v float64) float64 { return -v },
	}
	for op, f := range funcs {
		g.Fill(y, float32(math.NaN()))
		g.Unary(op, x, y)
		got := down(g, y)
		want, tol := make([]float64, len(xv)), make([]float64, len(xv))
		for i, v := range xv {
			want[i] = float64(float32(f(float64(v))))
			tol[i] = 8 * u32 * math.Abs(want[i]) // exp: 2 ulp, log 1, the others ½; plus the reference's rounding
		}
		checkClose(t, "Unary "+op.String(), got, want, tol)
	}
	g.Affine(-1.5, 0.25, x, y)
	want, tol := make([]float64, len(xv)), make([]float64, len(xv))
	for i, v := range xv {
		want[i] = -1.5*float64(v) + 0.25
		tol[i] = u32 * math.Abs(want[i]) // one rounding
	}
	checkClose(t, "Affine", down(g, y), want, tol)
	g.Clamp(-1, 2, x, x)
	got := down(g, x)
	for i, v := range xv {
		want := v
		switch {
		case v != v:
		case v < -1:
			want = -1
		case v > 2:
			want = 2
		}
		if !sameBits(got[i], want) && !(isNaN32(got[i]) && isNaN32(want)) {
			t.Errorf("Clamp in place: x[%d] = %v, want %v", i, got[i], want)
			break
		}
	}
	syncOK(t, g)
}

// reduceRef returns op over axis of x [outer, n, inner] + beta·y, in
// float64, and the absolute magnitudes Σ|x| for the tolerance.
func reduceRef(op backend.ReduceOp, x []float32, outer, n, inner int, y []float32, beta float32) (want, mag []float64) {
	want, mag = make([]float64, outer*inner), make([]float64, outer*inner)
	for o := range outer {
		for j := range inner {
			r := o*inner + j
			s, m := 0.0, math.Inf(-1)
			for a := range n {
				v := float64(x[(o*n+a)*inner+j])
				s += v
				mag[r] += math.Abs(v)
				if math.IsNaN(v) {
					m = v
				} else if v > m {
					m = v
				}
			}
			switch op {
			case backend.ReduceSum:
				want[r] = s
			case backend.ReduceMean:
				want[r], mag[r] = s/float64(n), mag[r]/float64(n)
			default:
				want[r], mag[r] = m, math.Abs(m)
			}
			if beta != 0 {
				want[r] += float64(beta) * float64(y[r])
				mag[r] += math.Abs(float64(beta) * float64(y[r]))
			}
		}
	}
	return want, mag
}

// TestReduceAxes covers the three paths of Reduce (one output through the
// Sum kernels, a warp per output, a thread per output), beta 0 over NaN
// and beta ≠ 0, and NaN in the maximum.
func TestReduceAxes(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	for si, shape := range []backend.Shape{{100000}, {5, 7, 3}, {3, 300, 2}, {64, 40}, {2, 9, 64}, {33, 1}, {1, 5000, 1}} {
		xv := randFloats(uint64(100+si), shape.Len(), -1, 1)
		x := up(g, xv, shape...)
		for axis := range shape {
			outer, n, inner := backend.Shape(shape[:axis]).Len(), shape[axis], backend.Shape(shape[axis+1:]).Len()
			for op := backend.ReduceSum; op <= backend.ReduceMax; op++ {
				for _, beta := range []float32{0, 0.5} {
					yv := randFloats(uint64(200+si), outer*inner, -1, 1)
					y := up(g, yv, outer*inner)
					if beta == 0 {
						g.Fill(y, float32(math.NaN()))
					}
					g.Reduce(op, x, axis, y, beta)
					want, mag := reduceRef(op, xv, outer, n, inner, yv, beta)
					tol := make([]float64, len(want))
					for i := range tol {
						tol[i] = u32*math.Abs(want[i]) + 1e-12*mag[i] // one rounding of a double sum
					}
					checkClose(t, "Reduce "+op.String()+" "+shape.String()+" axis "+string(rune('0'+axis)), down(g, y), want, tol)
					g.Free(y)
				}
			}
		}
		g.Free(x)
	}
	// NaN anywhere along the axis makes the maximum NaN, in both kernels.
	for _, shape := range []backend.Shape{{4, 50}, {4, 50, 40}} {
		xv := randFloats(7, shape.Len(), -1, 1)
		xv[len(xv)-1] = float32(math.NaN())
		x, y := up(g, xv, shape...), g.Alloc(shape.Len()/50)
		g.Reduce(backend.ReduceMax, x, 1, y, 0)
		if got := down(g, y); !isNaN32(got[len(got)-1]) || isNaN32(got[0]) {
			t.Errorf("Reduce max %v with one NaN: %v, want NaN only in the last output", shape, got)
		}
	}
	mustPanic(t, "want 4 elements", func() { g.Reduce(backend.ReduceSum, g.Alloc(3, 4), 0, g.Alloc(3), 0) })
	syncOK(t, g)
}

// TestArgMax checks ties (the first index), NaN (the first NaN wins, as in
// torch.max) and values, in both kernels.
func TestArgMax(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	for si, shape := range []backend.Shape{{6, 100}, {3, 40, 50}, {5, 3}, {2, 7, 5}, {4, 40, 3}} {
		xv := randFloats(uint64(300+si), shape.Len(), -1, 1)
		for i := range xv {
			xv[i] = float32(math.Round(float64(xv[i]) * 3)) // many ties
		}
		xv[len(xv)/2] = float32(math.NaN())
		x := up(g, xv, shape...)
		for axis := range shape {
			outer, n, inner := backend.Shape(shape[:axis]).Len(), shape[axis], backend.Shape(shape[axis+1:]).Len()
			idx, vals := g.AllocInt32(outer*inner), nanFilled(g, outer*inner)
			g.ArgMax(x, axis, vals, idx)
			gi := make([]int32, outer*inner)
			g.DownloadInt32(gi, idx)
			gv := down(g, vals)
			g.ArgMax(x, axis, nil, idx)
			gi2 := make([]int32, outer*inner)
			g.DownloadInt32(gi2, idx)
			for o := range outer {
				for j := range inner {
					r := o*inner + j
					best := 0
					for a := 1; a < n; a++ {
						v, bv := xv[(o*n+a)*inner+j], xv[(o*n+best)*inner+j]
						if (isNaN32(v) && !isNaN32(bv)) || v > bv {
							best = a
						}
					}
					bv := xv[(o*n+best)*inner+j]
					if int(gi[r]) != best || int(gi2[r]) != best || !(sameBits(gv[r], bv) || (isNaN32(gv[r]) && isNaN32(bv))) {
						t.Errorf("ArgMax %v axis %d output %d: index %d (%d without values), value %v; want %d, %v", shape, axis, r, gi[r], gi2[r], gv[r], best, bv)
					}
				}
			}
			g.Free(idx)
			g.Free(vals)
		}
	}
	syncOK(t, g)
}

// TestGatherScatterAdd checks Gather exactly and ScatterAdd against the
// sequential float32 loop bit for bit, with indices repeated across many
// chunks of the placement kernel, and that ScatterAdd repeats exactly.
func TestGatherScatterAdd(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	const v, d, n = 7, 33, 3000
	r := rand.New(rand.NewPCG(5, 6))
	iv := make([]int32, n)
	for i := range iv {
		iv[i] = int32(r.IntN(v))
		if i%10 == 0 {
			iv[i] = 3 // one row used far more than the others
		}
	}
	tv := randFloats(8, v*d, -1, 1)
	table, idx := up(g, tv, v, d), g.AllocInt32(n)
	g.UploadInt32(idx, iv)
	out := nanFilled(g, n, d)
	g.Gather(table, idx, out)
	got := down(g, out)
	for i := range n {
		for k := range d {
			if got[i*d+k] != tv[int(iv[i])*d+k] {
				t.Fatalf("Gather: out[%d, %d] = %v, want %v", i, k, got[i*d+k], tv[int(iv[i])*d+k])
			}
		}
	}
	sv := randFloats(9, n*d, -1, 1)
	src := up(g, sv, n, d)
	want := append([]float32(nil), tv...)
	for i := range n {
		for k := range d {
			want[int(iv[i])*d+k] += sv[i*d+k]
		}
	}
	var first []float32
	for run := range 3 {
		g.Upload(table, tv)
		g.ScatterAdd(src, idx, table)
		got := down(g, table)
		if !equal32(got, want) {
			for i := range got {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("ScatterAdd run %d: table[%d] = %v, want %v (the sequential float32 sum, bit for bit)", run, i, got[i], want[i])
				}
			}
		}
		if first == nil {
			first = got
		} else if !equal32(first, got) {
			t.Fatalf("ScatterAdd run %d differs from run 0", run)
		}
	}
	syncOK(t, g)
}

func TestOneHotCountCorrectLabels(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	const n, k = 50, 13
	r := rand.New(rand.NewPCG(7, 8))
	lv := make([]int32, n)
	for i := range lv {
		lv[i] = int32(r.IntN(k))
	}
	labels := g.AllocInt32(n)
	g.UploadInt32(labels, lv)
	out := nanFilled(g, n, k)
	g.OneHot(labels, out)
	got := down(g, out)
	for i := range n {
		for c := range k {
			want := float32(0)
			if int(lv[i]) == c {
				want = 1
			}
			if got[i*k+c] != want {
				t.Fatalf("OneHot: out[%d, %d] = %v, want %v", i, c, got[i*k+c], want)
			}
		}
	}
	pv := randFloats(10, n*k, -1, 1)
	hits := 0
	for i := range n {
		if i%3 == 0 { // make row i predict its label
			pv[i*k+int(lv[i])] = 2
		}
		best := 0
		for c := 1; c < k; c++ {
			if pv[i*k+c] > pv[i*k+best] {
				best = c
			}
		}
		if best == int(lv[i]) {
			hits++
		}
	}
	pred, count := up(g, pv, n, k), up(g, []float32{10}, 1)
	g.CountCorrectLabels(pred, labels, count)
	if got := down(g, count)[0]; got != float32(10+hits) {
		t.Errorf("CountCorrectLabels added %v, want %d", got-10, hits)
	}
	syncOK(t, g)
}

// TestIndexOutOfRange checks that an index out of range gives zeros where
// the op writes, and an *IndexError from Sync that stays.
func TestIndexOutOfRange(t *testing.T) {
	cases := []struct {
		op   string
		run  func(g *Backend, idx backend.Tensor) backend.Tensor
		zero bool // the output holds zeros for the bad row
	}{
		{"Gather", func(g *Backend, idx backend.Tensor) backend.Tensor {
			out := nanFilled(g, 3, 4)
			g.Gather(up(g, make32(20, 1), 5, 4), idx, out)
			return out
		}, true},
		{"ScatterAdd", func(g *Backend, idx backend.Tensor) backend.Tensor {
			table := up(g, make32(20, 1), 5, 4)
			g.ScatterAdd(up(g, make32(12, 1), 3, 4), idx, table)
			return nil
		}, false},
		{"OneHot", func(g *Backend, idx backend.Tensor) backend.Tensor {
			out := nanFilled(g, 3, 5)
			g.OneHot(idx, out)
			return out
		}, true},
		{"CountCorrectLabels", func(g *Backend, idx backend.Tensor) backend.Tensor {
			g.CountCorrectLabels(up(g, make32(15, 1), 3, 5), idx, g.Alloc(1))
			return nil
		}, false},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			g := open(t, Options{})
			defer g.Close()
			idx := g.AllocInt32(3)
			g.UploadInt32(idx, []int32{1, 9, 0})
			out := c.run(g, idx)
			if c.zero {
				got := down(g, out)
				cols := len(got) / 3
				for k := range cols {
					if got[cols+k] != 0 {
						t.Errorf("%s: row 1 (index 9) = %v, want zeros", c.op, got[cols:2*cols])
						break
					}
				}
			}
			for range 2 {
				err := g.Sync()
				var ie *IndexError
				if !errors.As(err, &ie) || ie.Op != c.op || ie.Index != 9 || ie.Bound != 5 {
					t.Errorf("Sync = %v, want an *IndexError from %s for index 9 outside [0, 5)", err, c.op)
				}
			}
		})
	}
}

// TestBatchMatMul compares every transpose combination with a float64
// reference, beta 0 over NaN and beta 1.
func TestBatchMatMul(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	const batch, m, n, k = 5, 17, 23, 31
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		as, bs := []int{batch, m, k}, []int{batch, k, n}
		if tr[0] {
			as = []int{batch, k, m}
		}
		if tr[1] {
			bs = []int{batch, n, k}
		}
		av, bv, cv := randFloats(11, batch*m*k, -1, 1), randFloats(12, batch*k*n, -1, 1), randFloats(13, batch*m*n, -1, 1)
		a, b := up(g, av, as...), up(g, bv, bs...)
		for _, beta := range []float32{0, 1} {
			c := up(g, cv, batch, m, n)
			if beta == 0 {
				g.Fill(c, float32(math.NaN()))
			}
			g.BatchMatMul(tr[0], tr[1], 0.5, a, b, beta, c)
			want, tol := make([]float64, batch*m*n), make([]float64, batch*m*n)
			for p := range batch {
				for i := range m {
					for j := range n {
						s, mag := 0.0, 0.0
						for l := range k {
							ai := p*m*k + i*k + l
							if tr[0] {
								ai = p*m*k + l*m + i
							}
							bi := p*k*n + l*n + j
							if tr[1] {
								bi = p*k*n + j*k + l
							}
							x := float64(av[ai]) * float64(bv[bi])
							s += x
							mag += math.Abs(x)
						}
						r := p*m*n + i*n + j
						want[r] = 0.5*s + float64(beta)*float64(cv[r])
						tol[r] = float64(k+2) * u32 / (1 - float64(k+2)*u32) * (0.5*mag + math.Abs(float64(beta)*float64(cv[r])))
					}
				}
			}
			checkClose(t, "BatchMatMul", down(g, c), want, tol)
			g.Free(c)
		}
	}
	x := g.Alloc(2, 3, 4)
	mustPanic(t, "three dimensions", func() { g.BatchMatMul(false, false, 1, x, g.Alloc(3, 4, 5), 0, g.Alloc(2, 3, 5)) })
	sq := g.Alloc(2, 3, 3)
	mustPanic(t, "shares memory", func() { g.BatchMatMul(false, false, 1, sq, g.Alloc(2, 3, 3), 0, sq) })
	syncOK(t, g)
}

// TestAccumulatingGradients checks BiasGradAdd and ActivateBackwardAdd
// against BiasGrad and ActivateBackward plus beta times the old values.
func TestAccumulatingGradients(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	dyv := randFloats(20, 4*6*25, -1, 1)
	dy := up(g, dyv, 4, 6, 5, 5)
	old := randFloats(21, 6, -1, 1)
	db, plain := up(g, old, 6), g.Alloc(6)
	g.BiasGrad(dy, plain)
	g.BiasGradAdd(dy, 0.75, db)
	p, got := down(g, plain), down(g, db)
	for c := range 6 {
		want := float64(p[c]) + 0.75*float64(old[c])
		if math.Abs(float64(got[c])-want) > 4*u32*(math.Abs(want)+math.Abs(float64(p[c]))) {
			t.Errorf("BiasGradAdd: db[%d] = %v, want %v", c, got[c], want)
		}
	}
	g.Fill(db, float32(math.NaN()))
	g.BiasGradAdd(dy, 0, db)
	if got := down(g, db); !equal32(got, p) {
		t.Errorf("BiasGradAdd beta 0 over NaN = %v, want BiasGrad's %v", got, p)
	}
	x := up(g, randFloats(22, 600, -2, 2), 600)
	y := g.Alloc(600)
	act := backend.Activation{Kind: backend.Tanh}
	g.Activate(act, x, y)
	dxOld := randFloats(23, 600, -1, 1)
	dx, plainDx := up(g, dxOld, 600), g.Alloc(600)
	g.ActivateBackward(act, x, y, dy, plainDx)
	g.ActivateBackwardAdd(act, x, y, dy, -2, dx)
	pd, gd := down(g, plainDx), down(g, dx)
	for i := range pd {
		if want := float32(float64(pd[i]) - 2*float64(dxOld[i])); !sameBits(gd[i], want) {
			t.Fatalf("ActivateBackwardAdd: dx[%d] = %v, want %v", i, gd[i], want)
		}
	}
	mustPanic(t, "shares memory with dy", func() { g.ActivateBackwardAdd(act, x, y, dy, 1, dy) })
	syncOK(t, g)
}

// TestTryAllocOutOfMemory allocates past the device's memory: one request
// larger than all of it, then 1 GiB blocks until the device has no more.
// Each failure must wrap backend.ErrOutOfMemory and leave the backend
// usable; after freeing, a larger block (which needs the allocator's cache
// returned to the device) must succeed, and Alloc must panic with the same
// kind of error.
func TestTryAllocOutOfMemory(t *testing.T) {
	g := open(t, Options{})
	defer g.Close()
	_, total, err := g.d.memInfo()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.TryAlloc(int(total/4) + 1<<20); !errors.Is(err, backend.ErrOutOfMemory) {
		t.Fatalf("TryAlloc of more than the device's %d bytes: %v, want an error wrapping ErrOutOfMemory", total, err)
	} else {
		t.Log(err)
	}
	const chunk = 1 << 30 / 4 // floats in 1 GiB
	var held []backend.Tensor
	for {
		x, err := g.TryAlloc(chunk)
		if err != nil {
			if !errors.Is(err, backend.ErrOutOfMemory) {
				t.Fatalf("TryAlloc after %d GiB: %v, want an error wrapping ErrOutOfMemory", len(held), err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Name != "CUDA_ERROR_OUT_OF_MEMORY" {
				t.Errorf("TryAlloc error %v does not wrap the driver's *Error", err)
			}
			break
		}
		held = append(held, x)
		if len(held) > int(total>>30)+1 {
			t.Fatalf("%d GiB allocated on a device of %d GiB", len(held), total>>30)
		}
	}
	t.Logf("%d GiB allocated before out of memory, device total %.1f GiB", len(held), float64(total)/(1<<30))
	if len(held) < 2 {
		t.Fatalf("only %d GiB allocated", len(held))
	}
	func() {
		defer func() {
			r := recover()
			if err, ok := r.(error); !ok || !errors.Is(err, backend.ErrOutOfMemory) {
				t.Errorf("Alloc when out of memory panicked with %v, want an error wrapping ErrOutOfMemory", r)
			}
		}()
		g.Alloc(chunk)
	}()
	if err := g.Sync(); err != nil {
		t.Fatalf("Sync after out of memory: %v, want nil (the backend stays usable)", err)
	}
	// Work still runs: fill and read back the last block.
	last := held[len(held)-1]
	g.Fill(g.Slice(last, 0, 4), 3)
	if got := down(g, g.Slice(last, 0, 4)); !equal32(got, make32(4, 3)) {
		t.Errorf("Fill after out of memory: %v, want [3 3 3 3]", got)
	}
	for _, x := range held {
		g.Free(x)
	}
	// Two thirds of what was held, in one block of another size class:
	// only possible once the cached 1 GiB blocks go back to the device.
	big, err := g.TryAlloc(len(held) * 2 / 3 * chunk)
	if err != nil {
		t.Fatalf("TryAlloc of %d GiB after freeing %d GiB: %v", len(held)*2/3, len(held), err)
	}
	g.Fill(big, 1)
	g.Free(big)
	syncOK(t, g)
}
