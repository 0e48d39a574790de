package nn_test

import (
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// TestTokenSequences trains Embedding → GRU → TimeDense with a PerStep
// softmax cross-entropy on token sequences whose target at every step is
// the token before it, a task that needs the recurrent state, and checks
// that Fit and Evaluate count accuracy per step and that it is learnt.
func TestTokenSequences(t *testing.T) {
	b := newCPU(t)
	const vocab, steps, n = 5, 8, 512
	rng := rand.New(rand.NewSource(1))
	d := nn.Dataset{XShape: []int{steps}, YShape: []int{steps, vocab}, Tokens: make([]int32, n*steps)}
	labels := make([]int, n*steps)
	for i := range d.Tokens {
		d.Tokens[i] = int32(rng.Intn(vocab))
		if i%steps > 0 {
			labels[i] = int(d.Tokens[i-1])
		}
	}
	d.Y = nn.OneHot(labels, vocab)
	train, val, err := d.Split(0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	if train.Tokens == nil || train.X != nil || len(val.Tokens) != 128*steps {
		t.Fatalf("Split of a token dataset: %d tokens in training, %d in validation, X %v", len(train.Tokens), len(val.Tokens), train.X)
	}
	m, err := nn.NewSequential(b, []int{steps}, 2, &nn.Embedding{Vocab: vocab, Dim: 8}, &nn.GRU{Hidden: 24, Sequence: true}, &nn.TimeDense{Units: vocab})
	if err != nil {
		t.Fatal(err)
	}
	tr := &nn.Trainer{Model: m, Loss: nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b)), Optimizer: nn.NewAdam(b, nn.DefaultAdam(2e-2)), BatchSize: 32}
	stats, err := tr.Fit(train, 12, &val)
	if err != nil {
		t.Fatal(err)
	}
	last := stats[len(stats)-1]
	t.Logf("after %d epochs: train loss %.3f, accuracy per step %.3f; validation %.3f, %.3f", last.Epoch, last.TrainLoss, last.TrainAcc, last.TestLoss, last.TestAcc)
	if !(last.TestAcc > 0.95) {
		t.Errorf("validation accuracy per step %.3f, want above 0.95", last.TestAcc)
	}
	tr.Augment = func([]float32, *rand.Rand) {}
	if _, err := tr.Fit(train, 1, nil); err == nil {
		t.Error("Fit with Augment on tokens: no error")
	}
}

// TestFloatSequences trains an LSTM to tell whether the first feature of
// a [T, F] sequence sums to a positive number, a target per sequence.
func TestFloatSequences(t *testing.T) {
	b := newCPU(t)
	const steps, feats, n = 10, 2, 512
	rng := rand.New(rand.NewSource(3))
	d := nn.Dataset{X: randSlice(rng, n*steps*feats, -1, 1), XShape: []int{steps, feats}, YShape: []int{2}}
	labels := make([]int, n)
	for i := range n {
		s := float32(0)
		for j := range steps {
			s += d.X[(i*steps+j)*feats]
		}
		if s > 0 {
			labels[i] = 1
		}
	}
	d.Y = nn.OneHot(labels, 2)
	m, err := nn.NewSequential(b, d.XShape, 4, &nn.LSTM{Hidden: 16}, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(1e-2)), BatchSize: 32}
	if _, err := tr.Fit(d, 15, nil); err != nil {
		t.Fatal(err)
	}
	_, acc, err := tr.Evaluate(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accuracy %.3f", acc)
	if !(acc > 0.9) {
		t.Errorf("accuracy %.3f, want above 0.9", acc)
	}
}

// TestTokenDataset checks Len, Slice and Check of a dataset of tokens.
func TestTokenDataset(t *testing.T) {
	d := nn.Dataset{Tokens: []int32{0, 1, 2, 3, 4, 5}, XShape: []int{3}}
	if d.Len() != 2 {
		t.Fatalf("Len() = %d, want 2", d.Len())
	}
	if s := d.Slice(1, 2); len(s.Tokens) != 3 || s.Tokens[0] != 3 || s.X != nil {
		t.Errorf("Slice(1, 2) = %+v", s)
	}
	if err := d.Check(false); err != nil {
		t.Error(err)
	}
	bad := nn.Dataset{Tokens: []int32{0, 1, 2, 3}, XShape: []int{3}}
	if err := bad.Check(false); err == nil {
		t.Error("Check of 4 tokens in samples of 3: no error")
	}
	both := nn.Dataset{X: []float32{0, 1, 2}, Tokens: []int32{0, 1, 2}, XShape: []int{3}}
	if err := both.Check(false); err == nil {
		t.Error("Check with X and Tokens both set: no error")
	}
}

// TestPerStepLoss checks that PerStep is the inner loss over the N·T rows
// and returns its gradient shaped like the prediction.
func TestPerStepLoss(t *testing.T) {
	b := newCPU(t)
	rng := rand.New(rand.NewSource(5))
	const n, steps, k = 3, 4, 5
	p, y := randSlice(rng, n*steps*k, -2, 2), nn.OneHot([]int{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}, k)
	ps := nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b))
	l, g := ps.Loss(upload(b, p, n, steps, k), upload(b, y, n, steps, k))
	flat := nn.NewSoftmaxCrossEntropy(b)
	wl, wg := flat.Loss(upload(b, p, n*steps, k), upload(b, y, n*steps, k))
	if !g.Shape().Equal(backend.Shape{n, steps, k}) {
		t.Errorf("gradient shape %v, want [%d %d %d]", g.Shape(), n, steps, k)
	}
	if got, want := download(b, l), download(b, wl); got[0] != want[0] {
		t.Errorf("loss %v, want %v (the loss over [N·T, K])", got[0], want[0])
	}
	got, want := download(b, g), download(b, wg)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("gradient[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if ps.String() != "PerStep(SoftmaxCrossEntropy)" {
		t.Errorf("String() = %q", ps.String())
	}
}
