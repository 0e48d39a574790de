package nn_test

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// languageModel returns the model of cmd/charlm at small sizes:
// Embedding(vocab, 4) → GRU or LSTM 5 (every step) → TimeDense(vocab) over
// windows of steps tokens, with embedding e (a new one when nil).
func languageModel(t *testing.T, b backend.Backend, cell string, vocab, steps int, e nn.Layer, seed int64) *nn.Sequential {
	t.Helper()
	if e == nil {
		e = &nn.Embedding{Vocab: vocab, Dim: 4}
	}
	var rec nn.Layer = &nn.GRU{Hidden: 5, Sequence: true}
	if cell == "lstm" {
		rec = &nn.LSTM{Hidden: 5, Sequence: true}
	}
	m, err := nn.NewSequential(b, []int{steps}, seed, e, rec, &nn.TimeDense{Units: vocab})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// nextTokens returns n windows of steps tokens drawn from [0, vocab), and
// as targets the one-hot encoding of each token's successor (a language
// model's per-step cross-entropy targets), the windows overlapping one
// random text.
func nextTokens(rng *rand.Rand, n, steps, vocab int) ([]int32, []float32) {
	text := make([]int, n*steps+1)
	for i := range text {
		text[i] = rng.Intn(vocab)
	}
	x := make([]int32, n*steps)
	next := make([]int, n*steps)
	for i := range x {
		x[i], next[i] = int32(text[i]), text[i+1]
	}
	return x, nn.OneHot(next, vocab)
}

// TestGradCheckTokens checks the parameter gradients of language models
// fed int32 tokens (Embedding → GRU or LSTM → TimeDense, per-step
// cross-entropy) by central differences, and that the check leaves the
// parameters as they were.
func TestGradCheckTokens(t *testing.T) {
	for i, cell := range []string{"gru", "lstm"} {
		t.Run(cell, func(t *testing.T) {
			b := newCPU(t)
			const vocab, steps, n = 7, 5, 3
			m := languageModel(t, b, cell, vocab, steps, nil, int64(50+i))
			for _, p := range m.Params() {
				b.Fill(p.Grad, float32(math.NaN())) // Backward must overwrite every element
			}
			before := make([][]float32, 0, len(m.Params()))
			for _, p := range m.Params() {
				before = append(before, download(b, p.Value))
			}
			x, y := nextTokens(rand.New(rand.NewSource(int64(60+i))), n, steps, vocab)
			res, err := nn.GradCheckTokens(m, nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b)), x, y, 3e-2)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(m.Params()) {
				t.Fatalf("%d results for %d parameters, want one per parameter", len(res), len(m.Params()))
			}
			for j, r := range res {
				t.Logf("%-16s RelDiff %.2e  MaxAbsDiff %.2e", r.Name, r.RelDiff, r.MaxAbsDiff)
				if want := m.Params()[j].Name; r.Name != want {
					t.Errorf("result %d is for %q, want %q", j, r.Name, want)
				}
				if !(r.RelDiff < 1e-3) {
					t.Errorf("%s: RelDiff %g, want below 1e-3", r.Name, r.RelDiff)
				}
				if !slices.Equal(download(b, m.Params()[j].Value), before[j]) {
					t.Errorf("%s changed by GradCheckTokens", r.Name)
				}
			}
		})
	}
}

// scatterEmbedding is an Embedding whose weight gradient is wrong in the
// way a scatter in place of a scatter-add is: a token used more than once
// gets only the gradient of its last use.
type scatterEmbedding struct {
	nn.Embedding
	b backend.Backend
	x backend.Tensor
}

func (e *scatterEmbedding) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	e.b = b
	return e.Embedding.Build(b, in, rng)
}

func (e *scatterEmbedding) Forward(x backend.Tensor, train bool) backend.Tensor {
	e.x = x
	return e.Embedding.Forward(x, train)
}

func (e *scatterEmbedding) Backward(dy backend.Tensor) backend.Tensor {
	e.BackwardParams(dy)
	return nil
}

func (e *scatterEmbedding) BackwardParams(dy backend.Tensor) {
	tokens := make([]int32, e.x.Shape().Len())
	backend.DownloadInt32(e.b, tokens, e.x)
	d := download(e.b, dy)
	grad := make([]float32, e.Vocab*e.Dim)
	for i, tok := range tokens {
		copy(grad[int(tok)*e.Dim:(int(tok)+1)*e.Dim], d[i*e.Dim:(i+1)*e.Dim])
	}
	e.b.Upload(e.Params()[0].Grad, grad)
}

