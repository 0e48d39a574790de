package nn_test

import (
	"fmt"
	"log"

	"github.com/myelin-go/myelin/backend"
	_ "github.com/myelin-go/myelin/backend/cpu" // registers "cpu"
	"github.com/myelin-go/myelin/nn"
)

// Example_classifier is the README's example, verbatim (TestREADMEExample
// checks): a small convolutional network trained on 28×28 images, then
// asked about one image. The images are synthetic (squares, an mnist.Set
// like the one mnist.Load returns), so that the example runs anywhere and
// its output is exact.
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
	// An *mnist.Set (from mnist.Load("data/mnist"); synthetic squares here)
	// becomes an nn.Dataset: standardised pixels and one-hot targets.
	train, test := squares(1000, 1).Dataset(), squares(200, 2).Dataset()
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
	// first test image: class 6 (p 0.99), label 6
}
