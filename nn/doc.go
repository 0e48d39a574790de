// Package nn builds, trains and evaluates feed-forward neural networks on a
// backend.Backend.
//
// A model is a Sequential: a list of Layers (Dense, Conv2D, MaxPool2D,
// AvgPool2D, Flatten, Activation, Softmax, BatchNorm, Dropout) built in
// order for a per-sample input shape. Building validates every layer
// against the shape it receives and initialises the parameters (HeNormal
// weights and zero biases by default) from a seeded math/rand source, so
// that a seed reproduces a model exactly.
//
// Every computation goes through the Backend: parameters, activations and
// gradients live in backend tensors, and this package never touches device
// memory directly. Layers keep their activation and gradient buffers per
// batch size, so that after the first batch of each size a training step
// allocates no tensors. PackParams puts a model's parameters into one
// tensor, which Adam and SGD update in one call.
//
// Training is driven by a Trainer, which combines a model, a Loss
// (NewSoftmaxCrossEntropy, NewLabelSmoothingCrossEntropy,
// NewBCEWithLogits, NewMSE, NewMAE) and an Optimizer (NewSGD, NewMomentum,
// NewRMSprop, NewAdam, NewAdamW, NewAdadelta). A Trainer can follow a
// Schedule per epoch (StepDecay, Exponential, Cosine) or per step (a
// BatchSchedule: OneCycle), keep the training set on the device and
// gather its batches there (see FitContext), stop early on a validation split (EarlyStopping, Dataset.Split)
// restoring the best weights, resume a run exactly (Start, FitContext) and
// run the learning-rate range test (FindLR). SaveWeights and LoadWeights
// read and write safetensors files with PyTorch's names and layouts;
// SaveCheckpoint and LoadCheckpoint add the optimizer's state and the
// position in training. GradCheck and GradCheckSample compare a model's
// backpropagated gradients with central differences; RegressionMetrics,
// Accuracy and NewConfusionMatrix score predictions on the host:
//
//	b, err := backend.Open("cpu") // with backend/cpu imported
//	…
//	m, err := nn.NewSequential(b, []int{1, 28, 28}, 1,
//		&nn.Conv2D{Filters: 32, KH: 3, KW: 3}, nn.ReLU(),
//		&nn.MaxPool2D{Size: 2},
//		&nn.Flatten{},
//		&nn.Dense{Units: 10})
//	…
//	t := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b),
//		Optimizer: nn.NewAdam(b, nn.DefaultAdam(1e-3)), BatchSize: 64, Seed: 1}
//	stats, err := t.Fit(train, 5, &test)
//
// Shapes passed to layers exclude the batch dimension; tensors passed to
// Forward and Backward include it as their first dimension. Images are NCHW.
package nn
