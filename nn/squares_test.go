package nn_test

import (
	"math/rand"

	"github.com/myelin-go/myelin/nn"
)

// squares returns n synthetic 28×28 images in ten classes: noise plus a
// bright 4×4 square whose position is the class.
func squares(n int, seed int64) nn.Dataset {
	rng := rand.New(rand.NewSource(seed))
	x := make([]float32, 0, n*28*28)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.Intn(10)
		img := make([]float32, 28*28)
		for j := range img {
			img[j] = rng.Float32() * 0.3
		}
		r0, c0 := 4+labels[i]/5*12, 2+labels[i]%5*5
		for r := r0; r < r0+4; r++ {
			for c := c0; c < c0+4; c++ {
				img[r*28+c] = 1
			}
		}
		x = append(x, img...)
	}
	return nn.Dataset{X: x, XShape: []int{1, 28, 28}, Y: nn.OneHot(labels, 10), YShape: []int{10}}
}
