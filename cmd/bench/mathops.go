package main

import "github.com/myelin-go/myelin/backend"

// mathOps returns the optional elementwise and axis-reduction ops
// (backend.Math, backend.Reducer) at the CNN's shapes at batch size n, for
// the groups b implements: on conv2's output [n, 64, 24, 24], on fc1's
// output [n, 128] and its bias row [128].
func mathOps(b backend.Backend, n int) []opBench {
	x := []int{n, 64, 24, 24}
	fc := []int{n, 128}
	var ops []opBench
	if _, ok := b.(backend.Math); ok {
		ops = append(ops,
			binary("conv2 Binary sub", backend.OpSub, x, x, 12*elems(x)),
			binary("conv2 Binary mul per channel", backend.OpMul, x, []int{64, 1, 1}, 8*elems(x)+4*64),
			binary("conv2 Binary div scalar", backend.OpDiv, x, []int{1}, 8*elems(x)+4),
			binary("fc1 Binary add row", backend.OpAdd, fc, []int{128}, 8*elems(fc)+4*128),
			unary("conv2 Unary exp", backend.OpExp, x),
			unary("conv2 Unary log", backend.OpLog, x),
			elementwise("conv2 Affine", x, func(t *tensors, x, y backend.Tensor) { backend.Affine(t.b, 1.5, -0.5, x, y) }),
			elementwise("conv2 Clamp", x, func(t *tensors, x, y backend.Tensor) { backend.Clamp(t.b, -0.5, 0.5, x, y) }),
		)
	}
	if _, ok := b.(backend.Reducer); ok {
		relu := backend.Activation{Kind: backend.ReLU}
		ops = append(ops,
			reduce("conv2 Reduce sum axis 0", backend.ReduceSum, x, 0),
			reduce("conv2 Reduce max axis 1", backend.ReduceMax, x, 1),
			reduce("conv2 Reduce mean axis 3", backend.ReduceMean, x, 3),
			opBench{
				name: "conv2 BiasGradAdd", shape: dims(x...) + " → " + dims(64),
				bytes: 4 * (elems(x) + 2*64),
				setup: func(t *tensors) func() {
					dy, db := t.uniform(x...), t.uniform(64)
					return func() { backend.BiasGradAdd(t.b, dy, 1, db) }
				},
			},
			opBench{
				name: "relu2 ActivateBackwardAdd relu", shape: dims(x...),
				bytes: 16 * elems(x), // x, dy and the old dx read, dx written
				setup: func(t *tensors) func() {
					xt, yt := t.uniform(x...), t.alloc(x...)
					t.b.Activate(relu, xt, yt)
					dy, dx := t.uniform(x...), t.uniform(x...)
					return func() { backend.ActivateBackwardAdd(t.b, relu, xt, yt, dy, 1, dx) }
				},
			},
		)
	}
	return ops
}

// binary benchmarks Binary of a (shape a) and b (shape b) into c of a's
// shape, which moves the given bytes.
func binary(name string, op backend.BinaryOp, a, b []int, bytes float64) opBench {
	return opBench{
		name: name, shape: dims(a...) + " " + op.String() + " " + dims(b...), bytes: bytes,
		setup: func(t *tensors) func() {
			at, bt, ct := t.uniform(a...), t.uniform(b...), t.alloc(a...)
			return func() { backend.Binary(t.b, op, at, bt, ct) }
		},
	}
}

// unary benchmarks Unary out of place on inputs in [1, 3) (inside every
// function's domain); it reads x and writes y: 8·|x| bytes.
func unary(name string, op backend.UnaryOp, shape []int) opBench {
	return opBench{
		name: name, shape: dims(shape...), bytes: 8 * elems(shape),
		setup: func(t *tensors) func() {
			x, y := t.uniform(shape...), t.alloc(shape...)
			backend.Affine(t.b, 1, 2, x, x)
			return func() { backend.Unary(t.b, op, x, y) }
		},
	}
}

// elementwise benchmarks a call f(x, y) that reads x and writes y: 8·|x|
// bytes.
func elementwise(name string, shape []int, f func(t *tensors, x, y backend.Tensor)) opBench {
	return opBench{
		name: name, shape: dims(shape...), bytes: 8 * elems(shape),
		setup: func(t *tensors) func() {
			x, y := t.uniform(shape...), t.alloc(shape...)
			return func() { f(t, x, y) }
		},
	}
}

// reduce benchmarks Reduce along axis with beta 0; it reads x and writes
// y: 4·(|x| + |y|) bytes.
func reduce(name string, op backend.ReduceOp, shape []int, axis int) opBench {
	y := append(append([]int{}, shape[:axis]...), shape[axis+1:]...)
	return opBench{
		name: name, shape: dims(shape...) + " → " + dims(y...), bytes: 4 * (elems(shape) + elems(y)),
		setup: func(t *tensors) func() {
			xt, yt := t.uniform(shape...), t.alloc(y...)
			return func() { backend.Reduce(t.b, op, xt, axis, yt, 0) }
		},
	}
}
