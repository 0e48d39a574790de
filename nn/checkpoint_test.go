package nn_test

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
	"github.com/myelin-go/myelin/nn/safetensors"
)

// bnNet returns a small network with every kind of state: Conv2D,
// BatchNorm after a convolution and after a dense layer, Dropout, pooling.
// Its input is [2, 6, 6].
func bnNet() []nn.Layer {
	return []nn.Layer{
		&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1}, &nn.BatchNorm{}, nn.ReLU(),
		&nn.MaxPool2D{Size: 2},
		&nn.Flatten{},
		&nn.Dense{Units: 8}, &nn.BatchNorm{Momentum: 0.2}, nn.Tanh(),
		&nn.Dropout{P: 0.3},
		&nn.Dense{Units: 4},
	}
}

var bnNetIn = []int{2, 6, 6}

// newNet builds bnNet on b with the given seed.
func newNet(t *testing.T, b backend.Backend, seed int64) *nn.Sequential {
	t.Helper()
	m, err := nn.NewSequential(b, bnNetIn, seed, bnNet()...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// trainSteps runs steps of training on m with opt on batches of 5 drawn
// from rand seed step, so that a run cut in two sees the same batches.
func trainSteps(t *testing.T, m *nn.Sequential, opt nn.Optimizer, from, to int) {
	b := m.Backend()
	loss := nn.NewSoftmaxCrossEntropy(b)
	const n = 5
	x := b.Alloc(append([]int{n}, bnNetIn...)...)
	y := b.Alloc(n, 4)
	for step := from; step < to; step++ {
		rng := rand.New(rand.NewSource(int64(step)))
		b.Upload(x, randSlice(rng, n*shapeLen(bnNetIn), -1, 1))
		target := make([]float32, n*4)
		for i := 0; i < n; i++ {
			target[4*i+rng.Intn(4)] = 1
		}
		b.Upload(y, target)
		_, grad := loss.Loss(m.Forward(x, true), y)
		m.Backward(grad)
		opt.Step(m.Params())
	}
}

// evalOutput returns m's evaluation output on a fixed batch.
func evalOutput(m nn.Model) []float32 {
	b := m.Backend()
	x := upload(b, randSlice(rand.New(rand.NewSource(99)), 3*shapeLen(bnNetIn), -2, 2), append([]int{3}, bnNetIn...)...)
	return download(b, m.Forward(x, false))
}

// stateValues returns every parameter and buffer of m by name.
func stateValues(m nn.Model) map[string][]float32 {
	v := map[string][]float32{}
	for _, p := range append(m.Params(), m.Buffers()...) {
		v[p.Name] = download(m.Backend(), p.Value)
	}
	return v
}

// sameBits fails the test unless got and want hold the same float32 bits.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v (bit for bit)", what, i, got[i], want[i])
		}
	}
}

// onlyFile fails the test unless dir holds exactly the named files.
func onlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("directory holds %v, want %v", got, want)
	}
}

func TestSaveLoadWeights(t *testing.T) {
	b := newCPU(t)
	m := newNet(t, b, 1)
	trainSteps(t, m, nn.NewAdam(b, nn.DefaultAdam(0.01)), 0, 3)
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	if err := nn.SaveWeights(m, path); err != nil {
		t.Fatal(err)
	}
	onlyFiles(t, dir, "w.safetensors")

	// The file holds PyTorch's names, shapes and dtypes.
	tensors, meta, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"0.weight": {3, 2, 3, 3}, "0.bias": {3},
		"1.weight": {3}, "1.bias": {3}, "1.running_mean": {3}, "1.running_var": {3}, "1.num_batches_tracked": {},
		"5.weight": {8, 27}, "5.bias": {8},
		"6.weight": {8}, "6.bias": {8}, "6.running_mean": {8}, "6.running_var": {8}, "6.num_batches_tracked": {},
		"9.weight": {4, 8}, "9.bias": {4},
	}
	if len(tensors) != len(want) || meta["format"] != "pt" {
		t.Fatalf("file holds %d tensors with metadata %v, want %d and format pt", len(tensors), meta, len(want))
	}
	for name, shape := range want {
		f, ok := tensors[name]
		dtype := safetensors.F32
		if strings.HasSuffix(name, "num_batches_tracked") {
			dtype = safetensors.I64
		}
		if !ok || f.DType != dtype || !reflect.DeepEqual(f.Shape, shape) {
			t.Errorf("tensor %q: %s %v (present %v), want %s %v", name, f.DType, f.Shape, ok, dtype, shape)
		}
	}
	if n, _ := tensors["1.num_batches_tracked"].Int64(); len(n) != 1 || n[0] != 3 {
		t.Errorf("1.num_batches_tracked = %v, want [3]", n)
	}

	// A model built with another seed takes every value bit for bit.
	fresh := newNet(t, b, 2)
	if err := nn.LoadWeights(fresh, path); err != nil {
		t.Fatal(err)
	}
	wantVals := stateValues(m)
	for name, v := range stateValues(fresh) {
		sameBits(t, name, v, wantVals[name])
	}
	sameBits(t, "evaluation output", evalOutput(fresh), evalOutput(m))
	if got := fresh.Layers()[6].(*nn.BatchNorm).Tracked; got != 3 {
		t.Errorf("loaded Tracked = %d, want 3", got)
	}
}

