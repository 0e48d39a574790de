package nn_test

import (
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
	"github.com/myelin-go/myelin/nn/safetensors"
)

// resNet returns a model on [5] with BatchNorm and Dropout inside
// residual blocks, one with a projection.
func resNet() []nn.Layer {
	return []nn.Layer{
		&nn.Dense{Units: 6},
		&nn.Residual{Body: []nn.Layer{&nn.Dense{Units: 6, NoBias: true}, &nn.BatchNorm{}, nn.Tanh(), &nn.Dropout{P: 0.3}, &nn.Dense{Units: 6}}},
		&nn.Residual{
			Body: []nn.Layer{&nn.Dense{Units: 4}, &nn.Residual{Body: []nn.Layer{&nn.BatchNorm{}, &nn.Dropout{P: 0.2}}}},
			Proj: []nn.Layer{&nn.Dense{Units: 4, NoBias: true}, &nn.BatchNorm{Momentum: 0.3}},
		},
		&nn.Dense{Units: 3},
	}
}

var resNetIn = []int{5}

// names returns the names of ps.
func names(ps []*nn.Param) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name)
	}
	return s
}

// TestContainerNames checks that parameters, buffers and counters inside
// containers, at any depth, are named by their path like PyTorch's
// state_dict keys.
func TestContainerNames(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, resNetIn, 1, resNet()...)
	if err != nil {
		t.Fatal(err)
	}
	wantParams := []string{"0.weight", "0.bias",
		"1.body.0.weight", "1.body.1.weight", "1.body.1.bias", "1.body.4.weight", "1.body.4.bias",
		"2.body.0.weight", "2.body.0.bias", "2.body.1.body.0.weight", "2.body.1.body.0.bias",
		"2.proj.0.weight", "2.proj.1.weight", "2.proj.1.bias",
		"3.weight", "3.bias"}
	if got := names(m.Params()); !slices.Equal(got, wantParams) {
		t.Errorf("Params %v,\nwant %v", got, wantParams)
	}
	wantBufs := []string{"1.body.1.running_mean", "1.body.1.running_var",
		"2.body.1.body.0.running_mean", "2.body.1.body.0.running_var",
		"2.proj.1.running_mean", "2.proj.1.running_var"}
	if got := names(m.Buffers()); !slices.Equal(got, wantBufs) {
		t.Errorf("Buffers %v,\nwant %v", got, wantBufs)
	}
	var counters []string
	for _, c := range m.Counters() {
		counters = append(counters, c.Name)
	}
	wantCounters := []string{"1.body.1.num_batches_tracked", "1.body.3.step", "1.body.3.seed",
		"2.body.1.body.0.num_batches_tracked", "2.body.1.body.1.step", "2.body.1.body.1.seed",
		"2.proj.1.num_batches_tracked"}
	if !slices.Equal(counters, wantCounters) {
		t.Errorf("Counters %v,\nwant %v", counters, wantCounters)
	}
	if got, want := m.Layers()[2].(*nn.Residual).String(), "Residual(2 layers, projection 2)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestLayerUsedTwice checks that a layer value used in two places of a
// model, at any depth, is a build error naming both places.
func TestLayerUsedTwice(t *testing.T) {
	b := newCPU(t)
	d := &nn.Dense{Units: 5}
	inner := &nn.Residual{Body: []nn.Layer{nn.Tanh()}}
	for _, c := range []struct {
		name   string
		layers []nn.Layer
		want   string
	}{
		{"top level", []nn.Layer{d, nn.ReLU(), d}, "at 0 and at 2"},
		{"inside a residual", []nn.Layer{d, &nn.Residual{Body: []nn.Layer{nn.ReLU(), d}}}, "at 0 and at 1.body.1"},
		{"a container twice", []nn.Layer{&nn.Residual{Body: []nn.Layer{inner}, Proj: []nn.Layer{inner}}}, "at 0.body.0 and at 0.proj.0"},
	} {
		_, err := nn.NewSequential(b, []int{5}, 1, c.layers...)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "same") {
			t.Errorf("%s: error %v, want one naming the places (%s)", c.name, err, c.want)
		}
	}
	_, err := nn.NewSequential(b, []int{5}, 1, &nn.Residual{Body: []nn.Layer{nn.ReLU(), nil}})
	if err == nil || !strings.Contains(err.Error(), "layer 0.body.1 is nil") {
		t.Errorf("nil layer in a body: error %v", err)
	}
}

