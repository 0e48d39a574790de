package nn_test

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// lossTwice runs l on pred and target, fills the returned buffers with NaN
// and runs it again, returning the second run's loss and gradient, so that
// an element the loss leaves unwritten shows up as NaN.
func lossTwice(t *testing.T, b backend.Backend, l nn.Loss, pred, target []float32, n, k int) (float32, []float32) {
	t.Helper()
	p, y := upload(b, pred, n, k), upload(b, target, n, k)
	loss, grad := l.Loss(p, y)
	b.Fill(loss, float32(math.NaN()))
	b.Fill(grad, float32(math.NaN()))
	loss2, grad2 := l.Loss(p, y)
	if loss2 != loss || grad2 != grad {
		t.Fatalf("%v: second call returned other tensors, want the same buffers", l)
	}
	return download(b, loss)[0], download(b, grad)
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	const n, k = 5, 4
	rng := rand.New(rand.NewSource(21))
	logits := randSlice(rng, n*k, -3, 3)
	logits[3] = 40 // a large logit: the softmax must subtract the row maximum
	target := nn.OneHot([]int{0, 3, 1, 2, 0}, k)
	copy(target[2*k:3*k], []float32{0.1, 0.2, 0.3, 0.4}) // a soft target row

	want, wantGrad := 0.0, make([]float64, n*k)
	for r := range n {
		row := logits[r*k : (r+1)*k]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		for j, v := range row {
			logp := float64(v) - mx - math.Log(sum)
			tj := float64(target[r*k+j])
			want -= tj * logp / n
			wantGrad[r*k+j] = (math.Exp(logp) - tj) / n
		}
	}
	b := newCPU(t)
	loss, grad := lossTwice(t, b, nn.NewSoftmaxCrossEntropy(b), logits, target, n, k)
	assertClose(t, "SoftmaxCrossEntropy loss", []float32{loss}, []float64{want}, 1e-6, 1e-5)
	assertClose(t, "SoftmaxCrossEntropy grad", grad, wantGrad, 1e-7, 1e-5)
}

// smoothedCE is the float64 reference of SoftmaxCrossEntropy with label
// smoothing eps: −(1/N)·Σ_n Σ_k ((1−ε)·t[n,k] + ε/K)·log softmax(z[n])[k].
func smoothedCE(z []float64, target []float32, n, k int, eps float64) float64 {
	loss := 0.0
	for r := range n {
		row := z[r*k : (r+1)*k]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(v - mx)
		}
		for j, v := range row {
			tj := (1-eps)*float64(target[r*k+j]) + eps/float64(k)
			loss -= tj * (v - mx - math.Log(sum)) / float64(n)
		}
	}
	return loss
}

// TestLabelSmoothing checks the smoothed cross-entropy and its gradient
// against a float64 reference, the gradient by central differences of
// that reference, on an awkward shape with a soft target row, and once
// against PyTorch.
func TestLabelSmoothing(t *testing.T) {
	const n, k, eps = 7, 5, 0.15
	rng := rand.New(rand.NewSource(24))
	logits := randSlice(rng, n*k, -4, 4)
	logits[6] = 35
	target := nn.OneHot([]int{4, 1, 0, 3, 2, 2, 1}, k)
	copy(target[3*k:4*k], []float32{0.1, 0.2, 0.3, 0.4, 0})
	z := make([]float64, n*k)
	for i, v := range logits {
		z[i] = float64(v)
	}
	want := smoothedCE(z, target, n, k, eps)
	wantGrad := make([]float64, n*k)
	const h = 1e-5
	for i := range z {
		zi := z[i]
		z[i] = zi + h
		up := smoothedCE(z, target, n, k, eps)
		z[i] = zi - h
		down := smoothedCE(z, target, n, k, eps)
		z[i] = zi
		wantGrad[i] = (up - down) / (2 * h)
	}
	b := newCPU(t)
	l := nn.NewLabelSmoothingCrossEntropy(b, eps)
	loss, grad := lossTwice(t, b, l, logits, target, n, k)
	assertClose(t, "smoothed loss", []float32{loss}, []float64{want}, 1e-6, 1e-5)
	// Central differences of a float64 function with h = 1e-5 are good to
	// about 1e-10; the float32 gradient to a few ulps of 1/N.
	assertClose(t, "smoothed grad", grad, wantGrad, 1e-7, 1e-5)
	if got, want := l.String(), "SoftmaxCrossEntropy(label smoothing 0.15)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}

	// PyTorch 1.13: F.cross_entropy(x, tensor([2, 0]), label_smoothing=0.2)
	// in float64 and x.grad after backward().
	loss, grad = lossTwice(t, b, nn.NewLabelSmoothingCrossEntropy(b, 0.2),
		[]float32{1, -2, 0.5, 0.25, 3, -1}, nn.OneHot([]int{2, 0}, 3), 2, 3)
	assertClose(t, "PyTorch smoothed loss", []float32{loss}, []float64{1.9334832185398583}, 1e-6, 1e-6)
	assertClose(t, "PyTorch smoothed grad", grad, []float64{0.2685411147409796, -0.018303889548546323, -0.25023722519243324,
		-0.40379845453707824, 0.42866990342060013, -0.024871448883521927}, 1e-7, 1e-6)

	// ε = 0 is the plain loss, bit for bit.
	plain, plainGrad := lossTwice(t, b, nn.NewSoftmaxCrossEntropy(b), logits, target, n, k)
	zero, zeroGrad := lossTwice(t, b, nn.NewLabelSmoothingCrossEntropy(b, 0), logits, target, n, k)
	if plain != zero || !slices.Equal(plainGrad, zeroGrad) {
		t.Error("NewLabelSmoothingCrossEntropy(b, 0) differs from no smoothing")
	}
	for _, bad := range []float32{-0.1, 1.5, float32(math.NaN())} {
		mustPanic(t, "ε must be in [0, 1]", func() { nn.NewLabelSmoothingCrossEntropy(b, bad) })
	}
}

