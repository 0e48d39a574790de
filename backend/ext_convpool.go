package backend

import "fmt"

// ConvPooler provides a convolution fused with the bias, the optional ReLU
// and the max pooling after it, the block of most small CNNs: the
// convolution's output, the largest tensor of such a network, then never
// leaves the cache, and the passes over it (bias, activation, pooling and
// their gradients) run on each image's output while the convolution's
// product has it at hand. ReLU and adding a bias commute with taking a
// maximum, so the op serves conv → ReLU → pool and conv → pool → ReLU
// alike.
//
// Shapes: x [N, C, H, W], w [F, C, KH, KW], bias [F] or nil (no bias),
// the convolution's output [N, F, OH, OW] (cg), pooled by pg, whose
// N, C, H and W must be N, F, OH and OW; y and argmax [N, F, PH, PW] with
// PH, PW the pooled height and width.
//
// The package functions ConvPool and ConvPoolBackward call a backend's own
// implementation, and otherwise compose the op from core ops with a
// scratch tensor of the convolution's output allocated on every call.
type ConvPooler interface {
	// ConvPool writes
	//
	//	y = act(MaxPool(Conv2D(x, w)) + bias[f])
	//
	// with act the ReLU when relu is set and the identity otherwise
	// (torch: relu(max_pool2d(conv2d(x, w, bias)))), and argmax as MaxPool
	// writes it: the index oh·OW+ow within its (n, f) plane of the
	// convolution's output of the element each window chose, the first on
	// ties.
	ConvPool(x, w, bias, y, argmax Tensor, cg ConvGeom, pg PoolGeom, relu bool)
	// ConvPoolBackward takes x, w, and y and argmax as ConvPool wrote
	// them, and dy = ∂L/∂y, and writes the gradients dw = ∂L/∂w, db = ∂L/∂b
	// (when bias exists; nil otherwise) and, unless dx is nil, dx = ∂L/∂x.
	// With relu, the gradient passes where y > 0 (as ActivateBackward's
	// ReLU); it then flows to the element argmax names and through the
	// convolution as Conv2DBackwardFilter and Conv2DBackwardData have it.
	// With reluX, x is the output of a ReLU and dx the gradient with
	// respect to that ReLU's input instead: ∂L/∂x where x > 0, and 0
	// elsewhere (the ReLU's backward pass, fused).
	ConvPoolBackward(x, w, y, argmax, dy, dx, dw, db Tensor, cg ConvGeom, pg PoolGeom, relu, reluX bool)
}

// CheckConvPoolGeom returns an error unless the pooling geometry pg pools
// the output of the convolution geometry cg with f filters: pg.N, pg.C,
// pg.H and pg.W equal to cg.N, f, cg.OutH() and cg.OutW().
func CheckConvPoolGeom(cg ConvGeom, f int, pg PoolGeom) error {
	if pg.N != cg.N || pg.C != f || pg.H != cg.OutH() || pg.W != cg.OutW() {
		return fmt.Errorf("pooling geometry N %d, C %d, %d×%d does not pool the convolution's output [%d, %d, %d, %d]",
			pg.N, pg.C, pg.H, pg.W, cg.N, f, cg.OutH(), cg.OutW())
	}
	return nil
}

// ConvPool calls b's ConvPooler.ConvPool, or composes it from core ops:
// Conv2D into a scratch tensor, MaxPool, AddBias and Activate.
func ConvPool(b Backend, x, w, bias, y, argmax Tensor, cg ConvGeom, pg PoolGeom, relu bool) {
	if c, ok := b.(ConvPooler); ok {
		c.ConvPool(x, w, bias, y, argmax, cg, pg, relu)
		return
	}
	f := w.Shape()[0]
	if err := CheckConvPoolGeom(cg, f, pg); err != nil {
		panic("backend: ConvPool: " + err.Error())
	}
	conv := b.Alloc(cg.N, f, cg.OutH(), cg.OutW())
	defer b.Free(conv)
	b.Conv2D(x, w, conv, cg)
	b.MaxPool(conv, y, argmax, pg)
	if bias != nil {
		b.AddBias(y, bias)
	}
	if relu {
		b.Activate(Activation{Kind: ReLU}, y, y)
	}
}

// ConvPoolBackward calls b's ConvPooler.ConvPoolBackward, or composes it
// from core ops: ActivateBackward (with relu) into a scratch tensor,
// BiasGrad, MaxPoolBackward into another, Conv2DBackwardFilter,
// Conv2DBackwardData and (with reluX) ActivateBackward in place.
func ConvPoolBackward(b Backend, x, w, y, argmax, dy, dx, dw, db Tensor, cg ConvGeom, pg PoolGeom, relu, reluX bool) {
	if c, ok := b.(ConvPooler); ok {
		c.ConvPoolBackward(x, w, y, argmax, dy, dx, dw, db, cg, pg, relu, reluX)
		return
	}
	f := w.Shape()[0]
	if err := CheckConvPoolGeom(cg, f, pg); err != nil {
		panic("backend: ConvPoolBackward: " + err.Error())
	}
	dp := dy
	if relu {
		dp = b.Alloc(y.Shape()...)
		defer b.Free(dp)
		b.ActivateBackward(Activation{Kind: ReLU}, y, y, dy, dp)
	}
	if db != nil {
		b.BiasGrad(dp, db)
	}
	dconv := b.Alloc(cg.N, f, cg.OutH(), cg.OutW())
	defer b.Free(dconv)
	b.MaxPoolBackward(dp, argmax, dconv, pg)
	b.Conv2DBackwardFilter(x, dconv, dw, cg)
	if dx != nil {
		b.Conv2DBackwardData(dconv, w, dx, cg)
		if reluX {
			b.ActivateBackward(Activation{Kind: ReLU}, x, x, dx, dx)
		}
	}
}
