package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// checkViews checks Reshape, Slice, SliceInto and ReshapeInto: a view reads and writes
// its base's elements, serves as input and output of core ops, which then
// write only the viewed elements (the rest of the base stays NaN), and
// Free of a view leaves the base alone.
func checkViews(t *testing.T, b backend.Backend) {
	v := need[backend.Viewer](t, b)
	rng := newRand(60)

	t.Run("Reshape", func(t *testing.T) {
		x := uniform(rng, 24, -1, 1)
		tx := upload(t, b, x, 6, 4)
		for _, shape := range [][]int{{4, 6}, {24}, {2, 3, 4}, {1, 2, 1, 12}, {1, 1, 2, 1, 3, 4}} {
			s := append([]int(nil), shape...)
			r := v.Reshape(tx, s...)
			s[0] = 99 // the view must not keep the caller's slice
			if !r.Shape().Equal(shape) {
				t.Errorf("Reshape(%v): view has shape %v", shape, r.Shape())
			}
			expectBits(t, fmt.Sprintf("Reshape(%v) read back", shape), download(b, r), x)
		}
		y := uniform(rng, 24, -1, 1)
		b.Upload(v.Reshape(tx, 24), y)
		expectBits(t, "base after Upload into its Reshape", download(b, tx), y)
		one := upload(t, b, []float32{3}, 1)
		if r := v.Reshape(one); r.Shape().Len() != 1 {
			t.Errorf("Reshape of a one-element tensor to no dimensions: shape %v", r.Shape())
		}
	})

	t.Run("Slice", func(t *testing.T) {
		base := poisoned(t, b, 7, 3, 2)
		s := v.Slice(base, 2, 5)
		if want := (backend.Shape{3, 3, 2}); !s.Shape().Equal(want) {
			t.Fatalf("Slice(base %v, 2, 5): shape %v, want %v", base.Shape(), s.Shape(), want)
		}
		z := uniform(rng, 18, -1, 1)
		b.Upload(s, z)
		want := nans(42)
		copy(want[12:30], z)
		expectBits(t, "base after Upload into rows [2, 5)", download(b, base), want)
		expectBits(t, "Slice read back", download(b, s), z)

		ss := v.Slice(s, 1, 3) // rows 3 and 4 of base
		expectBits(t, "Slice of a Slice", download(b, ss), z[6:18])
		b.Free(ss) // a no-op: the memory is base's
		expectBits(t, "base after Free of a view", download(b, base), want)
		expectBits(t, "Slice after Free of another view", download(b, s), z)

		v.SliceInto(s, base, 6, 7)
		if want := (backend.Shape{1, 3, 2}); !s.Shape().Equal(want) {
			t.Errorf("SliceInto(view, base, 6, 7): shape %v, want %v", s.Shape(), want)
		}
		expectBits(t, "SliceInto rows [6, 7)", download(b, s), want[36:42])
		y := uniform(rng, 8, -1, 1)
		other := upload(t, b, y, 4, 2)
		v.SliceInto(s, other, 1, 3)
		if want := (backend.Shape{2, 2}); !s.Shape().Equal(want) {
			t.Errorf("SliceInto(view, other %v, 1, 3): shape %v, want %v", other.Shape(), s.Shape(), want)
		}
		expectBits(t, "SliceInto another tensor", download(b, s), y[2:6])
	})

	t.Run("ReshapeInto", func(t *testing.T) {
		rs := need[backend.Reshaper](t, b)
		x := uniform(rng, 24, -1, 1)
		view := v.Reshape(upload(t, b, x, 6, 4), 24)
		y := uniform(rng, 24, -1, 1)
		other := upload(t, b, y, 3, 8)
		rs.ReshapeInto(view, other, 2, 3, 4)
		if want := (backend.Shape{2, 3, 4}); !view.Shape().Equal(want) {
			t.Errorf("ReshapeInto(view, %v, 2, 3, 4): shape %v, want %v", other.Shape(), view.Shape(), want)
		}
		expectBits(t, "ReshapeInto another tensor", download(b, view), y)
		// At a Slice of a NaN base: writes through the view land in the
		// slice's rows and nowhere else.
		base := poisoned(t, b, 5, 6)
		rs.ReshapeInto(view, v.Slice(base, 1, 3), 12)
		if want := (backend.Shape{12}); !view.Shape().Equal(want) {
			t.Errorf("ReshapeInto(view, a Slice [2 6], 12): shape %v, want %v", view.Shape(), want)
		}
		z := uniform(rng, 12, -1, 1)
		b.Upload(view, z)
		want := nans(30)
		copy(want[6:18], z)
		expectBits(t, "base after Upload into a ReshapeInto of its rows [1, 3)", download(b, base), want)
		// Five dimensions, more than a view handle may hold in itself, and
		// back to two.
		for _, shape := range [][]int{{1, 2, 3, 4, 1}, {8, 3}} {
			rs.ReshapeInto(view, other, shape...)
			if !view.Shape().Equal(shape) {
				t.Errorf("ReshapeInto(view, %v, %v): shape %v", other.Shape(), shape, view.Shape())
			}
			expectBits(t, fmt.Sprintf("ReshapeInto(%v) read back", shape), download(b, view), y)
		}
	})

	t.Run("MatMul", func(t *testing.T) {
		// C a Slice of a NaN base, A a Slice, B a Reshape.
		for _, c := range []mmCase{
			{m: 5, n: 7, k: 6, alpha: 1},
			{m: 5, n: 7, k: 6, transA: true, transB: true, alpha: -0.5},
			{m: 3, n: 9, k: 4, transB: true, alpha: 2, beta: 0.5},
		} {
			sa, sb, _ := c.shapes()
			a := uniform(rng, (sa[0]+3)*sa[1], -1, 1)
			bb := uniform(rng, c.k*c.n, -1, 1)
			ta := upload(t, b, a, sa[0]+3, sa[1])
			tb := upload(t, b, bb, c.k*c.n)
			cBase := nans((c.m + 4) * c.n)
			cIn := nans(c.m * c.n)
			if c.beta != 0 {
				cIn = uniform(rng, c.m*c.n, -1, 1)
				copy(cBase[3*c.n:], cIn)
			}
			tc := upload(t, b, cBase, c.m+4, c.n)
			b.MatMul(c.transA, c.transB, c.alpha, v.Slice(ta, 1, 1+sa[0]), v.Reshape(tb, sb...), c.beta, v.Slice(tc, 3, 3+c.m))
			want, mag := matMulRef(c, wide(a[sa[1]:(1+sa[0])*sa[1]]), wide(bb), wide(cIn))
			got := download(b, tc)
			expectClose(t, c.String()+" into rows [3, 3+m) of C", got[3*c.n:(3+c.m)*c.n], want, sumBounds(mag, c.k))
			expectBits(t, c.String()+": rows of C outside the view", append(got[:3*c.n:3*c.n], got[(3+c.m)*c.n:]...), nans(4*c.n))
		}
	})

	t.Run("Elementwise", func(t *testing.T) {
		// Add on Reshapes of tensors of other shapes.
		x, y := uniform(rng, 24, -2, 2), uniform(rng, 24, -2, 2)
		tx, ty, tz := upload(t, b, x, 4, 6), upload(t, b, y, 24), poisoned(t, b, 2, 12)
		b.Add(v.Reshape(tx, 2, 3, 4), v.Reshape(ty, 2, 3, 4), v.Reshape(tz, 2, 3, 4))
		want := make([]float64, 24)
		for i := range want {
			want[i] = float64(x[i]) + float64(y[i])
		}
		expectClose(t, "Add on Reshapes", download(b, tz), want, relBounds(want, elemTol, make([]float64, 24)))

		// Add and an in-place Activate on Slices: rows outside stay NaN.
		base := poisoned(t, b, 5, 6)
		out := v.Slice(base, 1, 3)
		b.Add(v.Slice(tx, 2, 4), v.Slice(v.Reshape(ty, 4, 6), 0, 2), out)
		b.Activate(backend.Activation{Kind: backend.ReLU}, out, out)
		got := download(b, base)
		for i := range 12 {
			want[i] = math.Max(0, float64(x[12+i])+float64(y[i]))
		}
		expectClose(t, "Add then ReLU into rows [1, 3)", got[6:18], want[:12], relBounds(want[:12], elemTol, make([]float64, 12)))
		expectBits(t, "rows outside the Slice", append(got[:6:6], got[18:]...), nans(18))

		// Softmax of a Slice into a Slice, and Sum into a one-element Slice.
		sm := poisoned(t, b, 4, 6)
		b.Softmax(v.Slice(tx, 1, 3), v.Slice(sm, 2, 4))
		got = download(b, sm)
		for r := range 2 {
			row := x[(1+r)*6 : (2+r)*6]
			mx := float64(row[0])
			for _, e := range row {
				mx = math.Max(mx, float64(e))
			}
			s := 0.0
			for _, e := range row {
				s += math.Exp(float64(e) - mx)
			}
			for j, e := range row {
				want[r*6+j] = math.Exp(float64(e)-mx) / s
			}
		}
		expectClose(t, "Softmax into rows [2, 4)", got[12:], want[:12], relBounds(want[:12], transRelTol, constant(12, transAbsTol)))
		expectBits(t, "Softmax: rows outside the Slice", got[:12], nans(12))

		sums := poisoned(t, b, 3)
		b.Sum(v.Slice(ty, 5, 20), v.Slice(sums, 1, 2))
		got = download(b, sums)
		s, m := 0.0, 0.0
		for _, e := range y[5:20] {
			s += float64(e)
			m += math.Abs(float64(e))
		}
		expectClose(t, "Sum of rows [5, 20) into element 1", got[1:2], []float64{s}, sumBounds([]float64{m}, 15))
		expectBits(t, "Sum: elements outside the Slice", []float32{got[0], got[2]}, nans(2))
	})

	if ix, ok := b.(backend.Indexer); ok {
		t.Run("Int32", func(t *testing.T) {
			base := ix.AllocInt32(5, 2)
			ix.UploadInt32(base, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
			s := v.Slice(base, 1, 4)
			got := make([]int32, 6)
			ix.DownloadInt32(got, s)
			expectInts(t, "Slice of an int32 tensor", got, []int32{2, 3, 4, 5, 6, 7})
			ix.UploadInt32(v.Reshape(s, 6), []int32{-1, -2, -3, -4, -5, -6})
			all := make([]int32, 10)
			ix.DownloadInt32(all, base)
			expectInts(t, "int32 base after Upload into its view", all, []int32{0, 1, -1, -2, -3, -4, -5, -6, 8, 9})
		})
	}
}

// expectInts fails t unless got equals want.
func expectInts(t testing.TB, what string, got, want []int32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: index %d: got %d, want %d (all: %v)", what, i, got[i], want[i], got)
			return
		}
	}
}

