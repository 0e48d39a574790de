package main

import "github.com/myelin-go/myelin/nn"

// defaultPeak is -peak's default: the fp32 FMA peak of the 2-core Zen 5
// machine the README's CPU figures come from, 437 GFLOP/s, measured by
// ../shared/anchors/fmapeak.c ("fmapeak avx512 2": 16 independent zmm FMA
// chains per thread, 2 threads).
const defaultPeak = 437

// trainFlops returns the floating-point operations of the products
// (matrix products and convolutions, 2 FLOP per multiply-add) in one
// training step of m on a batch of n samples, as every layer reports them
// through nn.MulAdder: the forward pass, the parameter gradients (weight
// gradients, and backpropagation through time in the recurrent layers)
// and the input gradients of every layer but the first with parameters,
// whose input gradient Sequential.Backward skips:
// 2·n·(Forward + Params). Elementwise work (biases, activations,
// normalisation, pooling, the recurrent gates, the loss, the optimizer)
// is not counted.
func trainFlops(m *nn.Sequential, n int) float64 {
	a := m.MulAdds()
	return 2 * float64(n) * float64(a.Forward+a.Params)
}
