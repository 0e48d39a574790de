package nn_test

import (
	"fmt"
	"log"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// Example trains a two-layer network on XOR, the function no single
// neuron can learn: 8 tanh hidden units and a softmax over two classes.
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

// setParams uploads values into the parameters of m in order (each
// layer's weight [out, in] then bias).
func setParams(m *nn.Sequential, values ...[]float32) {
	for i, p := range m.Params() {
		m.Backend().Upload(p.Value, values[i])
	}
}

// predict returns the model's outputs for the samples x, one per row.
func predict(t *nn.Trainer, x []float32) []float32 {
	out, err := t.Predict(nn.Dataset{X: x, XShape: t.Model.InShape()})
	if err != nil {
		log.Fatal(err)
	}
	return out
}

// ExampleSequential is the single sigmoid neuron of the tutorial: weights
// w = [0, 1], bias b = 4 and input x = [2, 3] give σ(w·x + b) = σ(7).
func ExampleSequential() {
	b := cpu.New()
	defer b.Close()
	m, err := nn.NewSequential(b, []int{2}, 1, &nn.Dense{Units: 1}, nn.Sigmoid())
	if err != nil {
		log.Fatal(err)
	}
	setParams(m, []float32{0, 1}, []float32{4})
	out := predict(&nn.Trainer{Model: m}, []float32{2, 3})
	fmt.Printf("σ(w·x + b) = %.6f\n", out[0]) // σ(7) = 0.99908895 in float64
	// Output:
	// σ(w·x + b) = 0.999089
}

// ExampleSequential_network is the tutorial's 2-2-1 network with every
// neuron's weights [0, 1] and biases 0: on x = [2, 3] both hidden neurons
// give h = σ(3) and the output is σ(h).
func ExampleSequential_network() {
	b := cpu.New()
	defer b.Close()
	m, err := nn.NewSequential(b, []int{2}, 1,
		&nn.Dense{Units: 2}, nn.Sigmoid(),
		&nn.Dense{Units: 1}, nn.Sigmoid())
	if err != nil {
		log.Fatal(err)
	}
	setParams(m, []float32{0, 1, 0, 1}, []float32{0, 0}, []float32{0, 1}, []float32{0})
	out := predict(&nn.Trainer{Model: m}, []float32{2, 3})
	fmt.Printf("o = %.6f\n", out[0]) // σ(σ(3)) = 0.72163254 in float64
	// Output:
	// o = 0.721633
}

// ExampleTrainer is the tutorial's classifier of people by weight and
// height (in pounds and inches, minus 135 and 66): a 2-2-1 sigmoid network
// trained with the mean squared error by per-sample SGD, learning rate
// 0.1, for 1000 epochs on four people; female is 1.
func ExampleTrainer() {
	b := cpu.New()
	defer b.Close()
	people := nn.Dataset{
		X:      []float32{-2, -1, 25, 6, 17, 4, -15, -6}, // Alice, Bob, Charlie, Diana
		XShape: []int{2},
		Y:      []float32{1, 0, 0, 1},
		YShape: []int{1},
	}
	m, err := nn.NewSequential(b, []int{2}, 1,
		&nn.Dense{Units: 2}, nn.Sigmoid(),
		&nn.Dense{Units: 1}, nn.Sigmoid())
	if err != nil {
		log.Fatal(err)
	}
	t := &nn.Trainer{Model: m, Loss: nn.NewMSE(b), Optimizer: nn.NewSGD(b, backend.SGD{LR: 0.1}), BatchSize: 1, Seed: 1}
	stats, err := t.Fit(people, 1000, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("loss after epoch 1: %.2f, after epoch 1000: %.3f\n", stats[0].TrainLoss, stats[999].TrainLoss)
	out := predict(t, []float32{-7, -3, 20, 2}) // Emily, Frank
	for i, name := range []string{"Emily", "Frank"} {
		sex := "male"
		if out[i] > 0.5 {
			sex = "female"
		}
		fmt.Printf("%s: %.2f, %s\n", name, out[i], sex)
	}
	// Output:
	// loss after epoch 1: 0.24, after epoch 1000: 0.002
	// Emily: 0.97, female
	// Frank: 0.06, male
}
