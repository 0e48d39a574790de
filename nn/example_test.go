package nn_test

import (
	"fmt"
	"log"

	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// Example trains a two-layer network on XOR.
func Example() {
	b := cpu.New()
	defer b.Close()
	data := nn.Dataset{
		X:      []float32{0, 0, 0, 1, 1, 0, 1, 1},
		XShape: []int{2},
		Y:      nn.OneHot([]int{0, 1, 1, 0}, 2),
		YShape: []int{2},
	}
	m, err := nn.NewSequential(b, []int{2}, 1, &nn.Dense{Units: 8}, nn.Tanh(), &nn.Dense{Units: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(m.Summary())
	t := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.05)), BatchSize: 4}
	if _, err := t.Fit(data, 300, nil); err != nil {
		log.Fatal(err)
	}
	_, acc, err := t.Evaluate(data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accuracy", acc)
	// Output:
	// #  Layer     Output  Params
	//    Input     [2]     -
	// 0  Dense(8)  [8]     24
	// 1  Tanh      [8]     0
	// 2  Dense(2)  [2]     18
	// Total params: 42
	// accuracy 1
}