// TestResidualForward checks y = F(x) + x and y = F(x) + P(x) against
// float64 references, with NaN-poisoned outputs, and the shape errors.
func TestResidualForward(t *testing.T) {
	b := newCPU(t)
	rng := rand.New(rand.NewSource(3))
	const n = 3
	dense := func(x, w, bias []float32, in, out int) []float64 {
		y := make([]float64, n*out)
		for i := range n {
			for u := range out {
				s := 0.0
				if bias != nil {
					s = float64(bias[u])
				}
				for k := range in {
					s += float64(x[i*in+k]) * float64(w[u*in+k])
				}
				y[i*out+u] = s
			}
		}
		return y
	}
	m, err := nn.NewSequential(b, []int{4}, 1, &nn.Residual{Body: []nn.Layer{&nn.Dense{Units: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	p := setRandom(b, m, rng)
	x := randSlice(rng, n*4, -1, 1)
	want := dense(x, p[0], p[1], 4, 4)
	for i := range want {
		want[i] += float64(x[i])
	}
	assertClose(t, "identity skip", forwardTwice(b, m, upload(b, x, n, 4)), want, 1e-6, 1e-6)

	m, err = nn.NewSequential(b, []int{4}, 1, &nn.Residual{Body: []nn.Layer{&nn.Dense{Units: 2}}, Proj: []nn.Layer{&nn.Dense{Units: 2, NoBias: true}}})
	if err != nil {
		t.Fatal(err)
	}
	p = setRandom(b, m, rng)
	want = dense(x, p[0], p[1], 4, 2)
	for i, v := range dense(x, p[2], nil, 4, 2) {
		want[i] += v
	}
	assertClose(t, "projection", forwardTwice(b, m, upload(b, x, n, 4)), want, 1e-6, 1e-6)

	for _, c := range []struct {
		layer nn.Layer
		want  string
	}{
		{&nn.Residual{Body: []nn.Layer{&nn.Dense{Units: 3}}}, "add a Proj"},
		{&nn.Residual{Body: []nn.Layer{&nn.Dense{Units: 3}}, Proj: []nn.Layer{&nn.Dense{Units: 2}}}, "Body gives [3] and Proj gives [2]"},
		{&nn.Residual{}, "Body has no layers"},
		{&nn.Residual{Body: []nn.Layer{&nn.Conv2D{Filters: 1, KH: 1, KW: 1}}}, "layer 0 (Residual(1 layers)) on input [4]: layer body.0 (Conv2D"},
	} {
		if _, err := nn.NewSequential(b, []int{4}, 1, c.layer); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.layer, err, c.want)
		}
	}
}

// TestResidualState checks that BatchNorm's num_batches_tracked inside a
// residual block is saved with the weights and loads back, and that a
// training checkpoint of a model with Dropout inside residual blocks
// resumes bit for bit.
func TestResidualState(t *testing.T) {
	b := newCPU(t)
	dir := t.TempDir()
	m, err := nn.NewSequential(b, resNetIn, 1, resNet()...)
	if err != nil {
		t.Fatal(err)
	}
	opt := nn.NewAdam(b, nn.DefaultAdam(1e-2))
	steps := func(m nn.Model, opt nn.Optimizer, from, to int) {
		loss := nn.NewSoftmaxCrossEntropy(b)
		for step := from; step < to; step++ {
			rng := rand.New(rand.NewSource(int64(step)))
			x := upload(b, randSlice(rng, 4*5, -1, 1), 4, 5)
			y := upload(b, targets(rng, "onehot", 4, 3), 4, 3)
			_, g := loss.Loss(m.Forward(x, true), y)
			m.Backward(g)
			opt.Step(m.Params())
		}
	}
	steps(m, opt, 0, 3)
	path := filepath.Join(dir, "w.safetensors")
	if err := nn.SaveWeights(m, path); err != nil {
		t.Fatal(err)
	}
	tensors, _, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"1.body.1.num_batches_tracked", "2.body.1.body.0.num_batches_tracked", "2.proj.1.num_batches_tracked"} {
		v, err := tensors[name].Int64()
		if err != nil || len(v) != 1 || v[0] != 3 {
			t.Errorf("%s in the weights: %v (%v), want 3", name, v, err)
		}
	}
	for name := range tensors {
		if strings.Contains(name, "step") || strings.Contains(name, "seed") {
			t.Errorf("the weights hold the random stream %s", name)
		}
	}
	fresh, err := nn.NewSequential(b, resNetIn, 2, resNet()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.LoadWeights(fresh, path); err != nil {
		t.Fatal(err)
	}
	if bn := fresh.Layers()[2].(*nn.Residual).Body[1].(*nn.Residual).Body[0].(*nn.BatchNorm); bn.Tracked != 3 {
		t.Errorf("Tracked after LoadWeights %d, want 3", bn.Tracked)
	}

	// Straight through 6 steps, and 4 + checkpoint + resume for 2.
	ck := filepath.Join(dir, "c.safetensors")
	if err := nn.SaveCheckpoint(ck, m, opt, nn.Checkpoint{Epoch: 1, LR: opt.LR()}); err != nil {
		t.Fatal(err)
	}
	tensors, _, err = safetensors.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := tensors["rng.2.body.1.body.1.step"].Int64(); err != nil || v[0] != 3 {
		t.Errorf("rng.2.body.1.body.1.step in the checkpoint: %v (%v), want 3", v, err)
	}
	steps(m, opt, 3, 6)
	resumed, err := nn.NewSequential(b, resNetIn, 5, resNet()...)
	if err != nil {
		t.Fatal(err)
	}
	ropt := nn.NewAdam(b, nn.DefaultAdam(1e-2))
	if _, err := nn.LoadCheckpoint(ck, resumed, ropt); err != nil {
		t.Fatal(err)
	}
	steps(resumed, ropt, 3, 6)
	want := stateValues(m)
	for name, v := range stateValues(resumed) {
		sameBits(t, name, v, want[name])
	}
	for i, c := range resumed.Counters() {
		if got, want := c.Get(), m.Counters()[i].Get(); got != want {
			t.Errorf("counter %s = %d after resuming, want %d", c.Name, got, want)
		}
	}
}

// TestConcat checks Concat's output against the branches run alone, the
// names of its parameters, its gradients (GradCheck) and its shape errors.
func TestConcat(t *testing.T) {
	b := newCPU(t)
	if _, ok := b.(backend.Viewer); !ok {
		t.Skip("the CPU backend does not implement backend.Viewer yet")
	}
	in := []int{2, 5, 5}
	branches := func() [][]nn.Layer {
		return [][]nn.Layer{
			{&nn.Conv2D{Filters: 3, KH: 1, KW: 1}},
			{&nn.Conv2D{Filters: 2, KH: 3, KW: 3, Pad: 1, NoBias: true}, &nn.BatchNorm{}, nn.Tanh()},
			{}, // the input itself
		}
	}
	m, err := nn.NewSequential(b, in, 1, &nn.Concat{Branches: branches()}, nn.Tanh(), &nn.Flatten{}, &nn.Dense{Units: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Layers()[0].(*nn.Concat); !slices.Equal(m.OutShape(), []int{3}) || got.String() != "Concat(3 branches)" {
		t.Errorf("OutShape %v, String %q", m.OutShape(), got)
	}
	wantNames := []string{"0.branches.0.0.weight", "0.branches.0.0.bias", "0.branches.1.0.weight",
		"0.branches.1.1.weight", "0.branches.1.1.bias", "3.weight", "3.bias"}
	if got := names(m.Params()); !slices.Equal(got, wantNames) {
		t.Errorf("Params %v, want %v", got, wantNames)
	}
	rng := rand.New(rand.NewSource(8))
	setRandom(b, m, rng)
	const n = 3
	x := randSlice(rng, n*shapeLen(in), -1, 1)
	tx := upload(b, x, append([]int{n}, in...)...)

	// The output against each branch alone, with the same parameters.
	cat := m.Layers()[0].(*nn.Concat)
	y := download(b, cat.Forward(tx, false))
	const ch = 3 + 2 + 2 // the branches' channels, the input's 2 last
	off := 0
	for k, layers := range cat.Branches {
		var part []float32
		if len(layers) == 0 {
			part = x
		} else {
			alone, err := nn.NewSequential(b, in, 1, branches()[k]...)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range alone.Params() {
				b.Copy(p.Value, cat.Params()[countParams(cat.Branches[:k])+i].Value)
			}
			part = download(b, alone.Forward(tx, false))
		}
		w := len(part) / n / 25
		for i := range n {
			for j := range w * 25 {
				if got, want := y[i*ch*25+off*25+j], part[i*w*25+j]; got != want {
					t.Fatalf("branch %d: y[%d] = %v, want %v", k, i*ch*25+off*25+j, got, want)
				}
			}
		}
		off += w
	}

	res, err := nn.GradCheck(m, nn.NewSoftmaxCrossEntropy(b), x, targets(rng, "onehot", n, 3), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		t.Logf("%-24s RelDiff %.2e  MaxAbsDiff %.2e", r.Name, r.RelDiff, r.MaxAbsDiff)
		if !(r.RelDiff < 1e-3) {
			t.Errorf("%s: RelDiff %g, want below 1e-3", r.Name, r.RelDiff)
		}
	}

	for _, c := range []struct {
		layer nn.Layer
		want  string
	}{
		{&nn.Concat{}, "no Branches"},
		{&nn.Concat{Branches: [][]nn.Layer{{&nn.MaxPool2D{Size: 2}}, {}}}, "branch 0 gives [2 2 2] and branch 1 gives [2 5 5]"},
	} {
		if _, err := nn.NewSequential(b, in, 1, c.layer); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.layer, err, c.want)
		}
	}
}

// countParams returns the number of parameter tensors of the layers.
func countParams(branches [][]nn.Layer) int {
	n := 0
	for _, layers := range branches {
		for _, l := range layers {
			n += len(l.Params())
		}
	}
	return n
}

// noise is a user's layer with a random stream of its own (a Counted
// layer outside nn): in training it multiplies x by a random mask drawn
// from a seed and its step count, like Dropout.
type noise struct {
	b          backend.Backend
	in         []int
	step, seed int64
	mask, y    backend.Tensor
	dx         backend.Tensor
	n          int
}

func (l *noise) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	*l = noise{b: b, in: in, seed: rng.Int63()}
	return in, nil
}

func (l *noise) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := nn.CheckInput(l, x, l.in)
	if l.y == nil || l.n != n {
		l.n, l.y, l.mask, l.dx = n, l.b.Alloc(x.Shape()...), l.b.Alloc(x.Shape()...), l.b.Alloc(x.Shape()...)
	}
	l.b.DropoutMask(l.mask, 0.5, uint64(l.seed+l.step))
	l.step++
	l.b.Mul(x, l.mask, l.y)
	return l.y
}

