package main

import (
	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// defaultPeak is -peak's default: the fp32 FMA peak of the 2-core Zen 5
// machine the README's CPU figures come from, 437 GFLOP/s, measured by
// ../shared/anchors/fmapeak.c ("fmapeak avx512 2": 16 independent zmm FMA
// chains per thread, 2 threads).
const defaultPeak = 437

// trainFlops returns the floating-point operations (2 per multiply-add)
// of the products in one training step of m on a batch of n samples, from
// the layers' shapes: for every Conv2D and Dense layer the forward product
// and the weight-gradient product, and the input-gradient product for
// every such layer but the first with parameters, whose input gradient
// Sequential.Backward skips. A Conv2D of weight [F, C, KH, KW] and output
// [F, OH, OW] does F·C·KH·KW·OH·OW multiply-adds per sample in each
// product, a Dense of weight [U, I] U·I. Elementwise work (bias,
// activations, pooling, the loss, the optimizer) is not counted.
func trainFlops(b backend.Backend, m *nn.Sequential, n int) float64 {
	x := b.Alloc(append([]int{1}, m.InShape()...)...)
	defer b.Free(x)
	b.Fill(x, 0)
	var macs float64 // per sample
	first := true
	for _, l := range m.Layers() {
		y := l.Forward(x, false)
		var w int
		switch l.(type) {
		case *nn.Conv2D:
			s := y.Shape()
			w = l.Params()[0].Value.Shape().Len() * s[2] * s[3]
		case *nn.Dense:
			w = l.Params()[0].Value.Shape().Len()
		}
		if w > 0 {
			products := 3.0
			if first {
				products = 2
			}
			macs += products * float64(w)
			first = false
		}
		x = y
	}
	return 2 * macs * float64(n)
}