// TestGradCheckTokensDetects checks that GradCheckTokens, and
// GradCheckTokensSample on 6 elements per tensor, flag the embedding
// weight of a model whose Embedding overwrites instead of adding the
// gradients of a repeated token, and only it.
func TestGradCheckTokensDetects(t *testing.T) {
	check := map[string]func(m *nn.Sequential, loss nn.Loss, x []int32, y []float32) ([]nn.GradCheckResult, error){
		"GradCheckTokens": func(m *nn.Sequential, loss nn.Loss, x []int32, y []float32) ([]nn.GradCheckResult, error) {
			return nn.GradCheckTokens(m, loss, x, y, 0)
		},
		"GradCheckTokensSample": func(m *nn.Sequential, loss nn.Loss, x []int32, y []float32) ([]nn.GradCheckResult, error) {
			return nn.GradCheckTokensSample(m, loss, x, y, 0, 6, 1)
		},
	}
	for name, gradCheck := range check {
		for _, cell := range []string{"gru", "lstm"} {
			t.Run(fmt.Sprintf("%s/%s", name, cell), func(t *testing.T) {
				b := newCPU(t)
				const vocab, steps, n = 4, 5, 3 // 15 tokens of 4: repeats
				m := languageModel(t, b, cell, vocab, steps, &scatterEmbedding{Embedding: nn.Embedding{Vocab: vocab, Dim: 4}}, 7)
				x, y := nextTokens(rand.New(rand.NewSource(8)), n, steps, vocab)
				res, err := gradCheck(m, nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b)), x, y)
				if err != nil {
					t.Fatal(err)
				}
				var bad []string
				for _, r := range res {
					t.Logf("%-16s RelDiff %.2e", r.Name, r.RelDiff)
					if r.RelDiff > 3e-2 {
						bad = append(bad, r.Name)
					}
				}
				if !slices.Equal(bad, []string{"0.weight"}) {
					t.Errorf("RelDiff above 3e-2 for %v, want exactly [0.weight]", bad)
				}
			})
		}
	}
}

// TestGradCheckTokensSampleAll checks that GradCheckTokensSample with k at
// least every tensor's size gives exactly GradCheckTokens' results, and
// that it rejects k < 1.
func TestGradCheckTokensSampleAll(t *testing.T) {
	b := newCPU(t)
	m := languageModel(t, b, "gru", 3, 2, nil, 1)
	x, y := nextTokens(rand.New(rand.NewSource(2)), 2, 2, 3)
	loss := nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b))
	all, err := nn.GradCheckTokens(m, loss, x, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	sampled, err := nn.GradCheckTokensSample(m, loss, x, y, 0, 75, 3) // the largest tensor, GRU weight_hh_l0, has 15×5
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all, sampled) {
		t.Errorf("GradCheckTokensSample(k = 75) = %v, GradCheckTokens = %v: want equal", sampled, all)
	}
	if _, err := nn.GradCheckTokensSample(m, loss, x, y, 0, 0, 3); err == nil || !strings.Contains(err.Error(), "GradCheckTokensSample: k = 0") {
		t.Errorf("GradCheckTokensSample(k = 0): error %v, want one naming k = 0", err)
	}
}

func TestGradCheckTokensErrors(t *testing.T) {
	b := newCPU(t)
	m := languageModel(t, b, "gru", 3, 2, nil, 1)
	loss := nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b))
	y := make([]float32, 2*2*3)
	for _, c := range []struct {
		x    []int32
		y    []float32
		eps  float64
		want string
	}{
		{[]int32{0, 1, 2, 0}, y, -1, "GradCheckTokens: eps = -1"},
		{[]int32{0, 1, 2}, y, 0, "3 tokens are not a whole number of samples"},
		{nil, nil, 0, "0 tokens"},
		{[]int32{0, 1, 2, 0}, y[:6], 0, "6 target values for 2 samples"},
		{[]int32{0, 1, -1, 0}, y, 0, "token 2 is -1"},
		{[]int32{0, 1, 3, 0}, y, 0, "refuses the batch"}, // outside [0, Vocab)
	} {
		_, err := nn.GradCheckTokens(m, loss, c.x, c.y, c.eps)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("GradCheckTokens(%v, %d targets, eps %g): error %v, want one mentioning %q", c.x, len(c.y), c.eps, err, c.want)
		}
	}
	// Floats to an Embedding, tokens to a Dense.
	if _, err := nn.GradCheck(m, loss, []float32{0, 1, 2, 0}, y, 0); err == nil || !strings.Contains(err.Error(), "want int32 token indices") {
		t.Errorf("GradCheck of a model fed tokens: error %v, want one naming int32 token indices", err)
	}
	dense, err := nn.NewSequential(b, []int{2}, 1, &nn.Dense{Units: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nn.GradCheckTokens(dense, nn.NewMSE(b), []int32{0, 1}, y[:3], 0); err == nil || !strings.Contains(err.Error(), "refuses the batch") {
		t.Errorf("GradCheckTokens of a model fed floats: error %v, want one saying the model refuses the batch", err)
	}
	host := &hostOnly{b}
	hm := languageModel(t, host, "gru", 3, 2, nil, 1)
	if _, err := nn.GradCheckTokens(hm, nn.NewPerStep(host, nn.NewSoftmaxCrossEntropy(host)), []int32{0, 1, 2, 0}, y, 0); err == nil || !strings.Contains(err.Error(), "backend.Indexer") {
		t.Errorf("GradCheckTokens on a backend without int32 tensors: error %v, want one naming backend.Indexer", err)
	}
}