func (l *noise) Backward(dy backend.Tensor) backend.Tensor {
	nn.CheckGrad(l, dy, l.y)
	l.b.Mul(dy, l.mask, l.dx)
	return l.dx
}

func (l *noise) Params() []*nn.Param { return nil }
func (l *noise) String() string      { return "noise" }

func (l *noise) Counters() []nn.Counter {
	return []nn.Counter{
		{Name: "step", Get: func() int64 { return l.step }, Set: func(v int64) { l.step = v }, Stream: true},
		{Name: "seed", Get: func() int64 { return l.seed }, Set: func(v int64) { l.seed = v }, Stream: true},
	}
}

// TestUserCounters checks that the random stream of a user's layer deep
// inside containers is rewound by GradCheck (else every evaluation draws
// another mask and the check fails), saved in training checkpoints and
// not in the weights.
func TestUserCounters(t *testing.T) {
	b := newCPU(t)
	layers := func() []nn.Layer {
		return []nn.Layer{
			&nn.Dense{Units: 6},
			&nn.Residual{Body: []nn.Layer{&nn.Residual{Body: []nn.Layer{nn.Tanh(), &noise{}}}, &nn.Dense{Units: 6}}},
			&nn.Dense{Units: 3},
		}
	}
	m, err := nn.NewSequential(b, []int{4}, 1, layers()...)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(9))
	res, err := nn.GradCheck(m, nn.NewMSE(b), randSlice(rng, 3*4, -1, 1), randSlice(rng, 3*3, -1, 1), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !(r.RelDiff < 1e-3) {
			t.Errorf("%s: RelDiff %g, want below 1e-3", r.Name, r.RelDiff)
		}
	}
	l := m.Layers()[1].(*nn.Residual).Body[0].(*nn.Residual).Body[1].(*noise)
	if l.step != 0 {
		t.Errorf("step %d after GradCheck, want 0 (restored)", l.step)
	}
	l.step = 7
	dir := t.TempDir()
	opt := nn.NewSGD(b, backend.SGD{LR: 0.1})
	if err := nn.SaveCheckpoint(filepath.Join(dir, "c"), m, opt, nn.Checkpoint{LR: 0.1}); err != nil {
		t.Fatal(err)
	}
	if err := nn.SaveWeights(m, filepath.Join(dir, "w")); err != nil {
		t.Fatal(err)
	}
	ck, _, err := safetensors.ReadFile(filepath.Join(dir, "c"))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := ck["rng.1.body.0.body.1.step"].Int64(); err != nil || v[0] != 7 {
		t.Errorf("rng.1.body.0.body.1.step in the checkpoint: %v (%v), want 7", v, err)
	}
	w, _, err := safetensors.ReadFile(filepath.Join(dir, "w"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w["1.body.0.body.1.step"]; ok || len(w) != 6 {
		t.Errorf("the weights hold %d tensors, want the 6 parameters", len(w))
	}
	fresh, err := nn.NewSequential(b, []int{4}, 2, layers()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nn.LoadCheckpoint(filepath.Join(dir, "c"), fresh, nn.NewSGD(b, backend.SGD{LR: 0.1})); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Layers()[1].(*nn.Residual).Body[0].(*nn.Residual).Body[1].(*noise); got.step != 7 || got.seed != l.seed {
		t.Errorf("after LoadCheckpoint: step %d, seed %d; want 7, %d", got.step, got.seed, l.seed)
	}
}

// twins is a container whose children share a name.
type twins struct{ nn.Residual }

func (c *twins) Children() []nn.Child {
	return []nn.Child{{Name: "a", Layer: c.Body[0]}, {Name: "a", Layer: c.Body[1]}}
}

// TestDuplicateNames checks that a container naming two children alike is
// a build error naming the repeated tensor.
func TestDuplicateNames(t *testing.T) {
	b := newCPU(t)
	_, err := nn.NewSequential(b, []int{3}, 1, &twins{nn.Residual{Body: []nn.Layer{&nn.Dense{Units: 3}, &nn.Dense{Units: 3}}}})
	if err == nil || !strings.Contains(err.Error(), `two tensors or counters are named "0.a.weight"`) {
		t.Errorf("error %v", err)
	}
}

// TestFindLRRestoresNestedState checks that FindLR puts back the
// parameters, buffers and counters of layers inside containers.
func TestFindLRRestoresNestedState(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, resNetIn, 1, resNet()...)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(6))
	const n = 40
	data := nn.Dataset{X: randSlice(rng, n*5, -1, 1), XShape: resNetIn, Y: targets(rng, "onehot", n, 3), YShape: []int{3}}
	tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(b), Optimizer: nn.NewAdam(b, nn.DefaultAdam(1e-3)), BatchSize: 8, Seed: 2}
	if _, err := tr.Fit(data, 1, nil); err != nil {
		t.Fatal(err)
	}
	before := stateValues(m)
	counters := func() []int64 {
		var v []int64
		for _, c := range m.Counters() {
			v = append(v, c.Get())
		}
		return v
	}
	beforeCounters := counters()
	if _, err := tr.FindLR(data, nn.LRFinder{Steps: 7}); err != nil {
		t.Fatal(err)
	}
	for name, v := range stateValues(m) {
		sameBits(t, name, v, before[name])
	}
	if got := counters(); !slices.Equal(got, beforeCounters) {
		t.Errorf("counters after FindLR %v, want %v", got, beforeCounters)
	}
}