func TestLoadWeightsErrors(t *testing.T) {
	b := newCPU(t)
	dir := t.TempDir()
	write := func(name string, tensors map[string]safetensors.Tensor) string {
		path := filepath.Join(dir, name)
		if err := safetensors.WriteFile(path, tensors, nil); err != nil {
			t.Fatal(err)
		}
		return path
	}
	m := newNet(t, b, 1)
	good := filepath.Join(dir, "good.safetensors")
	if err := nn.SaveWeights(m, good); err != nil {
		t.Fatal(err)
	}
	tensors, _, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(map[string]safetensors.Tensor)) map[string]safetensors.Tensor {
		c := map[string]safetensors.Tensor{}
		for k, v := range tensors {
			c[k] = v
		}
		f(c)
		return c
	}
	target := newNet(t, b, 3)
	before := evalOutput(target)
	for _, c := range []struct {
		name  string
		path  string
		wants []string
	}{
		{"missing and unexpected", write("names.safetensors", edit(func(c map[string]safetensors.Tensor) {
			delete(c, "0.bias")
			delete(c, "6.num_batches_tracked")
			c["10.weight"] = c["9.weight"]
		})), []string{"missing 2 tensors: 0.bias, 6.num_batches_tracked", "unexpected 1 tensors: 10.weight"}},
		{"shape", write("shape.safetensors", edit(func(c map[string]safetensors.Tensor) {
			c["5.weight"] = safetensors.FromFloat32([]int{27, 8}, make([]float32, 216))
		})), []string{`tensor "5.weight": shape [27 8] in the file, [8 27] in the model`}},
		{"dtype", write("dtype.safetensors", edit(func(c map[string]safetensors.Tensor) {
			c["0.bias"] = safetensors.Tensor{DType: safetensors.F64, Shape: []int{3}, Data: make([]byte, 24)}
			c["1.num_batches_tracked"] = safetensors.FromFloat32([]int{}, []float32{1})
		})), []string{`tensor "0.bias": dtype F64, want F32`, `tensor "1.num_batches_tracked": dtype F32, want I64`}},
		{"negative count", write("count.safetensors", edit(func(c map[string]safetensors.Tensor) {
			c["1.num_batches_tracked"] = safetensors.FromInt64([]int{}, []int64{-1})
		})), []string{`tensor "1.num_batches_tracked": count -1 is negative`}},
		{"not safetensors", write("empty.safetensors", nil) + "x", []string{"no such file"}},
	} {
		err := nn.LoadWeights(target, c.path)
		for _, want := range c.wants {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, want)
			}
		}
		sameBits(t, c.name+": output after the failed load", evalOutput(target), before)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, []byte("not a safetensors file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := nn.LoadWeights(target, bad); err == nil || !strings.Contains(err.Error(), "header length") {
		t.Errorf("garbage file: error %v, want one about the header length", err)
	}
}

