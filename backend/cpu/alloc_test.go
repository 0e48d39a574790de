package cpu_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// allocsPerRun is testing.AllocsPerRun at GOMAXPROCS 2 (AllocsPerRun
// itself sets GOMAXPROCS to 1, which would keep the ops on one goroutine):
// the mean number of heap allocations of f, after warm-up, counted over
// every goroutine, with the collector off so that it cannot empty the task
// pools mid-measurement.
func allocsPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 3 {
		f()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.Mallocs - before.Mallocs) / uint64(runs)
}

// TestElementwiseOpsDoNotAllocate checks that every elementwise, pooling,
// softmax, loss, normalisation, optimizer, math and axis-reduction op allocates nothing per call
// after warm-up, at sizes that split the work over two goroutines.
func TestElementwiseOpsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop pooled tasks at random")
	}
	b, err := cpu.NewLevel(cpu.Levels()[len(cpu.Levels())-1])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const n, c, h, w = 8, 16, 32, 32
	x := randomTensor(b, 1, n, c, h, w)
	y := randomTensor(b, 2, n, c, h, w)
	z := randomTensor(b, 3, n, c, h, w)
	u := randomTensor(b, 4, n, c, h, w)
	v := b.Alloc(n, c, h, w)
	b.Fill(v, 0.5)
	ch := [6]backend.Tensor{}
	for i := range ch {
		ch[i] = b.Alloc(c)
		b.Fill(ch[i], 1)
	}
	scalar := b.Alloc(1)
	pg := backend.PoolGeom{N: n, C: c, H: h, W: w, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	pg3 := backend.PoolGeom{N: n, C: c, H: h, W: w, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	py, pa := b.Alloc(n, c, h/2, w/2), b.Alloc(n, c, h/2, w/2)
	py3, pa3 := b.Alloc(n, c, h, w), b.Alloc(n, c, h, w)
	logits, target, grad := randomTensor(b, 5, 1024, 128), b.Alloc(1024, 128), b.Alloc(1024, 128)
	b.Fill(target, 1.0/128)
	bias := randomTensor(b, 6, 128)
	chan3 := randomTensor(b, 7, c, 1, 1)
	sum0, sum1, sum3 := b.Alloc(c, h, w), b.Alloc(n, h, w), b.Alloc(n, c, h)
	arg1 := b.AllocInt32(n, h, w)
	ops := []struct {
		name string
		f    func()
	}{
		{"Add", func() { b.Add(x, y, z) }},
		{"Mul", func() { b.Mul(x, y, z) }},
		{"Scale", func() { b.Scale(1, z) }},
		{"Axpy", func() { b.Axpy(0.5, x, z) }},
		{"AddBias", func() { b.AddBias(z, ch[0]) }},
		{"AddBias dense", func() { b.AddBias(grad, bias) }},
		{"BiasGrad", func() { b.BiasGrad(x, ch[1]) }},
		{"Sum", func() { b.Sum(x, scalar) }},
		{"Activate ReLU", func() { b.Activate(backend.Activation{Kind: backend.ReLU}, x, z) }},
		{"Activate Tanh", func() { b.Activate(backend.Activation{Kind: backend.Tanh}, x, z) }},
		{"Activate ELU", func() { b.Activate(backend.Activation{Kind: backend.ELU, Alpha: 1}, x, z) }},
		{"ActivateBackward Sigmoid", func() { b.ActivateBackward(backend.Activation{Kind: backend.Sigmoid}, x, y, u, z) }},
		{"ActivateBackward Softplus", func() { b.ActivateBackward(backend.Activation{Kind: backend.Softplus}, x, y, u, z) }},
		{"MaxPool 2×2", func() { b.MaxPool(x, py, pa, pg) }},
		{"MaxPool 3×3", func() { b.MaxPool(x, py3, pa3, pg3) }},
		{"MaxPoolBackward", func() { b.MaxPoolBackward(py, pa, z, pg) }},
		{"AvgPool", func() { b.AvgPool(x, py3, pg3) }},
		{"AvgPoolBackward", func() { b.AvgPoolBackward(py3, z, pg3) }},
		{"Softmax", func() { b.Softmax(logits, grad) }},
		{"SoftmaxBackward", func() { b.SoftmaxBackward(grad, logits, target) }},
		{"SoftmaxCrossEntropy", func() { b.SoftmaxCrossEntropy(logits, target, grad, scalar) }},
		{"CountCorrect", func() { b.CountCorrect(logits, target, scalar) }},
		{"SigmoidCrossEntropy", func() { b.SigmoidCrossEntropy(x, v, z, scalar) }},
		{"MeanAbsError", func() { b.MeanAbsError(x, y, z, scalar) }},
		{"BatchNormTrain", func() { b.BatchNormTrain(x, ch[0], ch[1], z, ch[2], ch[3], ch[4], ch[5], 0.1, 1e-5) }},
		{"BatchNormInfer", func() { b.BatchNormInfer(x, ch[0], ch[1], ch[4], ch[5], z, 1e-5) }},
		{"BatchNormBackward", func() { b.BatchNormBackward(x, y, ch[0], ch[2], ch[3], z, ch[4], ch[1]) }},
		{"DropoutMask", func() { b.DropoutMask(z, 0.25, 7) }},
		{"SGDStep", func() { b.SGDStep(z, y, nil, backend.SGD{LR: 1e-3}) }},
		{"SGDStep momentum", func() { b.SGDStep(z, y, u, backend.SGD{LR: 1e-3, Momentum: 0.9, Nesterov: true}) }},
		{"RMSpropStep", func() { b.RMSpropStep(z, y, v, backend.RMSprop{LR: 1e-3, Rho: 0.9, Eps: 1e-8}) }},
		{"AdamStep", func() { b.AdamStep(z, y, u, v, backend.Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1}) }},
		{"AdadeltaStep", func() { b.AdadeltaStep(z, y, v, u, backend.Adadelta{LR: 1, Rho: 0.9, Eps: 1e-6}) }},
		{"Binary", func() { b.Binary(backend.OpSub, x, y, z) }},
		{"Binary scalar", func() { b.Binary(backend.OpDiv, x, scalar, z) }},
		{"Binary per channel", func() { b.Binary(backend.OpMax, x, chan3, z) }},
		{"Binary row", func() { b.Binary(backend.OpAdd, logits, bias, grad) }},
		{"Unary Exp", func() { b.Unary(backend.OpExp, x, z) }},
		{"Unary Log", func() { b.Unary(backend.OpLog, v, z) }},
		{"Affine", func() { b.Affine(2, 1, x, z) }},
		{"Clamp", func() { b.Clamp(-1, 1, x, z) }},
		{"Reduce sum axis 0", func() { b.Reduce(backend.ReduceSum, x, 0, sum0, 0.5) }},
		{"Reduce max axis 1", func() { b.Reduce(backend.ReduceMax, x, 1, sum1, 0) }},
		{"Reduce mean last axis", func() { b.Reduce(backend.ReduceMean, x, 3, sum3, 0) }},
		{"ArgMax", func() { b.ArgMax(x, 1, sum1, arg1) }},
		{"BiasGradAdd", func() { b.BiasGradAdd(x, 1, ch[1]) }},
		{"ActivateBackwardAdd", func() { b.ActivateBackwardAdd(backend.Activation{Kind: backend.Tanh}, x, y, u, 1, z) }},
	}
	for _, op := range ops {
		if a := allocsPerRun(20, op.f); a != 0 {
			t.Errorf("%s: %d allocations per call, want 0", op.name, a)
		}
	}
}
