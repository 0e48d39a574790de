package cpu_test

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// Binary broadcasts as PyTorch does: a [C, 1, 1] tensor scales every plane
// of an [N, C, H, W] batch by its channel's factor, in place.
func ExampleBackend_Binary() {
	b := cpu.New()
	defer b.Close()
	x := b.Alloc(2, 3, 1, 2) // N = 2, C = 3, H = 1, W = 2
	b.Upload(x, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	scale := b.Alloc(3, 1, 1)
	b.Upload(scale, []float32{1, 10, 100})
	b.Binary(backend.OpMul, x, scale, x)
	out := make([]float32, 12)
	b.Download(out, x)
	fmt.Println(out)
	// Output: [1 2 30 40 500 600 7 8 90 100 1100 1200]
}

// Reduce sums along any axis; a nonzero beta adds the result to y's old
// contents, as backpropagation through time sums gradients.
func ExampleBackend_Reduce() {
	b := cpu.New()
	defer b.Close()
	x := b.Alloc(2, 3)
	b.Upload(x, []float32{1, 2, 3, 4, 5, 6})
	cols, rows := b.Alloc(3), b.Alloc(2)
	b.Reduce(backend.ReduceSum, x, 0, cols, 0)   // column sums
	b.Reduce(backend.ReduceMean, x, 1, rows, 0)  // row means
	b.Reduce(backend.ReduceMean, x, 1, rows, 10) // row means + 10·(row means)
	c, r := make([]float32, 3), make([]float32, 2)
	b.Download(c, cols)
	b.Download(r, rows)
	fmt.Println(c, r)
	// Output: [5 7 9] [22 55]
}