func TestSaveAtomic(t *testing.T) {
	b := newCPU(t)
	m := newNet(t, b, 1)
	dir := t.TempDir()
	// The target is a non-empty directory: the rename fails, and the
	// temporary file goes.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := nn.SaveWeights(m, blocked); err == nil {
		t.Error("SaveWeights over a directory: no error")
	}
	opt := nn.NewAdam(b, nn.DefaultAdam(0.01))
	if err := nn.SaveCheckpoint(blocked, m, opt, nn.Checkpoint{}); err == nil {
		t.Error("SaveCheckpoint over a directory: no error")
	}
	onlyFiles(t, dir, "blocked")
	if err := nn.SaveCheckpoint(filepath.Join(dir, "c"), m, opt, nn.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	onlyFiles(t, dir, "blocked", "c")
}

// TestSaveToDirectory checks that saving weights, a checkpoint or a plot to
// an existing directory (as SaveWeights("/tmp") would) says that the target
// is a directory, and leaves nothing behind.
func TestSaveToDirectory(t *testing.T) {
	b := newCPU(t)
	m := newNet(t, b, 1)
	dir := t.TempDir()
	opt := nn.NewAdam(b, nn.DefaultAdam(0.01))
	for name, err := range map[string]error{
		"SaveWeights":    nn.SaveWeights(m, dir),
		"SaveCheckpoint": nn.SaveCheckpoint(dir, m, opt, nn.Checkpoint{}),
	} {
		if err == nil || !strings.Contains(err.Error(), dir+": it is a directory") {
			t.Errorf("%s(%s): %v, want an error saying that %s is a directory", name, dir, err, dir)
		}
	}
	onlyFiles(t, dir)
}

// optimizers are the optimizers the resume test runs, made fresh by each
// function.
var optimizers = []func(b backend.Backend) nn.Optimizer{
	func(b backend.Backend) nn.Optimizer { return nn.NewAdam(b, nn.DefaultAdam(0.01)) },
	func(b backend.Backend) nn.Optimizer { return nn.NewAdamW(b, 0.01, 0.1) },
	func(b backend.Backend) nn.Optimizer {
		return nn.NewSGD(b, backend.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3})
	},
	func(b backend.Backend) nn.Optimizer { return nn.NewSGD(b, backend.SGD{LR: 0.05}) },
	func(b backend.Backend) nn.Optimizer { return nn.NewRMSprop(b, nn.DefaultRMSprop(0.01)) },
	func(b backend.Backend) nn.Optimizer { return nn.NewAdadelta(b, nn.DefaultAdadelta(1)) },
}

