package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Conv2D is a 2-D convolution (cross-correlation, as in PyTorch) with zero
// padding over per-sample input [C, H, W]:
//
//	y[n, f, oh, ow] = b[f] + Σ_{c,i,j} w[f, c, i, j]·x[n, c, oh·S−P+i, ow·S−P+j]
//
// with weight w [Filters, C, KH, KW], bias b [Filters], stride S and padding
// P on both axes. The output is [Filters, OH, OW] per sample with
// OH = ⌊(H + 2P − KH)/S⌋ + 1 and OW likewise.
type Conv2D struct {
	Filters int         // output channels, ≥ 1
	KH, KW  int         // kernel height and width, ≥ 1
	Stride  int         // step between output positions; 0 means 1
	Pad     int         // zeros added on each side of both spatial axes, ≥ 0
	Init    Initializer // weight initialiser; nil means HeNormal
	NoBias  bool        // leave out b

	b      backend.Backend
	in     []int
	geom   backend.ConvGeom // with N = 1; Forward sets the batch size
	weight *Param
	bias   *Param
	// biasLater: the MaxPool2D after this layer in a chain adds the bias
	// and computes its gradient (see fuseConvPools).
	biasLater bool
	x         backend.Tensor // input of the last Forward
	cur       *convBufs      // buffers of the last Forward
	bufs      BatchCache[convBufs]
}

// convBufs are a Conv2D layer's buffers for one batch size.
type convBufs struct {
	ioBufs
	geom backend.ConvGeom
}

// stride returns the effective stride: Stride, or 1 when it is 0.
func (c *Conv2D) stride() int {
	if c.Stride == 0 {
		return 1
	}
	return c.Stride
}

// Build implements Layer.
func (c *Conv2D) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	switch {
	case c.Filters < 1:
		return nil, fmt.Errorf("%v: Filters must be at least 1", c)
	case c.KH < 1 || c.KW < 1:
		return nil, fmt.Errorf("%v: kernel size KH, KW must be at least 1", c)
	case c.Stride < 0:
		return nil, fmt.Errorf("%v: Stride must not be negative", c)
	case c.Pad < 0:
		return nil, fmt.Errorf("%v: Pad must not be negative", c)
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", c, err)
	}
	if len(in) != 3 {
		return nil, fmt.Errorf("%v: input shape %v, want [C H W]", c, in)
	}
	g := backend.ConvGeom{
		N: 1, C: in[0], H: in[1], W: in[2],
		KH: c.KH, KW: c.KW,
		StrideH: c.stride(), StrideW: c.stride(),
		PadH: c.Pad, PadW: c.Pad,
		DilH: 1, DilW: 1,
	}
	if g.OutH() < 1 || g.OutW() < 1 {
		return nil, fmt.Errorf("%v: kernel %d×%d does not fit input %v padded by %d", c, c.KH, c.KW, in, c.Pad)
	}
	init := c.Init
	if init == nil {
		init = HeNormal
	}
	*c = Conv2D{Filters: c.Filters, KH: c.KH, KW: c.KW, Stride: c.Stride, Pad: c.Pad, Init: c.Init, NoBias: c.NoBias,
		b: b, in: append([]int(nil), in...), geom: g}
	c.weight = NewParam(b, "weight", []int{c.Filters, g.C, c.KH, c.KW}, init, rng)
	if !c.NoBias {
		c.bias = NewParam(b, "bias", []int{c.Filters}, Zeros, nil)
	}
	return []int{c.Filters, g.OutH(), g.OutW()}, nil
}

// Forward implements Layer.
func (c *Conv2D) Forward(x backend.Tensor, train bool) backend.Tensor {
	c.start(x)
	c.b.Conv2D(x, c.weight.Value, c.cur.y, c.cur.geom)
	if c.bias != nil && !c.biasLater {
		c.b.AddBias(c.cur.y, c.bias.Value)
	}
	return c.cur.y
}

// forwardReLU is Forward followed by a ReLU, as one backend.ConvAct.
func (c *Conv2D) forwardReLU(x backend.Tensor) backend.Tensor {
	c.start(x)
	var bias backend.Tensor
	if c.bias != nil {
		bias = c.bias.Value
	}
	backend.ConvAct(c.b, x, c.weight.Value, bias, c.cur.y, c.cur.geom, true)
	return c.cur.y
}

// start checks x, makes the buffers for its batch size current and keeps x
// for the backward pass.
func (c *Conv2D) start(x backend.Tensor) {
	n := CheckInput(c, x, c.in)
	c.cur = c.bufs.Get(n, func(n int) *convBufs {
		g := c.geom
		g.N = n
		return &convBufs{ioBufs: ioBufs{y: c.b.Alloc(n, c.Filters, g.OutH(), g.OutW())}, geom: g}
	})
	c.x = x
}

// Backward implements Layer: ∂L/∂b[f] sums dy over the batch and space, and
// the weight and input gradients come from Backend.Conv2DBackwardFilter and
// Backend.Conv2DBackwardData.
func (c *Conv2D) Backward(dy backend.Tensor) backend.Tensor {
	c.BackwardParams(dy)
	if c.cur.dx == nil {
		c.cur.dx = c.b.Alloc(withBatch(c.cur.geom.N, c.in)...)
	}
	c.b.Conv2DBackwardData(dy, c.weight.Value, c.cur.dx, c.cur.geom)
	return c.cur.dx
}

// BackwardParams implements ParamGrader: the weight and bias gradients
// for dy, without ∂L/∂x.
func (c *Conv2D) BackwardParams(dy backend.Tensor) {
	if c.cur == nil {
		panicNoForward(c)
	}
	CheckGrad(c, dy, c.cur.y)
	if c.bias != nil && !c.biasLater {
		c.b.BiasGrad(dy, c.bias.Grad)
	}
	c.b.Conv2DBackwardFilter(c.x, dy, c.weight.Grad, c.cur.geom)
}

// Params implements Layer: the weight, then the bias unless NoBias.
func (c *Conv2D) Params() []*Param {
	if c.weight == nil {
		return nil
	}
	if c.bias == nil {
		return []*Param{c.weight}
	}
	return []*Param{c.weight, c.bias}
}

// String describes the layer, e.g. "Conv2D(32, 3×3, stride 1, pad 0)".
func (c *Conv2D) String() string {
	s := fmt.Sprintf("Conv2D(%d, %d×%d, stride %d, pad %d", c.Filters, c.KH, c.KW, c.stride(), c.Pad)
	if c.NoBias {
		s += ", no bias"
	}
	return s + ")"
}