// copyRegionRef is CopyRegion on host slices, term by term.
func copyRegionRef[E float32 | int32](dst []E, dr backend.Region, src []E, sr backend.Region, size [4]int, accumulate bool) {
	for i0 := range size[0] {
		for i1 := range size[1] {
			for i2 := range size[2] {
				for i3 := range size[3] {
					d := dr.Offset + i0*dr.Strides[0] + i1*dr.Strides[1] + i2*dr.Strides[2] + i3*dr.Strides[3]
					s := sr.Offset + i0*sr.Strides[0] + i1*sr.Strides[1] + i2*sr.Strides[2] + i3*sr.Strides[3]
					if accumulate {
						dst[d] += src[s]
					} else {
						dst[d] = src[s]
					}
				}
			}
		}
	}
}

// checkCopyRegion checks CopyRegion as concatenation, split, transpose of
// the last two axes and slicing along axis 1 against host loops written
// for each, and on boxes with odd sizes, negative strides and
// accumulation against copyRegionRef. Copies must be exact, sums the
// float32 sum, and elements outside the box unchanged (NaN).
func checkCopyRegion(t *testing.T, b backend.Backend) {
	v := need[backend.Viewer](t, b)
	rng := newRand(61)
	r := func(off int, strides ...int) backend.Region {
		var s [4]int
		copy(s[4-len(strides):], strides)
		return backend.Region{Offset: off, Strides: s}
	}

	t.Run("ConcatSplit", func(t *testing.T) {
		const n, d1, d2 = 5, 3, 4
		const d = d1 + d2
		a, c := uniform(rng, n*d1, -1, 1), uniform(rng, n*d2, -1, 1)
		ta, tc, tcat := upload(t, b, a, n, d1), upload(t, b, c, n, d2), poisoned(t, b, n, d)
		v.CopyRegion(tcat, r(0, d, 1), ta, r(0, d1, 1), [4]int{1, 1, n, d1}, false)
		v.CopyRegion(tcat, r(d1, d, 1), tc, r(0, d2, 1), [4]int{1, 1, n, d2}, false)
		want := make([]float32, n*d)
		for i := range n {
			copy(want[i*d:], a[i*d1:(i+1)*d1])
			copy(want[i*d+d1:], c[i*d2:(i+1)*d2])
		}
		expectBits(t, "concat along axis 1", download(b, tcat), want)

		sa, sc := poisoned(t, b, n, d1), poisoned(t, b, n, d2)
		v.CopyRegion(sa, r(0, d1, 1), tcat, r(0, d, 1), [4]int{1, 1, n, d1}, false)
		v.CopyRegion(sc, r(0, d2, 1), tcat, r(d1, d, 1), [4]int{1, 1, n, d2}, false)
		expectBits(t, "split along axis 1, first part", download(b, sa), a)
		expectBits(t, "split along axis 1, second part", download(b, sc), c)

		// Concatenation along axis 0 of [2, 3, 4] and [3, 3, 4]: contiguous
		// blocks.
		x, y := uniform(rng, 24, -1, 1), uniform(rng, 36, -1, 1)
		tx, ty, tz := upload(t, b, x, 2, 3, 4), upload(t, b, y, 3, 3, 4), poisoned(t, b, 5, 3, 4)
		v.CopyRegion(tz, r(0, 12, 4, 1), tx, r(0, 12, 4, 1), [4]int{1, 2, 3, 4}, false)
		v.CopyRegion(tz, r(24, 12, 4, 1), ty, r(0, 12, 4, 1), [4]int{1, 3, 3, 4}, false)
		expectBits(t, "concat along axis 0", download(b, tz), append(append([]float32(nil), x...), y...))
	})

	t.Run("Transpose", func(t *testing.T) {
		for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {2, 1, 9}, {4, 33, 17}} {
			bt, m, n := s[0], s[1], s[2]
			x := uniform(rng, bt*m*n, -1, 1)
			tx, ty := upload(t, b, x, bt, m, n), poisoned(t, b, bt, n, m)
			v.CopyRegion(ty, r(0, n*m, m, 1), tx, r(0, m*n, 1, n), [4]int{1, bt, n, m}, false)
			want := make([]float32, len(x))
			for i := range bt {
				for j := range m {
					for k := range n {
						want[(i*n+k)*m+j] = x[(i*m+j)*n+k]
					}
				}
			}
			expectBits(t, fmt.Sprintf("transpose of the last two axes of [%d, %d, %d]", bt, m, n), download(b, ty), want)
		}
	})

	t.Run("SliceAxis1", func(t *testing.T) {
		const n, tt, f = 4, 6, 5
		x := uniform(rng, n*tt*f, -1, 1)
		tx := upload(t, b, x, n, tt, f)
		for _, ts := range [][2]int{{0, 1}, {3, 4}, {5, 6}, {1, 4}, {0, 6}} {
			t0, t1 := ts[0], ts[1]
			y := poisoned(t, b, n, t1-t0, f)
			v.CopyRegion(y, r(0, (t1-t0)*f, f, 1), tx, r(t0*f, tt*f, f, 1), [4]int{1, n, t1 - t0, f}, false)
			want := make([]float32, 0, n*(t1-t0)*f)
			for i := range n {
				want = append(want, x[(i*tt+t0)*f:(i*tt+t1)*f]...)
			}
			expectBits(t, fmt.Sprintf("x[:, %d:%d] of [%d, %d, %d]", t0, t1, n, tt, f), download(b, y), want)
		}
	})

	t.Run("Boxes", func(t *testing.T) {
		// An odd 4-D box with a reversed axis, into the middle of a NaN
		// tensor, plain and accumulating; a zero-size box copies nothing.
		size := [4]int{2, 3, 5, 7}
		src := uniform(rng, 2*3*5*7, -1, 1)
		ts := upload(t, b, src, 2, 3, 5, 7)
		sr := r(4*7, 3*5*7, 5*7, -7, 1)    // axis 2 reversed: i2 = 0 reads row 4
		dr := r(11+1, 4*6*11, 6*11, 11, 1) // [2, 4, 6, 11] from (0, 0, 1, 1)
		dst := nans(2 * 4 * 6 * 11)
		td := upload(t, b, dst, 2, 4, 6, 11)
		v.CopyRegion(td, dr, ts, sr, size, false)
		copyRegionRef(dst, dr, src, sr, size, false)
		expectBits(t, "4-D box with a reversed axis", download(b, td), dst)
		v.CopyRegion(td, dr, ts, sr, size, true)
		copyRegionRef(dst, dr, src, sr, size, true)
		expectBits(t, "4-D box accumulated (a float32 sum per element)", download(b, td), dst)
		v.CopyRegion(td, dr, ts, sr, [4]int{2, 0, 5, 7}, false)
		expectBits(t, "zero-size box", download(b, td), dst)

		// Accumulating a column into every row (a zero stride on src).
		acc := uniform(rng, 4*3, -1, 1)
		col := uniform(rng, 4, -1, 1)
		ta, tcol := upload(t, b, acc, 4, 3), upload(t, b, col, 4)
		v.CopyRegion(ta, r(0, 3, 1), tcol, r(0, 1, 0), [4]int{1, 1, 4, 3}, true)
		copyRegionRef(acc, r(0, 3, 1), col, r(0, 1, 0), [4]int{1, 1, 4, 3}, true)
		expectBits(t, "broadcast column accumulated", download(b, ta), acc)

		// Long rows: a box large enough to be split between threads.
		const rows, cols = 3, 150001
		big := uniform(rng, rows*(cols-1), -1, 1)
		tb := upload(t, b, big, rows, cols-1)
		bigDst := nans(rows * cols)
		tbd := upload(t, b, bigDst, rows, cols)
		v.CopyRegion(tbd, r(1, cols, 1), tb, r(0, cols-1, 1), [4]int{1, 1, rows, cols - 1}, false)
		copyRegionRef(bigDst, r(1, cols, 1), big, r(0, cols-1, 1), [4]int{1, 1, rows, cols - 1}, false)
		expectBits(t, "long rows", download(b, tbd), bigDst)
	})

	if ix, ok := b.(backend.Indexer); ok {
		t.Run("Int32", func(t *testing.T) {
			src := []int32{1, 2, 3, 4, 5, 6}
			ts, td := ix.AllocInt32(2, 3), ix.AllocInt32(3, 2)
			ix.UploadInt32(ts, src)
			v.CopyRegion(td, r(0, 2, 1), ts, r(0, 1, 3), [4]int{1, 1, 3, 2}, false)
			got := make([]int32, 6)
			ix.DownloadInt32(got, td)
			expectInts(t, "int32 transpose", got, []int32{1, 4, 2, 5, 3, 6})
		})
	}
}
