package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// rowLayouts are the layouts the row kernels are tested at: every width up
// to two vectors and a bit (both sides of the vector boundaries), row
// counts on both sides of the four-row step, rows with and without a gap
// between them, and blocks apart, adjacent and (on the strided side)
// overlapping, as a convolution's are.
func rowLayouts() (s []RowBlocks) {
	for _, blocks := range []int{0, 1, 3} {
		for _, rows := range []int{0, 1, 4, 7} {
			for width := 0; width <= 40; width++ {
				for _, gap := range []int{0, 3, 13} {
					ld := width + gap
					packed := rows*width + gap%4
					for _, strided := range []int{ld, rows*ld + 5, (rows + 1) * ld} {
						s = append(s, RowBlocks{Blocks: blocks, Rows: rows, Width: width, LD: ld, Packed: packed, Strided: strided})
					}
				}
			}
		}
	}
	return s
}

// extent returns the floats a layout's blocks span on the packed and the
// strided side.
func extent(b RowBlocks) (packed, strided int) {
	if b.empty() {
		return 0, 0
	}
	return (b.Blocks-1)*b.Packed + b.Rows*b.Width, (b.Blocks-1)*b.Strided + (b.Rows-1)*b.LD + b.Width
}

// TestCopyRows checks CopyRows at every level against the definition, with
// the packed output at unaligned offsets inside guard bands and its floats
// between blocks left alone.
func TestCopyRows(t *testing.T) {
	for _, l := range isa.Supported() {
		k := For(l)
		r := rand.New(rand.NewPCG(9, uint64(l)))
		for _, b := range rowLayouts() {
			name := fmt.Sprintf("%v %+v", l, b)
			np, ns := extent(b)
			off := (b.Rows + b.Width) % 5
			src := make([]float32, ns+off)
			for i := range src {
				src[i] = float32(r.NormFloat64())
			}
			src = src[off:]
			dst, buf := guarded(np, off)
			want := make([]float32, np)
			for i := range want {
				dst[i], want[i] = sentinel, sentinel
			}
			for i := range b.Blocks {
				for row := range b.Rows {
					for j := range b.Width {
						want[i*b.Packed+row*b.Width+j] = src[i*b.Strided+row*b.LD+j]
					}
				}
			}
			k.CopyRows(dst, src, b)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("%s: dst[%d] = %v, want %v", name, i, dst[i], want[i])
				}
			}
			checkGuards(t, name, buf, off, np)
		}
	}
}

// TestAddRows checks AddRows at every level against float64 sums, each
// rounded to float32 (which a float32 addition must match exactly), taken
// block after block and row after row, with the strided output at
// unaligned offsets inside guard bands and its gaps left alone.
func TestAddRows(t *testing.T) {
	for _, l := range isa.Supported() {
		k := For(l)
		r := rand.New(rand.NewPCG(10, uint64(l)))
		for _, b := range rowLayouts() {
			name := fmt.Sprintf("%v %+v", l, b)
			np, ns := extent(b)
			off := (b.Rows + b.LD) % 7
			src := make([]float32, np)
			for i := range src {
				src[i] = float32(r.NormFloat64())
			}
			dst, buf := guarded(ns, off)
			for i := range dst {
				dst[i] = float32(r.NormFloat64())
			}
			want := append([]float32(nil), dst...)
			for i := range b.Blocks {
				for row := range b.Rows {
					for j := range b.Width {
						d := &want[i*b.Strided+row*b.LD+j]
						*d = float32(float64(*d) + float64(src[i*b.Packed+row*b.Width+j]))
					}
				}
			}
			k.AddRows(dst, src, b)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("%s: dst[%d] = %v, want %v", name, i, dst[i], want[i])
				}
			}
			checkGuards(t, name, buf, off, ns)
		}
	}
}

// TestRowsPanics checks that CopyRows and AddRows refuse operands too short
// for their blocks and invalid layouts.
func TestRowsPanics(t *testing.T) {
	k := For(isa.Best())
	b := RowBlocks{Blocks: 2, Rows: 3, Width: 4, LD: 5, Packed: 12, Strided: 14}
	// The blocks span 24 packed floats and 14+14 = 28 strided ones.
	for _, c := range []struct {
		name string
		run  func()
	}{
		{"CopyRows short dst", func() { k.CopyRows(make([]float32, 23), make([]float32, 28), b) }},
		{"CopyRows short src", func() { k.CopyRows(make([]float32, 24), make([]float32, 27), b) }},
		{"AddRows short dst", func() { k.AddRows(make([]float32, 27), make([]float32, 24), b) }},
		{"AddRows short src", func() { k.AddRows(make([]float32, 28), make([]float32, 23), b) }},
		{"LD below Width", func() {
			k.CopyRows(make([]float32, 99), make([]float32, 99), RowBlocks{Blocks: 1, Rows: 2, Width: 4, LD: 3})
		}},
		{"negative stride", func() {
			k.CopyRows(make([]float32, 99), make([]float32, 99), RowBlocks{Blocks: 2, Rows: 2, Width: 4, LD: 4, Strided: -1})
		}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.run()
		}()
	}
	k.CopyRows(make([]float32, 24), make([]float32, 28), b)
	k.AddRows(make([]float32, 28), make([]float32, 24), b)
}

// TestGatherRows checks GatherRows at every level against a plain copy of
// the rows, bit for bit (NaN payloads included), for row widths around the
// vector widths, index counts around gatherAhead (64) so that the rows
// without a prefetch are covered, repeated indices, a table and dst at odd
// offsets, and sentinels around dst that must survive; and that it panics
// on an index out of range, a short dst and a width of 0.
func TestGatherRows(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, l := range isa.Supported() {
		k := For(l)
		for _, d := range []int{1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100} {
			for _, n := range []int{0, 1, 5, 17, 63, 64, 65, 130} {
				v := 1 + r.IntN(50)
				tbuf := make([]float32, 3+v*d)
				for i := range tbuf {
					tbuf[i] = math.Float32frombits(r.Uint32())
				}
				table := tbuf[3:]
				idx := make([]int32, n)
				for i := range idx {
					idx[i] = int32(r.IntN(v))
				}
				off := (d + n) % 5
				dst, buf := guarded(n*d, off)
				for i := range dst {
					dst[i] = float32(math.NaN())
				}
				k.GatherRows(dst, table, idx, d)
				for i, x := range idx {
					for j := range d {
						got, want := dst[i*d+j], table[int(x)*d+j]
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%v d=%d n=%d: dst[%d] = %#x, want row %d's element %d = %#x",
								l, d, n, i*d+j, math.Float32bits(got), x, j, math.Float32bits(want))
						}
					}
				}
				checkGuards(t, fmt.Sprintf("%v GatherRows d=%d n=%d", l, d, n), buf, off, n*d)
			}
		}
		table, dst := make([]float32, 40), make([]float32, 8)
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"index past the table", func() { k.GatherRows(dst, table, []int32{0, 10}, 4) }},
			{"negative index", func() { k.GatherRows(dst, table, []int32{-1, 0}, 4) }},
			{"short dst", func() { k.GatherRows(dst, table, []int32{0, 1, 2}, 4) }},
			{"zero width", func() { k.GatherRows(dst, table, []int32{0}, 0) }},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%v GatherRows with a %s did not panic", l, c.name)
					}
				}()
				c.f()
			}()
		}
	}
}
