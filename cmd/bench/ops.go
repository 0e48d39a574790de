package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/myelin-go/myelin/backend"
)

// opBench is one Backend op at fixed shapes.
type opBench struct {
	name  string                  // layer and Backend method, e.g. "conv2 Conv2D"
	shape string                  // operand shapes
	flops float64                 // floating-point operations per call; 0 for a memory-bound op
	bytes float64                 // bytes a memory-bound op reads and writes per call, each operand once
	setup func(t *tensors) func() // allocates the operands on t and returns one call of the op
}

// cnnOps returns the Backend ops of one training step of the MNIST CNN
// (models.CNN) at batch size n: conv3×3 1→32 (28→26), ReLU, conv3×3 32→64
// (26→24), ReLU, max-pool 2 (24→12), flatten 9216, fc 128, ReLU, fc 10,
// softmax cross-entropy, and the optimizer steps on fc1's weight. conv1's
// Conv2DBackwardData is included although training does not need it (the
// input has no gradient). The rows of conv2+relu2+pool time the op that
// replaces conv2's ops through the pool where the backend has it
// (backend.ConvPooler; elsewhere its fallback of core ops), and the row of
// conv1+relu1 the op that runs conv1, its bias and its ReLU
// (backend.ConvActivator, or its fallback).
func cnnOps(n int) []opBench {
	conv1 := backend.ConvGeom{N: n, C: 1, H: 28, W: 28, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	conv2 := conv1
	conv2.C, conv2.H, conv2.W = 32, 26, 26
	pool := backend.PoolGeom{N: n, C: 64, H: 24, W: 24, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	relu := backend.Activation{Kind: backend.ReLU}
	conv2Out := []int{n, 64, 24, 24}
	return []opBench{
		convForward("conv1", conv1, 32, false),
		convForward("conv1+relu1", conv1, 32, true),
		convBackwardData("conv1", conv1, 32),
		convBackwardFilter("conv1", conv1, 32),
		convForward("conv2", conv2, 64, false),
		convBackwardData("conv2", conv2, 64),
		convBackwardFilter("conv2", conv2, 64),
		im2col("conv2", conv2),
		addBias("conv2", conv2Out),
		biasGrad("conv2", conv2Out),
		activate("relu2", relu, conv2Out),
		activateBackward("relu2", relu, conv2Out),
		maxPool("pool", pool),
		maxPoolBackward("pool", pool),
		convPool("conv2+relu2+pool", conv2, pool),
		convPoolBackward("conv2+relu2+pool", conv2, pool),
		matMul("fc1 MatMul", false, true, n, 128, 9216),     // y = x·Wᵀ
		matMul("fc1 MatMul dW", true, false, 128, 9216, n),  // dW = dyᵀ·x
		matMul("fc1 MatMul dX", false, false, n, 9216, 128), // dx = dy·W
		matMul("fc2 MatMul", false, true, n, 10, 128),
		matMul("fc2 MatMul dW", true, false, 10, 128, n),
		matMul("fc2 MatMul dX", false, false, n, 128, 10),
		softmaxCrossEntropy("loss", n, 10),
		sgdStep("fc1.weight", 128, 9216),
		adamStep("fc1.weight", 128, 9216),
	}
}

// dims formats a shape as 64×32×26×26.
func dims(d ...int) string {
	s := make([]string, len(d))
	for i, v := range d {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, "×")
}

// elems returns the number of elements of a tensor of the given shape.
func elems(shape []int) float64 { return float64(backend.Shape(shape).Len()) }

// matMul benchmarks C = op(A)·op(B) with op(A) m×k and op(B) k×n:
// 2·m·n·k flops.
func matMul(name string, transA, transB bool, m, n, k int) opBench {
	a, b := []int{m, k}, []int{k, n}
	ta, tb := "", ""
	if transA {
		a, ta = []int{k, m}, "ᵀ"
	}
	if transB {
		b, tb = []int{n, k}, "ᵀ"
	}
	return opBench{
		name:  name,
		shape: fmt.Sprintf("%s%s · %s%s", dims(a...), ta, dims(b...), tb),
		flops: 2 * float64(m) * float64(n) * float64(k),
		setup: func(t *tensors) func() {
			at, bt, ct := t.uniform(a...), t.uniform(b...), t.alloc(m, n)
			return func() { t.b.MatMul(transA, transB, 1, at, bt, 0, ct) }
		},
	}
}

// convShapes returns the shapes of a convolution's input, filters and
// output for geometry g and the given number of filters.
func convShapes(g backend.ConvGeom, filters int) (x, w, y []int) {
	return []int{g.N, g.C, g.H, g.W}, []int{filters, g.C, g.KH, g.KW}, []int{g.N, filters, g.OutH(), g.OutW()}
}

// convFlops returns the flops of a convolution and of each of its two
// gradients, as the GEMM of im2col counts them: 2·N·F·OH·OW·C·KH·KW.
func convFlops(g backend.ConvGeom, filters int) float64 {
	return 2 * float64(g.N*filters*g.OutH()*g.OutW()) * float64(g.C*g.KH*g.KW)
}

// convForward benchmarks Conv2D, or with act backend.ConvAct with a bias
// and the ReLU.
func convForward(layer string, g backend.ConvGeom, filters int, act bool) opBench {
	x, w, y := convShapes(g, filters)
	name := layer + " Conv2D"
	if act {
		name = layer + " ConvAct"
	}
	return opBench{
		name:  name,
		shape: "x " + dims(x...) + ", w " + dims(w...),
		flops: convFlops(g, filters),
		setup: func(t *tensors) func() {
			xt, wt, yt := t.uniform(x...), t.uniform(w...), t.alloc(y...)
			if act {
				bt := t.uniform(filters)
				return func() { backend.ConvAct(t.b, xt, wt, bt, yt, g, true) }
			}
			return func() { t.b.Conv2D(xt, wt, yt, g) }
		},
	}
}

// convBackwardData benchmarks Conv2DBackwardData.
func convBackwardData(layer string, g backend.ConvGeom, filters int) opBench {
	x, w, y := convShapes(g, filters)
	return opBench{
		name:  layer + " Conv2DBackwardData",
		shape: "dy " + dims(y...) + ", w " + dims(w...),
		flops: convFlops(g, filters),
		setup: func(t *tensors) func() {
			dy, wt, dx := t.uniform(y...), t.uniform(w...), t.alloc(x...)
			return func() { t.b.Conv2DBackwardData(dy, wt, dx, g) }
		},
	}
}

// convBackwardFilter benchmarks Conv2DBackwardFilter.
func convBackwardFilter(layer string, g backend.ConvGeom, filters int) opBench {
	x, w, y := convShapes(g, filters)
	return opBench{
		name:  layer + " Conv2DBackwardFilter",
		shape: "x " + dims(x...) + ", dy " + dims(y...),
		flops: convFlops(g, filters),
		setup: func(t *tensors) func() {
			xt, dy, dw := t.uniform(x...), t.uniform(y...), t.alloc(w...)
			return func() { t.b.Conv2DBackwardFilter(xt, dy, dw, g) }
		},
	}
}

// im2col benchmarks Im2Col; it moves 4·(N·C·H·W + N·C·KH·KW·OH·OW) bytes.
func im2col(layer string, g backend.ConvGeom) opBench {
	x := []int{g.N, g.C, g.H, g.W}
	col := []int{g.N, g.C * g.KH * g.KW, g.OutH() * g.OutW()}
	return opBench{
		name:  layer + " Im2Col",
		shape: "x " + dims(x...) + " → " + dims(col...),
		bytes: 4 * (elems(x) + elems(col)),
		setup: func(t *tensors) func() {
			xt, ct := t.uniform(x...), t.alloc(col...)
			return func() { t.b.Im2Col(xt, ct, g) }
		},
	}
}

// poolShapes returns the shapes of a pooling's input and output.
func poolShapes(g backend.PoolGeom) (x, y []int) {
	return []int{g.N, g.C, g.H, g.W}, []int{g.N, g.C, g.OutH(), g.OutW()}
}

// maxPool benchmarks MaxPool; it reads x and writes y and argmax:
// 4·(|x| + 2·|y|) bytes.
func maxPool(layer string, g backend.PoolGeom) opBench {
	x, y := poolShapes(g)
	return opBench{
		name:  layer + " MaxPool",
		shape: "x " + dims(x...) + " → " + dims(y...),
		bytes: 4 * (elems(x) + 2*elems(y)),
		setup: func(t *tensors) func() {
			xt, yt, arg := t.uniform(x...), t.alloc(y...), t.alloc(y...)
			return func() { t.b.MaxPool(xt, yt, arg, g) }
		},
	}
}

// maxPoolBackward benchmarks MaxPoolBackward with the argmax of a real
// MaxPool; it reads dy and argmax and writes dx: 4·(2·|y| + |x|) bytes.
func maxPoolBackward(layer string, g backend.PoolGeom) opBench {
	x, y := poolShapes(g)
	return opBench{
		name:  layer + " MaxPoolBackward",
		shape: "dy " + dims(y...) + " → " + dims(x...),
		bytes: 4 * (2*elems(y) + elems(x)),
		setup: func(t *tensors) func() {
			xt, yt, arg := t.uniform(x...), t.alloc(y...), t.alloc(y...)
			t.b.MaxPool(xt, yt, arg, g)
			dy, dx := t.uniform(y...), t.alloc(x...)
			return func() { t.b.MaxPoolBackward(dy, arg, dx, g) }
		},
	}
}

// convPool benchmarks backend.ConvPool with the ReLU, the forward pass of
// the convolution, ReLU and pooling in one op: the convolution's flops.
func convPool(layer string, g backend.ConvGeom, pg backend.PoolGeom) opBench {
	x, w, _ := convShapes(g, pg.C)
	_, y := poolShapes(pg)
	return opBench{
		name:  layer + " ConvPool",
		shape: "x " + dims(x...) + ", w " + dims(w...) + " → " + dims(y...),
		flops: convFlops(g, pg.C),
		setup: func(t *tensors) func() {
			xt, wt, bt, yt, arg := t.uniform(x...), t.uniform(w...), t.uniform(pg.C), t.alloc(y...), t.alloc(y...)
			return func() { backend.ConvPool(t.b, xt, wt, bt, yt, arg, g, pg, true) }
		},
	}
}

// convPoolBackward benchmarks backend.ConvPoolBackward after a real
// ConvPool, with the input gradient through the ReLU before the
// convolution as in a training step: the flops of both of the
// convolution's gradients.
func convPoolBackward(layer string, g backend.ConvGeom, pg backend.PoolGeom) opBench {
	x, w, _ := convShapes(g, pg.C)
	_, y := poolShapes(pg)
	return opBench{
		name:  layer + " ConvPoolBackward",
		shape: "x " + dims(x...) + ", dy " + dims(y...),
		flops: 2 * convFlops(g, pg.C),
		setup: func(t *tensors) func() {
			xt, wt, bt, yt, arg := t.uniform(x...), t.uniform(w...), t.uniform(pg.C), t.alloc(y...), t.alloc(y...)
			backend.ConvPool(t.b, xt, wt, bt, yt, arg, g, pg, true)
			dy, dx, dw, db := t.uniform(y...), t.alloc(x...), t.alloc(w...), t.alloc(pg.C)
			return func() { backend.ConvPoolBackward(t.b, xt, wt, yt, arg, dy, dx, dw, db, g, pg, true, true) }
		},
	}
}

// activate benchmarks Activate out of place; it reads x and writes y:
// 8·|x| bytes.
func activate(layer string, a backend.Activation, shape []int) opBench {
	return opBench{
		name:  layer + " Activate " + a.String(),
		shape: dims(shape...),
		bytes: 8 * elems(shape),
		setup: func(t *tensors) func() {
			x, y := t.uniform(shape...), t.alloc(shape...)
			return func() { t.b.Activate(a, x, y) }
		},
	}
}

// activateBackward benchmarks ActivateBackward out of place; it reads dy
// and one of x and y (the derivative needs only one) and writes dx:
// 12·|x| bytes.
func activateBackward(layer string, a backend.Activation, shape []int) opBench {
	return opBench{
		name:  layer + " ActivateBackward " + a.String(),
		shape: dims(shape...),
		bytes: 12 * elems(shape),
		setup: func(t *tensors) func() {
			x, y := t.uniform(shape...), t.alloc(shape...)
			t.b.Activate(a, x, y)
			dy, dx := t.uniform(shape...), t.alloc(shape...)
			return func() { t.b.ActivateBackward(a, x, y, dy, dx) }
		},
	}
}

// addBias benchmarks AddBias; it reads and writes y and reads the bias:
// 4·(2·|y| + C) bytes.
func addBias(layer string, shape []int) opBench {
	c := shape[1]
	return opBench{
		name:  layer + " AddBias",
		shape: dims(shape...) + " + " + dims(c),
		bytes: 4 * (2*elems(shape) + float64(c)),
		setup: func(t *tensors) func() {
			y, b := t.uniform(shape...), t.uniform(c)
			return func() { t.b.AddBias(y, b) }
		},
	}
}

// biasGrad benchmarks BiasGrad; it reads dy and writes db: 4·(|dy| + C)
// bytes.
func biasGrad(layer string, shape []int) opBench {
	c := shape[1]
	return opBench{
		name:  layer + " BiasGrad",
		shape: dims(shape...) + " → " + dims(c),
		bytes: 4 * (elems(shape) + float64(c)),
		setup: func(t *tensors) func() {
			dy, db := t.uniform(shape...), t.alloc(c)
			return func() { t.b.BiasGrad(dy, db) }
		},
	}
}

// softmaxCrossEntropy benchmarks SoftmaxCrossEntropy on [n, k] logits with
// one-hot targets; it reads logits and target and writes grad and the loss:
// 4·(3·n·k + 1) bytes.
func softmaxCrossEntropy(layer string, n, k int) opBench {
	return opBench{
		name:  layer + " SoftmaxCrossEntropy",
		shape: dims(n, k),
		bytes: 4 * (3*float64(n*k) + 1),
		setup: func(t *tensors) func() {
			logits, target, grad, loss := t.uniform(n, k), t.oneHot(n, k), t.alloc(n, k), t.alloc(1)
			return func() { t.b.SoftmaxCrossEntropy(logits, target, grad, loss) }
		},
	}
}

// sgdStep benchmarks SGDStep with momentum 0.9 on a parameter of the given
// shape; it reads p, g and v and writes p and v: 20 bytes per parameter.
func sgdStep(param string, shape ...int) opBench {
	h := backend.SGD{LR: 0.01, Momentum: 0.9}
	return opBench{
		name:  param + " SGDStep momentum",
		shape: dims(shape...),
		bytes: 20 * elems(shape),
		setup: func(t *tensors) func() {
			p, g, v := t.uniform(shape...), t.uniform(shape...), t.fill(0, shape...)
			return func() { t.b.SGDStep(p, g, v, h) }
		},
	}
}

// adamStep benchmarks AdamStep on a parameter of the given shape, counting
// the steps as a trainer does; it reads p, g, m and v and writes p, m and
// v: 28 bytes per parameter.
func adamStep(param string, shape ...int) opBench {
	return opBench{
		name:  param + " AdamStep",
		shape: dims(shape...),
		bytes: 28 * elems(shape),
		setup: func(t *tensors) func() {
			p, g, m, v := t.uniform(shape...), t.uniform(shape...), t.fill(0, shape...), t.fill(0, shape...)
			h := backend.Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
			return func() {
				h.Step++
				t.b.AdamStep(p, g, m, v, h)
			}
		},
	}
}
