package backend

// ConvActivator provides a convolution fused with its bias and an optional
// ReLU after it, the first layer of most small CNNs when no pooling
// follows (see ConvPooler for when it does): the bias and the activation
// then run on each block of the convolution's output while the product
// has it in cache, instead of as two more passes over the whole output.
//
// Shapes: x [N, C, H, W], w [F, C, KH, KW], bias [F] or nil (no bias), y
// [N, F, OH, OW] with OH and OW those of g.
//
// The package function ConvAct calls a backend's own implementation, and
// otherwise composes the op from core ops. The backward pass needs no op
// of its own: for the ReLU, ActivateBackward with y as its input (y > 0
// exactly where the ReLU's input is), then BiasGrad and the convolution's
// backward ops.
type ConvActivator interface {
	// ConvAct writes
	//
	//	y = act(Conv2D(x, w) + bias[f])
	//
	// with act the ReLU when relu is set and the identity otherwise
	// (torch: relu(conv2d(x, w, bias))).
	ConvAct(x, w, bias, y Tensor, g ConvGeom, relu bool)
}

// ConvAct calls b's ConvActivator.ConvAct, or composes it from core ops:
// Conv2D, AddBias and Activate.
func ConvAct(b Backend, x, w, bias, y Tensor, g ConvGeom, relu bool) {
	if c, ok := b.(ConvActivator); ok {
		c.ConvAct(x, w, bias, y, g, relu)
		return
	}
	b.Conv2D(x, w, y, g)
	if bias != nil {
		b.AddBias(y, bias)
	}
	if relu {
		b.Activate(Activation{Kind: ReLU}, y, y)
	}
}
