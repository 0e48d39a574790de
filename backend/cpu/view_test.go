package cpu_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// TestSliceIntoDoesNotAllocate checks that re-aiming a view allocates
// nothing, and that Reshape and Slice allocate only the view's handle: one
// allocation each, for up to four dimensions.
func TestSliceIntoDoesNotAllocate(t *testing.T) {
	b := cpu.New()
	defer b.Close()
	x := b.Alloc(64, 3, 5)
	other := b.Alloc(7, 15)
	v := b.Slice(x, 0, 1)
	i := 0
	if a := testing.AllocsPerRun(100, func() {
		b.SliceInto(v, x, i%63, i%63+1)
		b.SliceInto(v, other, 2, 5) // another rank and shape
		i++
	}); a != 0 {
		t.Errorf("SliceInto: %v allocations per call, want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() { b.Slice(x, 3, 9) }); a != 1 {
		t.Errorf("Slice: %v allocations per call, want 1 (the handle)", a)
	}
	if a := testing.AllocsPerRun(100, func() { b.Reshape(x, 64, 15) }); a != 1 {
		t.Errorf("Reshape: %v allocations per call, want 1 (the handle)", a)
	}
}

// TestViewsCostNothingPerElement checks that views are O(1) in the size of
// the tensor: making one of a 64-element tensor and of a 16-million-element
// tensor allocates the same number of bytes, the size of the handle.
func TestViewsCostNothingPerElement(t *testing.T) {
	b := cpu.New()
	defer b.Close()
	bytesPer := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 1000 {
			f()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / 1000
	}
	small, large := b.Alloc(4, 16), b.Alloc(4096, 4096)
	for _, op := range []struct {
		name string
		f    func(backend.Tensor, int) backend.Tensor
	}{
		{"Slice", func(x backend.Tensor, n int) backend.Tensor { return b.Slice(x, 1, n) }},
		{"Reshape", func(x backend.Tensor, n int) backend.Tensor { return b.Reshape(x, n, x.Shape().Len()/n) }},
	} {
		s := bytesPer(func() { op.f(small, 4) })
		l := bytesPer(func() { op.f(large, 4096) })
		// A byte or two of the runtime's own bookkeeping may land in the
		// count; a copy of the elements would add 64 MB.
		if s > 256 || l > s+8 {
			t.Errorf("%s: %d bytes per view of 64 elements, %d of 16M elements: want the handle's size, at most 256, for both", op.name, s, l)
		}
	}
}

// TestViewLifetime checks that a view dies with its base (Free or Close)
// and that Free of a view is a no-op.
func TestViewLifetime(t *testing.T) {
	b := cpu.New()
	x := b.Alloc(4, 3)
	b.Fill(x, 2)
	v := b.Slice(x, 1, 3)
	r := b.Reshape(v, 6)
	b.Free(r) // no-op
	b.Free(v) // no-op
	got := make([]float32, 6)
	b.Download(got, r)
	if got[0] != 2 || got[5] != 2 {
		t.Errorf("view after Free of views: %v, want 2s", got)
	}
	b.Free(x)
	mustPanic(t, "cpu: Fill: view of shape [2 3] used after its base [4 3] was freed", func() { b.Fill(v, 1) })
	mustPanic(t, "cpu: Download: view of shape [6] used after its base [4 3] was freed", func() { b.Download(got, r) })
	mustPanic(t, "cpu: Slice: view of shape [6] used after its base [4 3] was freed", func() { b.Slice(r, 0, 1) })
	b.Free(v) // still a no-op

	// A dead view may be re-aimed at a live tensor.
	y := b.Alloc(5, 3)
	b.SliceInto(v, y, 0, 2)
	b.Fill(v, 1)

	z := b.Alloc(8)
	w := b.Reshape(z, 2, 4)
	b.Close()
	mustPanic(t, "cpu: Fill: backend is closed", func() { b.Fill(w, 1) })
}

// TestViewMisuse checks the panics of Reshape, Slice, SliceInto,
// CopyRegion and of MatMul and BatchMatMul on overlapping views.
func TestViewMisuse(t *testing.T) {
	b, other := cpu.New(), cpu.New()
	defer b.Close()
	defer other.Close()
	x := b.Alloc(4, 6)
	mustPanic(t, "cpu: Reshape: tensor of shape [4 6] (24 elements) to shape [5 5]", func() { b.Reshape(x, 5, 5) })
	mustPanic(t, "cpu: Reshape: tensor of shape [4 6] (24 elements) to shape [-4 -6]", func() { b.Reshape(x, -4, -6) })
	mustPanic(t, "cpu: Reshape: tensor of shape [4 6] (24 elements) to shape [1099511627776 1099511627776 0]", func() { b.Reshape(x, 1<<40, 1<<40, 0) })
	mustPanic(t, "cpu: Slice: rows [2, 2) of a tensor of shape [4 6]", func() { b.Slice(x, 2, 2) })
	mustPanic(t, "cpu: Slice: rows [3, 5) of a tensor of shape [4 6]", func() { b.Slice(x, 3, 5) })
	mustPanic(t, "cpu: SliceInto: view *cpu.tensor is not a view this backend's Slice or Reshape returned", func() { b.SliceInto(x, x, 0, 1) })
	mustPanic(t, "cpu: SliceInto: view *cpu.tensor is not a view this backend's Slice or Reshape returned", func() { b.SliceInto(other.Slice(other.Alloc(2), 0, 1), x, 0, 1) })
	v := b.Slice(x, 0, 2)
	mustPanic(t, "cpu: SliceInto: rows [-1, 1) of a tensor of shape [4 6]", func() { b.SliceInto(v, x, -1, 1) })

	y := b.Alloc(3, 4)
	box := [4]int{1, 1, 3, 4}
	row := backend.Region{Strides: [4]int{0, 0, 4, 1}}
	mustPanic(t, "cpu: CopyRegion: dst region (offset 1, strides [0 0 4 1]) with box size [1 1 3 4] reaches outside dst of shape [3 4] (12 elements)",
		func() { b.CopyRegion(y, backend.Region{Offset: 1, Strides: row.Strides}, x, row, box, false) })
	mustPanic(t, "cpu: CopyRegion: src region (offset 0, strides [0 0 -4 1]) with box size [1 1 3 4] reaches outside src of shape [4 6]",
		func() { b.CopyRegion(y, row, x, backend.Region{Strides: [4]int{0, 0, -4, 1}}, box, false) })
	mustPanic(t, "cpu: CopyRegion: src region (offset 0, strides [0 0 4611686018427387904 1])",
		func() { b.CopyRegion(y, row, x, backend.Region{Strides: [4]int{0, 0, 1 << 62, 1}}, box, false) })
	mustPanic(t, "cpu: CopyRegion: negative box size [1 1 -3 4]", func() { b.CopyRegion(y, row, x, row, [4]int{1, 1, -3, 4}, false) })
	mustPanic(t, "cpu: CopyRegion: dst [3 4] holds float32, src [2] holds int32", func() { b.CopyRegion(y, row, b.AllocInt32(2), row, box, false) })

	c := b.Alloc(8, 6)
	mustPanic(t, "cpu: MatMul: C [4 6] shares memory with an operand (A [4 6], B [6 6])",
		func() {
			b.MatMul(false, false, 1, b.Slice(c, 2, 6), b.Reshape(b.Slice(c, 0, 6), 6, 6), 0, b.Slice(c, 4, 8))
		})
	mustPanic(t, "cpu: BatchMatMul: C [2 4 3] shares memory with an operand",
		func() {
			b.BatchMatMul(false, false, 1, b.Reshape(c, 2, 4, 6), b.Alloc(2, 6, 3), 0, b.Reshape(b.Slice(c, 0, 4), 2, 4, 3))
		})
	mustPanic(t, "cpu: BatchMatMul: A [4 6], B [6 3], C [4 3]: want three dimensions each",
		func() { b.BatchMatMul(false, false, 1, x, b.Alloc(6, 3), 0, b.Alloc(4, 3)) })
	mustPanic(t, "cpu: BatchMatMul: op(A) 2×3×4 (A [2 4 3], transA true), op(B) 2×5×3 (B [2 5 3], transB false), C [2 3 3]",
		func() { b.BatchMatMul(true, false, 1, b.Alloc(2, 4, 3), b.Alloc(2, 5, 3), 0, b.Alloc(2, 3, 3)) })
}

// TestIndexMisuse checks that an index out of range panics, naming the op,
// the index and the table's shape, and leaves the output unchanged.
func TestIndexMisuse(t *testing.T) {
	b := cpu.New()
	defer b.Close()
	table, out := b.Alloc(5, 3), b.Alloc(4, 3)
	b.Fill(out, 7)
	idx := b.AllocInt32(4)
	b.UploadInt32(idx, []int32{0, 4, 5, 1})
	mustPanic(t, "cpu: Gather: index 5 at position 2 is outside [0, 5) for table of shape [5 3]", func() { b.Gather(table, idx, out) })
	got := make([]float32, 12)
	b.Download(got, out)
	for _, v := range got {
		if v != 7 {
			t.Fatalf("Gather wrote out before panicking: %v", got)
		}
	}
	b.UploadInt32(idx, []int32{0, -1, 2, 1})
	mustPanic(t, "cpu: ScatterAdd: index -1 at position 1 is outside [0, 5) for table of shape [5 3]", func() { b.ScatterAdd(out, idx, table) })
	mustPanic(t, "cpu: Gather: table [5 3] (float32), idx [4], out [3 3] (float32): want out of the table's type with 4×3 elements",
		func() { b.Gather(table, idx, b.Alloc(3, 3)) })
	mustPanic(t, "cpu: Gather: tensor of shape [4 3] holds float32, want int32", func() { b.Gather(table, out, out) })
	mustPanic(t, "cpu: ScatterAdd: src [4 3] shares memory with table [5 3]", func() {
		b.UploadInt32(idx, []int32{0, 1, 2, 3})
		b.ScatterAdd(b.Slice(table, 0, 4), idx, table)
	})

	labels := b.AllocInt32(4)
	b.UploadInt32(labels, []int32{0, 1, 3, 1})
	mustPanic(t, "cpu: OneHot: index 3 at position 2 is outside [0, 3) for table of shape [4 3]", func() { b.OneHot(labels, b.Alloc(4, 3)) })
	mustPanic(t, "cpu: OneHot: labels [4], out [4 2 3]: want out with 4×3 elements", func() { b.OneHot(labels, b.Alloc(4, 2, 3)) })
	mustPanic(t, "cpu: CountCorrectLabels: index 3 at position 2 is outside [0, 3) for table of shape [4 3]",
		func() { b.CountCorrectLabels(b.Alloc(4, 3), labels, b.Alloc(1)) })
	mustPanic(t, "cpu: CountCorrectLabels: pred [5 3], labels [4], count [1]: want one label per row of pred and one count",
		func() { b.CountCorrectLabels(table, labels, b.Alloc(1)) })
}

// TestTryAlloc checks that TryAlloc reports a tensor larger than memory,
// or whose size overflows, as an error wrapping backend.ErrOutOfMemory,
// that Alloc panics with that error, and that a bad dimension is an error
// of its own.
func TestTryAlloc(t *testing.T) {
	b := cpu.New()
	defer b.Close()
	for _, shape := range [][]int{{1 << 62}, {1 << 31, 1 << 31, 1 << 31}, {1 << 20, 1 << 20, 1 << 20, 1 << 20}} {
		x, err := b.TryAlloc(shape...)
		if x != nil || !errors.Is(err, backend.ErrOutOfMemory) || !strings.Contains(err.Error(), "cpu: TryAlloc: tensor of shape") {
			t.Errorf("TryAlloc(%v) = %v, %v; want nil and an out-of-memory error", shape, x, err)
		}
	}
	if _, err := b.TryAlloc(3, 0); err == nil || errors.Is(err, backend.ErrOutOfMemory) || err.Error() != "cpu: TryAlloc: non-positive dimension in shape [3 0]" {
		t.Errorf("TryAlloc(3, 0): error %v, want a non-positive dimension error", err)
	}
	for _, alloc := range []func(...int) backend.Tensor{b.Alloc, b.AllocInt32} {
		func() {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, backend.ErrOutOfMemory) {
					t.Errorf("Alloc of 2⁶² elements: panic %v, want an error wrapping backend.ErrOutOfMemory", err)
				}
			}()
			alloc(1 << 62)
		}()
	}
	x, err := b.TryAlloc(2, 3)
	if err != nil || !x.Shape().Equal([]int{2, 3}) {
		t.Fatalf("TryAlloc(2, 3) = %v, %v", x, err)
	}
	b.Fill(x, 1)
}
