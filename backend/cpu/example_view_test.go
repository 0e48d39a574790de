package cpu_test

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// Slicing along an inner axis and transposing are one CopyRegion each:
// here x[:, t] out of an [N, T, F] batch (a recurrent network's input at
// step t) and the transpose of its last two axes.
func ExampleBackend_CopyRegion() {
	b := cpu.New()
	defer b.Close()
	const n, steps, f = 2, 3, 2
	x := b.Alloc(n, steps, f)
	b.Upload(x, []float32{
		0, 1, 10, 11, 20, 21, // sequence 0, steps 0, 1, 2
		100, 101, 110, 111, 120, 121, // sequence 1
	})
	xt := b.Alloc(n, f)
	t := 1
	b.CopyRegion(xt, backend.Region{Strides: [4]int{0, 0, f, 1}},
		x, backend.Region{Offset: t * f, Strides: [4]int{0, 0, steps * f, 1}},
		[4]int{1, 1, n, f}, false)
	got := make([]float32, n*f)
	b.Download(got, xt)
	fmt.Println("x[:, 1] =", got)

	// Transpose the last two axes: [n, steps, f] → [n, f, steps].
	xT := b.Alloc(n, f, steps)
	b.CopyRegion(xT, backend.Region{Strides: [4]int{0, f * steps, steps, 1}},
		x, backend.Region{Strides: [4]int{0, steps * f, 1, f}},
		[4]int{1, n, f, steps}, false)
	all := make([]float32, n*f*steps)
	b.Download(all, xT)
	fmt.Println("transposed:", all)
	// Output:
	// x[:, 1] = [10 11 110 111]
	// transposed: [0 10 20 1 11 21 100 110 120 101 111 121]
}

// Views share their base's memory: a Slice of rows, written by an op,
// changes the base, and a Reshape reads it with another shape.
func ExampleBackend_Slice() {
	b := cpu.New()
	defer b.Close()
	base := b.Alloc(4, 3)
	rows := b.Slice(base, 1, 3) // rows 1 and 2: shape [2 3]
	b.Fill(rows, 7)
	flat := make([]float32, 12)
	b.Download(flat, b.Reshape(base, 12))
	fmt.Println(rows.Shape(), flat)

	// A loop over time steps re-aims one view instead of making new ones.
	for t := range 4 {
		b.SliceInto(rows, base, t, t+1)
		b.Fill(rows, float32(t))
	}
	b.Download(flat, base)
	fmt.Println(flat)
	// Output:
	// [2 3] [0 0 0 7 7 7 7 7 7 0 0 0]
	// [0 0 0 1 1 1 2 2 2 3 3 3]
}

// Gather picks rows of a table (an embedding, or a batch out of a data set
// kept on the device); ScatterAdd sums gradients back into it.
func ExampleBackend_Gather() {
	b := cpu.New()
	defer b.Close()
	table := b.Alloc(4, 2)
	b.Upload(table, []float32{0, 0, 1, 1, 2, 2, 3, 3})
	idx := b.AllocInt32(3)
	b.UploadInt32(idx, []int32{3, 1, 3})
	out := b.Alloc(3, 2)
	b.Gather(table, idx, out)
	got := make([]float32, 6)
	b.Download(got, out)
	fmt.Println("gathered:", got)

	grad := b.Alloc(4, 2) // zero-filled
	b.ScatterAdd(out, idx, grad)
	g := make([]float32, 8)
	b.Download(g, grad)
	fmt.Println("scattered:", g)
	// Output:
	// gathered: [3 3 1 1 3 3]
	// scattered: [0 0 1 1 0 0 6 6]
}
