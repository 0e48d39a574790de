package nn

import "github.com/myelin-go/myelin/backend"

// convReLU runs a Conv2D and the ReLU layer right after it in a chain as
// one backend.ConvAct on a backend that implements backend.ConvActivator:
// the bias and the ReLU then run on each block of the convolution's output
// while it is in cache, instead of as two more passes over it. The outputs
// are those of the layers run apart, bit for bit (the same additions, and
// a ReLU that is exact), and the backward pass is the layers' own: the
// ReLU reads its mask from the output, which is positive exactly where its
// input is.
type convReLU struct {
	conv *Conv2D
	relu *Activation
}

// fuseConvReLUs returns the units (convReLU) for each Conv2D of layers
// directly followed by a ReLU layer, by the Conv2D's index, on a backend
// that implements backend.ConvActivator; nil on any other. Conv2Ds that
// begin a unit of pools (see fuseConvPools) are left to it.
func fuseConvReLUs(b backend.Backend, layers []Layer, pools map[int]*convPool) map[int]*convReLU {
	if _, ok := b.(backend.ConvActivator); !ok {
		return nil
	}
	var units map[int]*convReLU
	for i := 0; i+1 < len(layers); i++ {
		c, ok := layers[i].(*Conv2D)
		if !ok || pools[i] != nil || !isReLU(layers[i+1]) {
			continue
		}
		if units == nil {
			units = map[int]*convReLU{}
		}
		units[i] = &convReLU{conv: c, relu: layers[i+1].(*Activation)}
	}
	return units
}

// forward runs the unit on x and returns the ReLU's output, the Conv2D's
// output buffer.
func (u *convReLU) forward(x backend.Tensor) backend.Tensor {
	return u.relu.applied(u.conv.forwardReLU(x))
}