func TestMSE(t *testing.T) {
	const n, k = 3, 5
	rng := rand.New(rand.NewSource(22))
	pred := randSlice(rng, n*k, -2, 2)
	target := randSlice(rng, n*k, -2, 2)
	want, wantGrad := 0.0, make([]float64, n*k)
	for i := range pred {
		d := float64(pred[i]) - float64(target[i])
		want += d * d / (n * k)
		wantGrad[i] = 2 * d / (n * k)
	}
	b := newCPU(t)
	loss, grad := lossTwice(t, b, nn.NewMSE(b), pred, target, n, k)
	assertClose(t, "MSE loss", []float32{loss}, []float64{want}, 1e-6, 1e-5)
	assertClose(t, "MSE grad", grad, wantGrad, 1e-7, 1e-5)
}

func TestLossShapes(t *testing.T) {
	b := newCPU(t)
	for _, l := range []nn.Loss{nn.NewSoftmaxCrossEntropy(b), nn.NewMSE(b), nn.NewMAE(b), nn.NewBCEWithLogits(b)} {
		mustPanic(t, "prediction shape [2 3], target shape [2 4]", func() { l.Loss(b.Alloc(2, 3), b.Alloc(2, 4)) })
		// A batch size seen before with another width gets new buffers.
		for _, k := range []int{3, 5} {
			p := upload(b, randSlice(rand.New(rand.NewSource(int64(k))), 2*k, -1, 1), 2, k)
			_, g := l.Loss(p, p)
			if want := []int{2, k}; !g.Shape().Equal(want) {
				t.Fatalf("%v: gradient shape %v, want %v", l, g.Shape(), want)
			}
		}
	}
}

func TestMAE(t *testing.T) {
	const n, k = 4, 3
	rng := rand.New(rand.NewSource(23))
	pred := randSlice(rng, n*k, -2, 2)
	target := randSlice(rng, n*k, -2, 2)
	target[5] = pred[5] // equal: gradient 0
	want, wantGrad := 0.0, make([]float64, n*k)
	for i := range pred {
		d := float64(pred[i]) - float64(target[i])
		want += math.Abs(d) / (n * k)
		if d != 0 {
			wantGrad[i] = math.Copysign(1, d) / (n * k)
		}
	}
	b := newCPU(t)
	loss, grad := lossTwice(t, b, nn.NewMAE(b), pred, target, n, k)
	assertClose(t, "MAE loss", []float32{loss}, []float64{want}, 1e-6, 1e-5)
	assertClose(t, "MAE grad", grad, wantGrad, 0, 1e-6)
}

func TestBCEWithLogits(t *testing.T) {
	const n, k = 4, 2
	logits := []float32{-3, 0.5, 2, -0.25, 100, -100, 0, 7}
	target := []float32{0, 1, 1, 0.3, 0, 1, 0.5, 1}
	want, wantGrad := 0.0, make([]float64, n*k)
	for i, z32 := range logits {
		z, y := float64(z32), float64(target[i])
		p := 1 / (1 + math.Exp(-z))
		// −y·log p − (1−y)·log(1−p) with log(1−p) = log σ(−z), written
		// without overflow for |z| = 100.
		logP, log1mP := -math.Log1p(math.Exp(-z)), -math.Log1p(math.Exp(z))
		want += (-y*logP - (1-y)*log1mP) / (n * k)
		wantGrad[i] = (p - y) / (n * k)
	}
	b := newCPU(t)
	loss, grad := lossTwice(t, b, nn.NewBCEWithLogits(b), logits, target, n, k)
	assertClose(t, "BCEWithLogits loss", []float32{loss}, []float64{want}, 1e-6, 1e-5)
	assertClose(t, "BCEWithLogits grad", grad, wantGrad, 1e-8, 1e-5)
}
