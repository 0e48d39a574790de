package nn_test

import (
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// benchCharLM times one training step (forward, loss, backward, clipping,
// Adam) of cmd/charlm's model at its default sizes: Embedding 64 → cell
// 256 → TimeDense to 83 tokens, batch 64 × 100 characters.
func benchCharLM(bm *testing.B, cell nn.Layer) {
	b := newCPU(bm)
	const n, T, V = 64, 100, 83
	m, err := nn.NewSequential(b, []int{T}, 1, &nn.Embedding{Vocab: V, Dim: 64}, cell, &nn.TimeDense{Units: V})
	if err != nil {
		bm.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	tokens, labels := make([]int32, n*T), make([]int32, n*T)
	for i := range tokens {
		tokens[i], labels[i] = int32(rng.Intn(V)), int32(rng.Intn(V))
	}
	x, lab, target := backend.AllocInt32(b, n, T), backend.AllocInt32(b, n, T), b.Alloc(n, T, V)
	backend.UploadInt32(b, x, tokens)
	backend.UploadInt32(b, lab, labels)
	backend.OneHot(b, lab, target)
	loss := nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b))
	opt := nn.NewAdam(b, nn.DefaultAdam(2e-3))
	clip, _ := nn.NewGradClipper(b, 5)
	params := m.Params()
	step := func() {
		_, g := loss.Loss(m.Forward(x, true), target)
		m.Backward(g)
		clip.Clip(params)
		opt.Step(params)
	}
	step()
	bm.ResetTimer()
	for range bm.N {
		step()
	}
	bm.ReportMetric(float64(bm.N*n*T)/bm.Elapsed().Seconds(), "chars/s")
}

func BenchmarkCharLMGRU(b *testing.B)  { benchCharLM(b, &nn.GRU{Hidden: 256, Sequence: true}) }
func BenchmarkCharLMLSTM(b *testing.B) { benchCharLM(b, &nn.LSTM{Hidden: 256, Sequence: true}) }
