package mnist_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/myelin-go/myelin/data/mnist"
)

// ExampleLoad loads MNIST, downloading it first when it is missing.
func ExampleLoad() {
	dir := "data/mnist"
	train, test, err := mnist.Load(dir)
	if errors.Is(err, mnist.ErrNotFound) {
		err = mnist.Download(context.Background(), dir, mnist.DownloadOptions{Progress: os.Stderr})
		if err == nil {
			train, test, err = mnist.Load(dir)
		}
	}
	if err != nil {
		log.Fatal(err)
	}
	x := train.Float32(mnist.Mean, mnist.Std) // inputs, 784 per image
	y := train.Ints()                         // labels 0 to 9
	fmt.Println(len(x), len(y), test.N)
}
