package nn_test

import (
	"fmt"
	"log"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
	_ "github.com/myelin-go/myelin/backend/cpu" // registers "cpu"
	"github.com/myelin-go/myelin/nn"
)

// Example_classifier is the README's example: a small convolutional network
// trained on 28×28 images, then asked about one image. The images are
// synthetic (squares); the README shows how MNIST's files become an
// nn.Dataset.
func Example_classifier() {
	b, err := backend.Open("cpu") // "": $MYELIN_BACKEND, else "auto", the best backend that opens
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	model, err := nn.NewSequential(b, []int{1, 28, 28}, 1, // input shape, seed
		&nn.Conv2D{Filters: 8, KH: 3, KW: 3}, nn.ReLU(),
		&nn.MaxPool2D{Size: 2},
		&nn.Flatten{},
		&nn.Dense{Units: 10})
	if err != nil {
		log.Fatal(err)
	}
	tr := &nn.Trainer{Model: model, Loss: nn.NewSoftmaxCrossEntropy(b),
		Optimizer: nn.NewAdam(b, nn.DefaultAdam(1e-3)), BatchSize: 32, Seed: 1}
	train, test := squares(1000, 1), squares(200, 2) // nn.Dataset: []float32 samples and one-hot targets
	stats, err := tr.Fit(train, 2, &test)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range stats {
		fmt.Printf("epoch %d: test accuracy %.2f\n", s.Epoch, s.TestAcc)
	}
	probs, err := model.Probabilities(test.X[:28*28]) // one image in, 10 class probabilities out
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("first test image: class %d (p %.2f), label %d\n", nn.ArgMax(probs), probs[nn.ArgMax(probs)], nn.ArgMax(test.Y[:10]))
	// Output:
	// epoch 1: test accuracy 1.00
	// epoch 2: test accuracy 1.00
	// first test image: class 6 (p 0.86), label 6
}

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
