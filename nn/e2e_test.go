package nn_test

import (
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// TestXOR trains a two-layer network on XOR, which no linear model can fit.
func TestXOR(t *testing.T) {
	b := newCPU(t)
	data := nn.Dataset{
		X:      []float32{0, 0, 0, 1, 1, 0, 1, 1},
		XShape: []int{2},
		Y:      nn.OneHot([]int{0, 1, 1, 0}, 2),
		YShape: []int{2},
	}
	m, err := nn.NewSequential(b, []int{2}, 1, &nn.Dense{Units: 8}, nn.Tanh(), &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(0.05)), BatchSize: 4}
	if _, err := tr.Fit(data, 300, nil); err != nil {
		t.Fatal(err)
	}
	loss, acc, err := tr.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	if acc != 1 || loss > 0.05 {
		t.Errorf("after 300 steps: loss %v, accuracy %v; want below 0.05 and 1", loss, acc)
	}
}

// bars returns n 8×8 images of uniform noise in [0, 0.5) with one bright
// line (+1) across a random row (label 0) or column (label 1).
func bars(n int, seed int64) nn.Dataset {
	rng := rand.New(rand.NewSource(seed))
	const side = 8
	x := randSlice(rng, n*side*side, 0, 0.5)
	labels := make([]int, n)
	for i := range n {
		img := x[i*side*side : (i+1)*side*side]
		labels[i] = rng.Intn(2)
		line := rng.Intn(side)
		for k := range side {
			if labels[i] == 0 {
				img[line*side+k] += 1
			} else {
				img[k*side+line] += 1
			}
		}
	}
	return nn.Dataset{X: x, XShape: []int{1, side, side}, Y: nn.OneHot(labels, 2), YShape: []int{2}}
}

// TestBarsCNN trains a small CNN to tell horizontal from vertical bars in
// noisy images.
func TestBarsCNN(t *testing.T) {
	b := newCPU(t)
	train, test := bars(512, 51), bars(256, 52)
	m, err := nn.NewSequential(b, []int{1, 8, 8}, 2,
		&nn.Conv2D{Filters: 4, KH: 3, KW: 3, Pad: 1}, nn.ReLU(),
		&nn.MaxPool2D{Size: 2},
		&nn.Flatten{},
		&nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	tr := &nn.Trainer{
		Model:     m,
		Loss:      nn.NewSoftmaxCrossEntropy(b),
		Optimizer: nn.NewSGD(b, backend.SGD{LR: 0.05, Momentum: 0.9}),
		BatchSize: 32,
		Seed:      3,
	}
	stats, err := tr.Fit(train, 5, &test)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		t.Logf("epoch %d: train loss %.4f acc %.3f, test loss %.4f acc %.3f, %.0f images/s",
			s.Epoch, s.TrainLoss, s.TrainAcc, s.TestLoss, s.TestAcc, s.ImagesPerSec)
	}
	if last := stats[len(stats)-1]; last.TestAcc <= 0.95 {
		t.Errorf("test accuracy %v after %d epochs, want above 0.95", last.TestAcc, last.Epoch)
	}
}
