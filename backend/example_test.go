package backend_test

import (
	"fmt"
	"log"

	"github.com/myelin-go/myelin/backend"
	_ "github.com/myelin-go/myelin/backend/cpu" // registers "cpu"
)

// Example opens the CPU backend, uploads two matrices, multiplies them on
// the backend and downloads the product: C = A·B for A 2×3 and B 3×2.
func Example() {
	b, err := backend.Open("cpu") // "": $MYELIN_BACKEND, else "auto", the best backend that opens
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	a, m := b.Alloc(2, 3), b.Alloc(3, 2)
	c := b.Alloc(2, 2)
	defer b.Free(a)
	defer b.Free(m)
	defer b.Free(c)
	b.Upload(a, []float32{
		1, 2, 3,
		4, 5, 6})
	b.Upload(m, []float32{
		7, 8,
		9, 10,
		11, 12})
	b.MatMul(false, false, 1, a, m, 0, c) // C = 1·A·B + 0·C
	out := make([]float32, 4)
	b.Download(out, c)
	if err := b.Sync(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out[:2])
	fmt.Println(out[2:])
	// Output:
	// [58 64]
	// [139 154]
}
