// Package models defines the reference MNIST networks that cmd/mnist trains
// and cmd/bench times, as layer lists for nn.NewSequential on a [1, 28, 28]
// input.
package models

import (
	"fmt"
	"sort"

	"github.com/myelin-go/myelin/nn"
)

// InShape is the per-sample input shape of every model here: one 28×28
// grey-level channel.
var InShape = []int{1, 28, 28}

// CNN returns the pytorch/examples MNIST network without dropout:
// conv3×3 32 → ReLU → conv3×3 64 → ReLU → maxpool 2 → flatten 9216 →
// fc 128 → ReLU → fc 10 (1,199,882 parameters).
func CNN() []nn.Layer {
	return []nn.Layer{
		&nn.Conv2D{Filters: 32, KH: 3, KW: 3}, nn.ReLU(),
		&nn.Conv2D{Filters: 64, KH: 3, KW: 3}, nn.ReLU(),
		&nn.MaxPool2D{Size: 2},
		&nn.Flatten{},
		&nn.Dense{Units: 128}, nn.ReLU(),
		&nn.Dense{Units: 10},
	}
}

// LeNet returns a LeNet-style network: conv5×5 32 → ReLU → maxpool 2 →
// conv5×5 64 → ReLU → maxpool 2 → flatten 1024 → fc 128 → ReLU → fc 10.
func LeNet() []nn.Layer {
	return []nn.Layer{
		&nn.Conv2D{Filters: 32, KH: 5, KW: 5}, nn.ReLU(),
		&nn.MaxPool2D{Size: 2},
		&nn.Conv2D{Filters: 64, KH: 5, KW: 5}, nn.ReLU(),
		&nn.MaxPool2D{Size: 2},
		&nn.Flatten{},
		&nn.Dense{Units: 128}, nn.ReLU(),
		&nn.Dense{Units: 10},
	}
}

// Fast returns the network of the one-epoch MNIST speed recipe
// (../shared/anchors/torch_fast_mnist.py, cmd/mnist -fast): conv5×5 24 →
// maxpool 2 → ReLU → conv3×3 32 → maxpool 2 → ReLU → flatten 800 →
// fc 256 → ReLU → fc 10 (215,194 parameters). The weights start from
// PyTorch's default initialisation (nn.TorchDefault), as in the recipe;
// the biases start at zero (PyTorch draws them like the weights).
func Fast() []nn.Layer {
	return []nn.Layer{
		&nn.Conv2D{Filters: 24, KH: 5, KW: 5, Init: nn.TorchDefault},
		&nn.MaxPool2D{Size: 2}, nn.ReLU(),
		&nn.Conv2D{Filters: 32, KH: 3, KW: 3, Init: nn.TorchDefault},
		&nn.MaxPool2D{Size: 2}, nn.ReLU(),
		&nn.Flatten{},
		&nn.Dense{Units: 256, Init: nn.TorchDefault}, nn.ReLU(),
		&nn.Dense{Units: 10, Init: nn.TorchDefault},
	}
}

// MLP returns a multi-layer perceptron: flatten 784 → fc 512 → ReLU →
// fc 10.
func MLP() []nn.Layer {
	return []nn.Layer{
		&nn.Flatten{},
		&nn.Dense{Units: 512}, nn.ReLU(),
		&nn.Dense{Units: 10},
	}
}

// LogReg returns multinomial logistic regression, the first MNIST model of
// most tutorials: flatten 784 → fc 10 (7,850 parameters), whose softmax
// the loss applies.
func LogReg() []nn.Layer {
	return []nn.Layer{&nn.Flatten{}, &nn.Dense{Units: 10}}
}

var byName = map[string]func() []nn.Layer{"cnn": CNN, "fast": Fast, "lenet": LeNet, "logreg": LogReg, "mlp": MLP}

// Names lists the models ByName knows, sorted.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ByName returns the layers of the named model ("cnn", "fast", "lenet",
// "logreg" or "mlp").
func ByName(name string) ([]nn.Layer, error) {
	f, ok := byName[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (want one of %v)", name, Names())
	}
	return f(), nil
}
