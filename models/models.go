// Package models defines the reference MNIST networks that cmd/mnist trains
// and cmd/bench times, as layer lists for nn.NewSequential on a [1, 28, 28]
// input, and the training settings a model needs beyond cmd/mnist's
// defaults (DefaultsFor).
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

// ResNet returns a small residual network (He et al., 2015) with batch
// normalisation and global average pooling: a 3×3 convolution to 16
// channels, then three residual blocks of two 3×3 convolutions each, at
// 16 channels on 28×28, 32 on 14×14 and 64 on 7×7 (the last two start
// with stride 2 and add the input through a strided 1×1 projection), then
// the average of every channel and fc 10 (77,754 parameters):
//
//	conv3×3 16 → BN → ReLU → block(16) → block(32, /2) → block(64, /2) → avgpool → fc 10
//	block(c) = ReLU(BN(conv3×3 c(ReLU(BN(conv3×3 c(x))))) + x)
//
// Convolutions followed by batch normalisation have no bias, which the
// normalisation would cancel.
func ResNet() []nn.Layer {
	layers := []nn.Layer{&nn.Conv2D{Filters: 16, KH: 3, KW: 3, Pad: 1, NoBias: true}, &nn.BatchNorm{}, nn.ReLU()}
	in := 16
	for _, c := range []int{16, 32, 64} {
		stride := 1
		if c != in {
			stride = 2
		}
		block := &nn.Residual{Body: []nn.Layer{
			&nn.Conv2D{Filters: c, KH: 3, KW: 3, Stride: stride, Pad: 1, NoBias: true}, &nn.BatchNorm{}, nn.ReLU(),
			&nn.Conv2D{Filters: c, KH: 3, KW: 3, Pad: 1, NoBias: true}, &nn.BatchNorm{},
		}}
		if c != in {
			block.Proj = []nn.Layer{&nn.Conv2D{Filters: c, KH: 1, KW: 1, Stride: stride, NoBias: true}, &nn.BatchNorm{}}
		}
		layers = append(layers, block, nn.ReLU())
		in = c
	}
	return append(layers, &nn.GlobalAvgPool2D{}, &nn.Dense{Units: 10})
}

// GRU returns a recurrent classifier that reads each image row by row:
// reshape to 28 steps of 28 pixels → GRU 128 → fc 10 on the last step
// (61,962 parameters).
func GRU() []nn.Layer {
	return []nn.Layer{&nn.Reshape{Shape: []int{28, 28}}, &nn.GRU{Hidden: 128}, &nn.Dense{Units: 10}}
}

// LSTM returns GRU's classifier with an LSTM 128 in place of the GRU
// (82,186 parameters).
func LSTM() []nn.Layer {
	return []nn.Layer{&nn.Reshape{Shape: []int{28, 28}}, &nn.LSTM{Hidden: 128}, &nn.Dense{Units: 10}}
}

var byName = map[string]func() []nn.Layer{"cnn": CNN, "fast": Fast, "gru": GRU, "lenet": LeNet, "logreg": LogReg, "lstm": LSTM, "mlp": MLP, "resnet": ResNet}

// Defaults are the training settings a model needs other than cmd/mnist's
// general defaults (4 epochs, Adam at 10⁻³ halved every epoch, random
// shifts of up to 2 pixels); a zero field keeps the general default.
type Defaults struct {
	Epochs  int     // passes over the training set
	LR      float64 // learning rate of the default optimizer (Adam)
	LRDecay float64 // factor of the learning rate per epoch
	NoShift bool    // train without random shifts
}

// defaults holds the models whose Defaults are not all zero.
var defaults = map[string]Defaults{
	"gru":    {Epochs: 6, LR: 2e-3, LRDecay: 0.7, NoShift: true},
	"lstm":   {Epochs: 6, LR: 2e-3, LRDecay: 0.7, NoShift: true},
	"resnet": {Epochs: 6, LR: 4e-3, LRDecay: 0.6}, // 99.43% test accuracy (seed 1, CPU)
}

// DefaultsFor returns the training settings of the named model (the zero
// Defaults for a model that needs none, or an unknown name).
func DefaultsFor(name string) Defaults { return defaults[name] }

// Names lists the models ByName knows, sorted.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ByName returns the layers of the named model ("cnn", "fast", "gru",
// "lenet", "logreg", "lstm", "mlp" or "resnet").
func ByName(name string) ([]nn.Layer, error) {
	f, ok := byName[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (want one of %v)", name, Names())
	}
	return f(), nil
}
