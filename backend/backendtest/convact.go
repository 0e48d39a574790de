package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// checkConvAct checks the convolution fused with its bias and ReLU
// (backend.ConvActivator) through the package function backend.ConvAct,
// on the backend itself and with every optional interface hidden (the
// fallback of core ops), against the float64 reference act(conv + bias)
// for every convolution case, with and without bias and ReLU. The bound
// is the convolution's plus one rounding of the bias's addition.
func checkConvAct(t *testing.T, b0 backend.Backend) {
	for _, nb := range convPoolBackends(b0) {
		t.Run(nb.name, func(t *testing.T) {
			b := nb.b
			rng := newRand(33)
			for _, c := range convCases(rng) {
				for _, o := range [][2]bool{{true, true}, {false, true}, {true, false}, {false, false}} {
					withBias, relu := o[0], o[1]
					x, w, _ := convData(rng, c)
					var bias []float32
					if withBias {
						bias = uniform(rng, c.f, -0.5, 0.5)
					}
					ty := poisoned(t, b, c.yShape()...)
					backend.ConvAct(b, upload(t, b, x, c.xShape()...), upload(t, b, w, c.wShape()...),
						maybeUpload(t, b, bias, c.f), ty, c.g, relu)
					want := conv2dRef(c, wide(x), wide(w))
					bound := sumBounds(conv2dRef(c, absAll(wide(x)), absAll(wide(w))), c.g.C*c.g.KH*c.g.KW)
					plane := c.g.OutH() * c.g.OutW()
					for i := range want {
						if bias != nil {
							want[i] += float64(bias[i/plane%c.f])
						}
						if relu {
							want[i] = math.Max(want[i], 0)
						}
						bound[i] += 2 * unitRoundoff * (math.Abs(want[i]) + 1)
					}
					expectClose(t, fmt.Sprintf("ConvAct %v bias %t relu %t", c, withBias, relu), download(b, ty), want, bound)
				}
			}
		})
	}
}