// TestContainerSummary checks that Summary lists the layers inside
// containers under their paths, indented, with their output shapes.
func TestContainerSummary(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{2, 6, 6}, 1,
		&nn.Residual{
			Body: []nn.Layer{&nn.Conv2D{Filters: 4, KH: 3, KW: 3, Stride: 2, Pad: 1}, nn.ReLU()},
			Proj: []nn.Layer{&nn.Conv2D{Filters: 4, KH: 1, KW: 1, Stride: 2}},
		},
		&nn.Concat{Branches: [][]nn.Layer{{&nn.MaxPool2D{Size: 3, Stride: 1, Pad: 1}}, {}}},
		&nn.GlobalAvgPool2D{})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Summary()
	for _, want := range []string{
		"0         Residual(2 layers, projection 1)  [4 3 3]",
		"0.body.0    Conv2D(4, 3×3, stride 2, pad 1)  [4 3 3]    76",
		"0.body.1    ReLU                            [4 3 3]    0",
		"0.proj.0    Conv2D(4, 1×1, stride 2, pad 0)  [4 3 3]    12",
		"1         Concat(2 branches)                [8 3 3]    0",
		"1.branches.0.0  MaxPool2D(3×3, stride 1, pad 1)  [4 3 3]",
		"2         GlobalAvgPool2D                   [8]        0",
		"Total params: 88",
	} {
		if !strings.Contains(strings.Join(strings.Fields(s), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("Summary lacks %q:\n%s", want, s)
		}
	}
}
