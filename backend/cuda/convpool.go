//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// ConvPool and ConvPoolBackward (backend.ConvPooler) run the convolution
// as Conv2D and its gradients do, into a scratch block of the
// convolution's output from the allocator's cache (the same block every
// step of a training loop), and everything between the convolution and
// the pooled output in one kernel each way: the pooling, the bias and the
// ReLU forward (convpool), and backward the ReLU's mask, the routing
// through the argmax and the bias gradient's per-plane sums
// (convpool_backward). With reluX, the ReLU's gradient before the
// convolution is applied by col2im as it writes dx.

// planConvPool checks the shapes of x, w and bias (nil for none), the
// pooling geometry pg against the convolution's output, and the shapes
// of the pooled tensors ys (named by yNames) for op.
func planConvPool(op string, cg backend.ConvGeom, pg backend.PoolGeom, x, w, bias *tensor, ys []*tensor, yNames ...string) convPlan {
	p := planConvXW(op, cg, x, "x", w)
	check.Geom(op, pg.Check())
	check.Geom(op, backend.CheckConvPoolGeom(cg, p.f, pg))
	if pg.H*pg.W > 1<<24 {
		panic(fmt.Sprintf("cuda: %s: %d×%d planes are too large for float32 argmax indices", op, pg.H, pg.W))
	}
	if bias != nil && !bias.shape.Equal(backend.Shape{p.f}) {
		panic(fmt.Sprintf("cuda: %s: bias has shape %v, want [%d]", op, bias.shape, p.f))
	}
	for i, y := range ys {
		backend.CheckGeomShape(check, op, yNames[i], y.shape, pg, pg.N, pg.C, pg.OutH(), pg.OutW())
	}
	return p
}

// ConvPool writes y = act(MaxPool(Conv2D(x, w)) + bias) and the pooling's
// argmax (see backend.ConvPooler): Conv2D into scratch, then one kernel
// that pools each window, adds the bias and applies the ReLU. y and
// argmax are those of MaxPool, AddBias and Activate run apart, bit for
// bit.
func (b *Backend) ConvPool(x, w, bias, y, argmax backend.Tensor, cg backend.ConvGeom, pg backend.PoolGeom, relu bool) {
	const op = "ConvPool"
	tx, tw, ty, ta := b.tensor(op, x), b.tensor(op, w), b.tensor(op, y), b.tensor(op, argmax)
	var tb *tensor
	var bp uint64
	if bias != nil {
		tb = b.tensor(op, bias)
		bp = tb.ptr
	}
	p := planConvPool(op, cg, pg, tx, tw, tb, []*tensor{ty, ta}, "y", "argmax")
	conv, done := b.scratch(op, uint64(4*cg.N*p.f*p.p))
	defer done()
	b.conv2d(op, &p, tx.ptr, tw.ptr, conv)
	b.launch(op, kernels.ConvPool, b.grid(ty.len()),
		new(args).addr(conv).addr(bp).ptr(ty).ptr(ta).pool(pg).i32(pg.C).flag(relu))
}

// ConvPoolBackward writes the gradients of ConvPool (see
// backend.ConvPooler): one kernel routes dy, masked by the ReLU, through
// the argmax into a scratch block of the convolution's output gradient
// (gathering, one warp per plane, no atomics) and sums the masked dy of
// each plane in double, which bias_grad adds over the batch in order;
// then the filter gradient and the data gradient run as in
// Conv2DBackwardFilter and Conv2DBackwardData, the latter with reluX
// writing 0 where x is not above 0. Every result repeats bit for bit.
func (b *Backend) ConvPoolBackward(x, w, y, argmax, dy, dx, dw, db backend.Tensor, cg backend.ConvGeom, pg backend.PoolGeom, relu, reluX bool) {
	const op = "ConvPoolBackward"
	tx, tw, ty, ta, tdy, tdw := b.tensor(op, x), b.tensor(op, w), b.tensor(op, y), b.tensor(op, argmax), b.tensor(op, dy), b.tensor(op, dw)
	p := planConvPool(op, cg, pg, tx, tw, nil, []*tensor{ty, ta, tdy}, "y", "argmax", "dy")
	backend.CheckGeomShape(check, op, "dw", tdw.shape, cg, p.f, cg.C, cg.KH, cg.KW)
	var tdx *tensor
	if dx != nil {
		tdx = b.tensor(op, dx)
		backend.CheckGeomShape(check, op, "dx", tdx.shape, cg, cg.N, cg.C, cg.H, cg.W)
	}
	var tdb *tensor
	if db != nil {
		tdb = b.tensor(op, db)
		if !tdb.shape.Equal(backend.Shape{p.f}) {
			panic(fmt.Sprintf("cuda: %s: db has shape %v, want [%d]", op, tdb.shape, p.f))
		}
	}
	planes := cg.N * p.f
	dconv, done := b.scratch(op, uint64(4*planes*p.p))
	defer done()
	var part uint64
	if tdb != nil {
		var donePart func()
		part, donePart = b.scratch(op, uint64(8*planes))
		defer donePart()
	}
	b.launch(op, kernels.ConvPoolBackward, b.rowGrid(planes),
		new(args).ptr(tdy).ptr(ty).ptr(ta).addr(dconv).addr(part).pool(pg).flag(relu))
	if tdb != nil {
		b.launch(op, kernels.BiasGrad, b.grid(p.f), new(args).addr(part).ptr(tdb).i32(cg.N).i32(p.f).f32(0))
	}
	b.conv2dBackwardFilter(op, &p, tx.ptr, dconv, tdw.ptr)
	if tdx != nil {
		var mask uint64
		if reluX {
			mask = tx.ptr
		}
		b.conv2dBackwardData(op, &p, dconv, tw.ptr, tdx.ptr, mask)
	}
}
