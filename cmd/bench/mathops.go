package main

import "github.com/myelin-go/myelin/backend"

// mathOps returns the optional ops at the CNN's shapes at batch size n, for
// the groups b implements: elementwise math and axis reductions
// (backend.Math, backend.Reducer) on conv2's output [n, 64, 24, 24], on
// fc1's output [n, 128] and its bias row [128]; a region copy, a batch
// gathered from the 60,000 training images and its adjoint (backend.Viewer,
// backend.Indexer); the batch's images shifted (backend.Shifter); and n products of conv2's per-image shape
// (backend.BatchMatMuler).
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
	if _, ok := b.(backend.Viewer); ok {
		ops = append(ops, opBench{
			name: "conv2 CopyRegion channels 0–31", shape: dims(x...) + " → " + dims(n, 32, 24, 24),
			bytes: 8 * float64(n*32*24*24),
			setup: func(t *tensors) func() {
				src, dst := t.uniform(x...), t.alloc(n, 32, 24, 24)
				plane := 24 * 24
				sr := backend.Region{Strides: [4]int{0, 0, 64 * plane, 1}}
				dr := backend.Region{Strides: [4]int{0, 0, 32 * plane, 1}}
				return func() { backend.CopyRegion(t.b, dst, dr, src, sr, [4]int{1, 1, n, 32 * plane}, false) }
			},
		})
	}
	ix, hasIndexer := b.(backend.Indexer)
	if hasIndexer {
		const images = 60000
		img := []int{images, 1, 28, 28}
		batchIdx := func(t *tensors) backend.Tensor {
			idx := ix.AllocInt32(n)
			t.all = append(t.all, idx)
			v := make([]int32, n)
			for i := range v {
				v[i] = int32(t.rng.Intn(images))
			}
			ix.UploadInt32(idx, v)
			return idx
		}
		ops = append(ops,
			opBench{
				name: "data Gather batch", shape: dims(img...) + " → " + dims(n, 1, 28, 28),
				bytes: 8*float64(n*784) + 4*float64(n),
				setup: func(t *tensors) func() {
					table, idx, out := t.uniform(img...), batchIdx(t), t.alloc(n, 1, 28, 28)
					return func() { backend.Gather(t.b, table, idx, out) }
				},
			},
			opBench{
				name: "data ScatterAdd batch", shape: dims(n, 1, 28, 28) + " → " + dims(img...),
				bytes: 12*float64(n*784) + 4*float64(n),
				setup: func(t *tensors) func() {
					table, idx, src := t.uniform(img...), batchIdx(t), t.uniform(n, 1, 28, 28)
					return func() { backend.ScatterAdd(t.b, src, idx, table) }
				},
			})
	}
	if sh, ok := b.(backend.Shifter); ok && hasIndexer {
		// A batch of images shifted by up to 2 pixels each way, as
		// cmd/mnist's random shifts do on the device.
		ops = append(ops, opBench{
			name: "data ShiftImages batch", shape: dims(n, 1, 28, 28) + " by " + dims(n, 2),
			bytes: 8*float64(n*784) + 8*float64(n),
			setup: func(t *tensors) func() {
				offsets := ix.AllocInt32(n, 2)
				t.all = append(t.all, offsets)
				v := make([]int32, 2*n)
				for i := range v {
					v[i] = int32(t.rng.Intn(5) - 2)
				}
				ix.UploadInt32(offsets, v)
				x, y := t.uniform(n, 1, 28, 28), t.alloc(n, 1, 28, 28)
				return func() { sh.ShiftImages(x, offsets, y, -0.42) }
			},
		})
	}
	if _, ok := b.(backend.BatchMatMuler); ok {
		// conv2's product for each image: W [64, 288] · col [288, 576].
		ops = append(ops, opBench{
			name: "conv2 BatchMatMul per image", shape: dims(n, 64, 288) + "·" + dims(n, 288, 576),
			flops: 2 * float64(n*64*288*576),
			setup: func(t *tensors) func() {
				a, bt, c := t.uniform(n, 64, 288), t.uniform(n, 288, 576), t.alloc(n, 64, 576)
				return func() { backend.BatchMatMul(t.b, false, false, 1, a, bt, 0, c) }
			},
		})
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