func TestCheckpointResume(t *testing.T) {
	b := newCPU(t)
	const steps, cut = 6, 4
	for _, newOpt := range optimizers {
		// One run straight through.
		m := newNet(t, b, 1)
		opt := newOpt(b)
		trainSteps(t, m, opt, 0, steps)

		// One run stopped after cut steps, saved, and resumed in a model
		// built with another seed and a new optimizer.
		part := newNet(t, b, 1)
		partOpt := newOpt(b)
		trainSteps(t, part, partOpt, 0, cut)
		path := filepath.Join(t.TempDir(), "c.safetensors")
		c := nn.Checkpoint{Epoch: 2, Batch: 7, Seed: -5, LR: 0.0123, Extra: map[string]string{"best": `{"loss": 0.5}`}}
		if err := nn.SaveCheckpoint(path, part, partOpt, c); err != nil {
			t.Fatal(err)
		}
		resumed := newNet(t, b, 2)
		resumedOpt := newOpt(b)
		got, err := nn.LoadCheckpoint(path, resumed, resumedOpt)
		if err != nil {
			t.Fatalf("%v: %v", opt, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("%v: checkpoint %+v, want %+v", opt, got, c)
		}
		if read, err := nn.ReadCheckpoint(path); err != nil || !reflect.DeepEqual(read, c) {
			t.Errorf("%v: ReadCheckpoint: %+v, %v; want %+v", opt, read, err, c)
		}
		if resumedOpt.LR() != c.LR {
			t.Errorf("%v: learning rate %v after loading, want %v", opt, resumedOpt.LR(), c.LR)
		}
		resumedOpt.SetLR(opt.LR())
		trainSteps(t, resumed, resumedOpt, cut, steps)

		want := stateValues(m)
		for name, v := range stateValues(resumed) {
			sameBits(t, opt.String()+": "+name, v, want[name])
		}
		if got := resumed.Layers()[8].(*nn.Dropout).Step; got != steps {
			t.Errorf("%v: Dropout.Step %d, want %d", opt, got, steps)
		}
	}
}

func TestCheckpointErrors(t *testing.T) {
	b := newCPU(t)
	dir := t.TempDir()
	m := newNet(t, b, 1)
	adam := nn.NewAdam(b, nn.DefaultAdam(0.01))
	trainSteps(t, m, adam, 0, 2)
	ckpt := filepath.Join(dir, "c.safetensors")
	if err := nn.SaveCheckpoint(ckpt, m, adam, nn.Checkpoint{Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(dir, "w.safetensors")
	if err := nn.SaveWeights(m, weights); err != nil {
		t.Fatal(err)
	}
	target := newNet(t, b, 2)
	before := evalOutput(target)
	for _, c := range []struct {
		name string
		path string
		opt  nn.Optimizer
		want string
	}{
		{"weights only", weights, nn.NewAdam(b, nn.DefaultAdam(0.01)), `not a training checkpoint: no "myelin.checkpoint"`},
		{"other optimizer", ckpt, nn.NewAdamW(b, 0.01, 0.01), "the file holds the state of Adam(lr 0.01, β₁ 0.9, β₂ 0.999, ε 1e-08), the optimizer is AdamW"},
		{"other optimizer state", ckpt, nn.NewSGD(b, backend.SGD{LR: 0.1, Momentum: 0.9}), "the file holds the state of Adam"},
	} {
		_, err := nn.LoadCheckpoint(c.path, target, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		sameBits(t, c.name+": output after the failed load", evalOutput(target), before)
	}
	// A checkpoint's weights load without its optimizer state.
	if err := nn.LoadWeights(target, ckpt); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "output after LoadWeights of a checkpoint", evalOutput(target), evalOutput(m))
}

// TestCheckpointBadMetadata rewrites a checkpoint's metadata with values no
// training can have written and checks that LoadCheckpoint names each one,
// and that SaveCheckpoint refuses to write them.
func TestCheckpointBadMetadata(t *testing.T) {
	b := newCPU(t)
	dir := t.TempDir()
	m := newNet(t, b, 1)
	adam := nn.NewAdam(b, nn.DefaultAdam(0.01))
	good := filepath.Join(dir, "c.safetensors")
	if err := nn.SaveCheckpoint(good, m, adam, nn.Checkpoint{Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	tensors, meta, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if meta["myelin.lr"] != "0.01" {
		t.Errorf("LR 0 saved as %q, want the optimizer's 0.01", meta["myelin.lr"])
	}
	for _, c := range []struct{ key, value string }{
		{"myelin.lr", "NaN"}, {"myelin.lr", "-0.001"}, {"myelin.lr", "0"}, {"myelin.lr", "+Inf"}, {"myelin.lr", "1e39"},
		{"myelin.epoch", "-1"}, {"myelin.batch", "-3"}, {"myelin.epoch", "1.5"},
	} {
		bad := map[string]string{}
		for k, v := range meta {
			bad[k] = v
		}
		bad[c.key] = c.value
		path := filepath.Join(dir, "bad.safetensors")
		if err := safetensors.WriteFile(path, tensors, bad); err != nil {
			t.Fatal(err)
		}
		_, err := nn.LoadCheckpoint(path, newNet(t, b, 2), nn.NewAdam(b, nn.DefaultAdam(0.01)))
		want := fmt.Sprintf("%s %q is not", c.key, c.value)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s = %s: error %v, want one containing %q", c.key, c.value, err, want)
		}
		if _, err := nn.ReadCheckpoint(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadCheckpoint, %s = %s: error %v, want one containing %q", c.key, c.value, err, want)
		}
	}
	for _, c := range []nn.Checkpoint{{LR: float32(math.NaN())}, {LR: -1}, {LR: float32(math.Inf(1))}, {Epoch: -1}, {Batch: -1}} {
		if err := nn.SaveCheckpoint(filepath.Join(dir, "x"), m, adam, c); err == nil {
			t.Errorf("SaveCheckpoint of %+v: no error", c)
		}
	}
}
