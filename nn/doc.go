// Package nn builds, trains and evaluates neural networks on a
// backend.Backend.
//
// A Sequential is a list of Layers (Dense, Conv2D, MaxPool2D, AvgPool2D,
// GlobalAvgPool2D, Flatten, Activation, Softmax, BatchNorm, LayerNorm,
// Dropout) built in order for a per-sample input shape. Containers are
// layers too, and nest to any depth: Residual (y = F(x) + x, or + P(x)
// with a projection) and Concat (branches on the same input, outputs
// concatenated along the channels). Building validates every layer against
// the shape it receives, refuses a layer value used twice, names the
// parameters as PyTorch names the state_dict of the equivalent module
// ("3.body.0.weight"), and initialises the parameters (HeNormal weights
// and zero biases by default) from a seeded math/rand source, so that a
// seed reproduces a model exactly. Everything that trains or saves a
// model takes a Model, the interface Sequential implements.
//
// Sequences are batch-first, [N, T, F], or [N, T] int32 tokens
// (Dataset.Tokens) for an Embedding; Reshape, Embedding, RNN, GRU, LSTM and
// TimeDense are layers like the others.
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
// backpropagated gradients with central differences (GradCheckTokens and
// GradCheckTokensSample for a model fed int32 tokens); RegressionMetrics,
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
// Sequences are batch-first, [N, T, F], or [N, T] int32 tokens
// (Dataset.Tokens) for an Embedding. The recurrent layers take PyTorch's
// parameters and gate orders and return the last state or, with
// Sequence, every step; TimeDense and a PerStep loss then predict at
// every step, as a language model does. GradClipper clips gradients by
// their global norm between Backward and the optimizer step.
//
// Shapes passed to layers exclude the batch dimension; tensors passed to
// Forward and Backward include it as their first dimension. Images are NCHW.
//
// # Writing a layer
//
// A layer of one's own implements Layer and goes anywhere a built-in one
// does. The built-in layers are made of the same exported pieces:
//
//   - Build checks the shape (CheckShape, then the layer's own rules, as
//     an error naming the layer) and makes the parameters with NewParam
//     (a name such as "weight", a shape and an Initializer: HeNormal,
//     Zeros, Ones, …) and any non-trainable state with NewBuffer. It
//     makes them anew on every Build; the model prefixes their names.
//   - Forward calls CheckInput, which returns the batch size, and takes
//     its output and scratch tensors from a BatchCache keyed by the batch
//     size, so that training allocates nothing after the first batch of
//     each size. Backward calls CheckGrad and allocates its input
//     gradient on first use in the same cache entry.
//   - Stateful (Buffers) makes a layer's buffers part of the saved
//     weights; Counted (Counters) does the same for integer state, and
//     marks random streams (Counter.Stream) so that GradCheck rewinds
//     them and resumed runs draw the same numbers; Container (Children)
//     lets the model reach the layers inside a layer of layers;
//     ParamGrader (BackwardParams) lets a model skip the input gradient of
//     its first layer with parameters; MulAdder (MulAdds) reports the
//     multiply-adds of the layer's products, which cmd/bench turns into a
//     training step's GFLOP/s.
//
// The Standardize example builds a LayerNorm-style layer this way and
// checks it with GradCheck.
package nn
