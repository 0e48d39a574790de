package nn_test

import (
	"math/rand"

	"github.com/myelin-go/myelin/data/mnist"
)

// squares returns n synthetic 28×28 images in ten classes as an MNIST set:
// dark noise plus a bright 4×4 square whose position is the class.
func squares(n int, seed int64) *mnist.Set {
	rng := rand.New(rand.NewSource(seed))
	s := &mnist.Set{Images: make([]byte, n*28*28), Labels: make([]byte, n), N: n, Rows: 28, Cols: 28}
	for i := range n {
		label := rng.Intn(10)
		s.Labels[i] = byte(label)
		img := s.Images[i*28*28 : (i+1)*28*28]
		for j := range img {
			img[j] = byte(rng.Intn(80))
		}
		r0, c0 := 4+label/5*12, 2+label%5*5
		for r := r0; r < r0+4; r++ {
			for c := c0; c < c0+4; c++ {
				img[r*28+c] = 255
			}
		}
	}
	return s
}
