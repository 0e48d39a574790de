package nn_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// TestEmbedding checks the lookup against the weight's rows and the weight
// gradient, with repeated tokens, against central differences of the loss.
func TestEmbedding(t *testing.T) {
	b := newCPU(t)
	const vocab, dim, n, steps = 7, 3, 4, 5
	emb := &nn.Embedding{Vocab: vocab, Dim: dim}
	m, err := nn.NewSequential(b, []int{steps}, 3, emb, &nn.Flatten{}, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := emb.Params()[0].Value.Shape(); !got.Equal(backend.Shape{vocab, dim}) || m.Params()[0].Name != "0.weight" {
		t.Fatalf("weight %s %v, want 0.weight [%d %d]", m.Params()[0].Name, got, vocab, dim)
	}
	rng := rand.New(rand.NewSource(4))
	tokens := make([]int32, n*steps)
	for i := range tokens {
		tokens[i] = int32(rng.Intn(vocab - 1)) // the last token is never used: its gradient must be 0
	}
	tokens[3] = tokens[0] // a repeat within a sequence
	x := backend.AllocInt32(b, n, steps)
	backend.UploadInt32(b, x, tokens)
	w := download(b, emb.Params()[0].Value)
	y := download(b, emb.Forward(x, false))
	for i, tok := range tokens {
		for d := range dim {
			if y[i*dim+d] != w[int(tok)*dim+d] {
				t.Fatalf("y[%d, %d] = %v, want row %d of the weight: %v", i, d, y[i*dim+d], tok, w[int(tok)*dim+d])
			}
		}
	}

	target := upload(b, randSlice(rng, n*2, -1, 1), n, 2)
	loss := nn.NewMSE(b)
	lossAt := func() float64 {
		l, _ := loss.Loss(m.Forward(x, true), target)
		return float64(download(b, l)[0])
	}
	b.Fill(emb.Params()[0].Grad, float32(math.NaN()))
	_, dy := loss.Loss(m.Forward(x, true), target)
	m.Backward(dy)
	grad := download(b, emb.Params()[0].Grad)
	const h = 1e-2
	for i := range w {
		v := w[i]
		w[i] = v + h
		b.Upload(emb.Params()[0].Value, w)
		plus := lossAt()
		w[i] = v - h
		b.Upload(emb.Params()[0].Value, w)
		minus := lossAt()
		w[i] = v
		fd := (plus - minus) / (2 * h)
		if math.Abs(float64(grad[i])-fd) > 1e-3*(1+math.Abs(fd)) {
			t.Errorf("∂L/∂weight[%d, %d] = %v, central difference %v", i/dim, i%dim, grad[i], fd)
		}
		if i/dim == vocab-1 && grad[i] != 0 {
			t.Errorf("∂L/∂weight of the unused token = %v, want 0", grad[i])
		}
	}
	b.Upload(emb.Params()[0].Value, w)

	mustPanic(t, "want int32", func() { emb.Forward(b.Alloc(n, steps), false) })
}

// TestSequenceStepNoAllocs checks that a training step of a language
// model (Embedding → GRU → TimeDense, PerStep loss, clipping, Adam)
// allocates nothing once the buffers exist.
func TestSequenceStepNoAllocs(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{6}, 1, &nn.Embedding{Vocab: 11, Dim: 4}, &nn.GRU{Hidden: 8, Sequence: true}, &nn.TimeDense{Units: 11})
	if err != nil {
		t.Fatal(err)
	}
	x, labels, target := backend.AllocInt32(b, 5, 6), backend.AllocInt32(b, 5, 6), b.Alloc(5, 6, 11)
	backend.UploadInt32(b, x, make([]int32, 30))
	backend.UploadInt32(b, labels, make([]int32, 30))
	backend.OneHot(b, labels, target)
	loss := nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b))
	opt := nn.NewAdam(b, nn.DefaultAdam(1e-3))
	clip, err := nn.NewGradClipper(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	params := m.Params()
	step := func() {
		_, g := loss.Loss(m.Forward(x, true), target)
		m.Backward(g)
		clip.Clip(params)
		opt.Step(params)
	}
	step()
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Errorf("%v allocations per step, want 0", a)
	}
}

// TestGradClipper checks clip_grad_norm_'s semantics: the total 2-norm of
// all gradients, scaled by MaxNorm/(norm + 1e-6) only when that is below 1.
func TestGradClipper(t *testing.T) {
	b := newCPU(t)
	p := []*nn.Param{
		{Name: "a", Value: b.Alloc(2), Grad: upload(b, []float32{3, 4}, 2)},
		{Name: "b", Value: b.Alloc(1, 1), Grad: upload(b, []float32{12}, 1, 1)},
	}
	c, err := nn.NewGradClipper(b, 20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Free()
	if norm := c.Clip(p); norm != 13 {
		t.Errorf("norm %v, want 13", norm)
	}
	if g := download(b, p[0].Grad); g[0] != 3 || g[1] != 4 {
		t.Errorf("gradient below the maximum changed to %v", g)
	}
	c.MaxNorm = 6.5
	if norm := c.Clip(p); norm != 13 {
		t.Errorf("norm %v, want 13", norm)
	}
	s := 6.5 / (13 + 1e-6)
	assertClose(t, "a's gradient", download(b, p[0].Grad), []float64{3 * s, 4 * s}, 0, 1e-6)
	assertClose(t, "b's gradient", download(b, p[1].Grad), []float64{12 * s}, 0, 1e-6)
	if norm := c.Clip(p); math.Abs(norm-6.5) > 1e-5 {
		t.Errorf("norm after clipping %v, want 6.5", norm)
	}
	if a := testing.AllocsPerRun(5, func() { c.Clip(p) }); a != 0 {
		t.Errorf("Clip: %v allocations per call, want 0", a)
	}
	for _, bad := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if _, err := nn.NewGradClipper(b, bad); err == nil {
			t.Errorf("NewGradClipper(%v): no error", bad)
		}
	}
}
