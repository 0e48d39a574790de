package nn_test

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
	"github.com/myelin-go/myelin/nn/safetensors"
)

// torchPython returns a python3 that imports torch: $MYELIN_PYTHON, else
// the first of python3 on the PATH and /usr/bin/python3 that has it (a
// virtual environment on the PATH often lacks the system's torch). It
// skips the test when there is none, unless MYELIN_REQUIRE_TORCH is set
// (as CI sets it), when it fails.
func torchPython(t *testing.T) string {
	t.Helper()
	candidates := []string{"python3", "/usr/bin/python3"}
	if p := os.Getenv("MYELIN_PYTHON"); p != "" {
		candidates = []string{p}
	}
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import torch").Run() == nil {
			return path
		}
	}
	skip := t.Skipf
	if os.Getenv("MYELIN_REQUIRE_TORCH") != "" {
		skip = t.Fatalf
	}
	skip("PyTorch not found (tried %s): install it with apt-get install python3-torch (or pip install torch), or set MYELIN_PYTHON to a python3 that imports torch", strings.Join(candidates, ", "))
	return ""
}

// torchLayers describes m's layers for testdata/torch_interop.py, which
// builds the equivalent torch.nn.Sequential from it.
func torchLayers(t *testing.T, m *nn.Sequential) []map[string]any {
	t.Helper()
	rank := len(m.InShape())
	return torchDescribe(t, m.Layers(), &rank)
}

// torchDescribe describes layers, the per-sample input of the first having
// *rank dimensions; it leaves in *rank that of the last one's output.
func torchDescribe(t *testing.T, layers []nn.Layer, rank *int) []map[string]any {
	t.Helper()
	out := []map[string]any{} // an empty branch is [], not null
	for _, l := range layers {
		var d map[string]any
		switch l := l.(type) {
		case *nn.Conv2D:
			w := l.Params()[0].Value.Shape()
			stride := max(l.Stride, 1)
			d = map[string]any{"type": "conv", "in": w[1], "out": w[0], "kh": l.KH, "kw": l.KW, "stride": stride, "pad": l.Pad, "bias": !l.NoBias}
		case *nn.Dense:
			w := l.Params()[0].Value.Shape()
			d = map[string]any{"type": "linear", "in": w[1], "out": w[0], "bias": !l.NoBias}
			*rank = 1
		case *nn.BatchNorm:
			kind := "bn2d"
			if *rank == 1 {
				kind = "bn1d"
			}
			momentum, eps := l.Momentum, l.Eps
			if momentum == 0 {
				momentum = 0.1
			}
			if eps == 0 {
				eps = 1e-5
			}
			d = map[string]any{"type": kind, "c": l.Params()[0].Value.Shape()[0], "momentum": momentum, "eps": eps}
		case *nn.MaxPool2D:
			stride := l.Stride
			if stride == 0 {
				stride = l.Size
			}
			d = map[string]any{"type": "maxpool", "k": l.Size, "stride": stride, "pad": l.Pad}
		case *nn.Flatten:
			d = map[string]any{"type": "flatten"}
			*rank = 1
		case *nn.Dropout:
			d = map[string]any{"type": "dropout", "p": l.P}
		case *nn.Activation:
			names := map[backend.ActKind]string{backend.ReLU: "relu", backend.Tanh: "tanh", backend.Sigmoid: "sigmoid"}
			name, ok := names[l.Act.Kind]
			if !ok {
				t.Fatalf("no torch equivalent for %v", l)
			}
			d = map[string]any{"type": name}
		case *nn.LayerNorm:
			w := l.Params()[0].Value.Shape()
			eps := l.Eps
			if eps == 0 {
				eps = 1e-5
			}
			d = map[string]any{"type": "layernorm", "shape": []int(w), "eps": eps}
		case *nn.GlobalAvgPool2D:
			d = map[string]any{"type": "gap"}
			*rank = 1
		case *nn.Residual:
			in := *rank
			d = map[string]any{"type": "residual", "body": torchDescribe(t, l.Body, rank)}
			if len(l.Proj) > 0 {
				d["proj"] = torchDescribe(t, l.Proj, &in)
			}
		case *nn.Concat:
			in := *rank
			var branches [][]map[string]any
			for _, br := range l.Branches {
				*rank = in
				branches = append(branches, torchDescribe(t, br, rank))
			}
			d = map[string]any{"type": "concat", "branches": branches}
		default:
			t.Fatalf("no torch equivalent for %v", l)
		}
		out = append(out, d)
	}
	return out
}

// readY returns tensor "y" of the safetensors file at path as float32.
func readY(t *testing.T, path string) ([]float32, []int) {
	t.Helper()
	tensors, _, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	y, err := tensors["y"].Float32()
	if err != nil {
		t.Fatal(err)
	}
	return y, tensors["y"].Shape
}

// maxDiff returns max |got − want| after checking that every element is
// within atol + rtol·|want|.
func maxDiff(t *testing.T, what string, got, want []float32, atol, rtol float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if !(d <= atol+rtol*math.Abs(float64(want[i]))) {
			t.Errorf("%s[%d] = %v, PyTorch %v (atol %g, rtol %g)", what, i, got[i], want[i], atol, rtol)
			return d
		}
		worst = max(worst, d)
	}
	return worst
}

// torchResNet is a residual CNN with batch normalisation inside the
// blocks, a strided projection and a nested block.
func torchResNet() []nn.Layer {
	return []nn.Layer{
		&nn.Conv2D{Filters: 4, KH: 3, KW: 3, Pad: 1, NoBias: true}, &nn.BatchNorm{}, nn.ReLU(),
		&nn.Residual{Body: []nn.Layer{
			&nn.Conv2D{Filters: 4, KH: 3, KW: 3, Pad: 1, NoBias: true}, &nn.BatchNorm{}, nn.ReLU(),
			&nn.Residual{Body: []nn.Layer{&nn.Conv2D{Filters: 4, KH: 3, KW: 3, Pad: 1}}},
		}},
		nn.ReLU(),
		&nn.Residual{
			Body: []nn.Layer{&nn.Conv2D{Filters: 6, KH: 3, KW: 3, Stride: 2, Pad: 1, NoBias: true}, &nn.BatchNorm{Momentum: 0.2}, nn.ReLU(), &nn.Dropout{P: 0.5}},
			Proj: []nn.Layer{&nn.Conv2D{Filters: 6, KH: 1, KW: 1, Stride: 2, NoBias: true}, &nn.BatchNorm{}},
		},
		nn.ReLU(),
		&nn.Flatten{},
		&nn.Dense{Units: 5},
	}
}

// torchConcatNet has an Inception-style Concat (with the input itself as a
// branch), LayerNorm over one, two and three dimensions and global
// average pooling.
func torchConcatNet() []nn.Layer {
	return []nn.Layer{
		&nn.Concat{Branches: [][]nn.Layer{
			{&nn.Conv2D{Filters: 3, KH: 1, KW: 1}},
			{&nn.Conv2D{Filters: 2, KH: 3, KW: 3, Pad: 1, NoBias: true}, &nn.BatchNorm{}, nn.ReLU(), &nn.Conv2D{Filters: 2, KH: 3, KW: 3, Pad: 1}},
			{},
		}},
		&nn.LayerNorm{Dims: 2}, nn.ReLU(),
		&nn.LayerNorm{Dims: 3, Eps: 1e-3},
		&nn.GlobalAvgPool2D{},
		&nn.Dense{Units: 6}, &nn.LayerNorm{}, nn.Tanh(),
		&nn.Dense{Units: 3},
	}
}

// mlpBN is an MLP with batch normalisation and dropout on MNIST-shaped input.
func mlpBN() []nn.Layer {
	return []nn.Layer{
		&nn.Flatten{},
		&nn.Dense{Units: 64}, &nn.BatchNorm{}, nn.ReLU(),
		&nn.Dropout{P: 0.5},
		&nn.Dense{Units: 10},
	}
}

// TestTorchInterop checks that weights saved here load into the equivalent
// torch.nn.Sequential with load_state_dict(strict=True) and give the same
// evaluation outputs, and that a state_dict PyTorch saves loads here with
// LoadWeights and gives PyTorch's outputs. Outputs agree within
// 1e-4 + 1e-4·|y| (float32 sums in different orders).
func TestTorchInterop(t *testing.T) {
	python := torchPython(t)
	const atol, rtol = 1e-4, 1e-4
	b := newCPU(t)
	dir := t.TempDir()
	cases := []struct {
		name   string
		in     []int
		layers func() []nn.Layer
	}{
		{"cnn", models.InShape, models.CNN},
		{"lenet", models.InShape, models.LeNet},
		{"mlp-bn-dropout", models.InShape, mlpBN},
		{"conv-bn", bnNetIn, bnNet},
		{"residual", []int{2, 8, 8}, torchResNet},
		{"residual-mlp", resNetIn, resNet},
		{"concat-layernorm-gap", []int{2, 6, 6}, torchConcatNet},
		{"models.ResNet", models.InShape, models.ResNet},
	}
	var jobs []map[string]any
	built := map[string]*nn.Sequential{}
	inputs := map[string]backend.Tensor{}
	for i, c := range cases {
		m, err := nn.NewSequential(b, c.in, int64(i+1), c.layers()...)
		if err != nil {
			t.Fatal(err)
		}
		built[c.name] = m
		trainBN(b, m, c.in)
		file := func(kind string) string { return filepath.Join(dir, c.name+"."+kind+".safetensors") }
		if err := nn.SaveWeights(m, file("ours")); err != nil {
			t.Fatal(err)
		}
		const n = 4
		x := randSlice(rand.New(rand.NewSource(int64(10+i))), n*shapeLen(c.in), 0, 1)
		shape := append([]int{n}, c.in...)
		inputs[c.name] = upload(b, x, shape...)
		if err := safetensors.WriteFile(file("input"), map[string]safetensors.Tensor{"x": safetensors.FromFloat32(shape, x)}, nil); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, map[string]any{
			"layers": torchLayers(t, m), "seed": i, "input": file("input"),
			"ours": file("ours"), "ours_out": file("ours_out"),
			"theirs": file("theirs"), "theirs_out": file("theirs_out"),
		})
	}
	job, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	jobPath := filepath.Join(dir, "job.json")
	if err := os.WriteFile(jobPath, job, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, err := exec.Command(python, filepath.Join("testdata", "torch_interop.py"), jobPath).CombinedOutput(); err != nil {
		t.Fatalf("testdata/torch_interop.py: %v\n%s", err, out)
	}
	t.Logf("PyTorch side (%s) took %v", python, time.Since(start).Round(time.Millisecond))

	for i, c := range cases {
		m := built[c.name]
		file := func(kind string) string { return filepath.Join(dir, c.name+"."+kind+".safetensors") }
		want, shape := readY(t, file("ours_out"))
		if !backend.Shape(shape).Equal(append([]int{4}, m.OutShape()...)) {
			t.Fatalf("%s: PyTorch output shape %v", c.name, shape)
		}
		ours := maxDiff(t, c.name+": ours in PyTorch", download(b, m.Forward(inputs[c.name], false)), want, atol, rtol)

		fresh, err := nn.NewSequential(b, c.in, int64(100+i), c.layers()...)
		if err != nil {
			t.Fatal(err)
		}
		if err := nn.LoadWeights(fresh, file("theirs")); err != nil {
			t.Fatalf("%s: loading PyTorch's state_dict: %v", c.name, err)
		}
		want, _ = readY(t, file("theirs_out"))
		theirs := maxDiff(t, c.name+": PyTorch's in ours", download(b, fresh.Forward(inputs[c.name], false)), want, atol, rtol)
		for _, k := range fresh.Counters() {
			if !k.Stream && k.Get() != 2 {
				t.Errorf("%s: %s from PyTorch %d, want 2", c.name, k.Name, k.Get())
			}
		}
		t.Logf("%s: max |Δy| ours→PyTorch %.3g, PyTorch→ours %.3g", c.name, ours, theirs)
	}
}

// trainBN sets BatchNorm's and LayerNorm's γ and β to random values and
// runs three training forwards on m so that the running statistics and
// counters move away from their initial values.
func trainBN(b backend.Backend, m *nn.Sequential, in []int) {
	rng := rand.New(rand.NewSource(7))
	var layerNorms func(layers []nn.Layer)
	layerNorms = func(layers []nn.Layer) {
		for _, l := range layers {
			if ln, ok := l.(*nn.LayerNorm); ok {
				for _, p := range ln.Params() {
					b.Upload(p.Value, randSlice(rng, p.Value.Shape().Len(), -0.5, 1.5))
				}
			}
			if c, ok := l.(nn.Container); ok {
				for _, ch := range c.Children() {
					layerNorms([]nn.Layer{ch.Layer})
				}
			}
		}
	}
	layerNorms(m.Layers())
	for _, buf := range m.Buffers() {
		bn, found := strings.CutSuffix(buf.Name, "running_mean")
		for _, p := range m.Params() {
			if found && strings.HasPrefix(p.Name, bn) && !strings.Contains(p.Name[len(bn):], ".") {
				b.Upload(p.Value, randSlice(rng, p.Value.Shape().Len(), -0.5, 1.5))
			}
		}
	}
	x := b.Alloc(append([]int{8}, in...)...)
	for i := 0; i < 3; i++ {
		b.Upload(x, randSlice(rng, 8*shapeLen(in), 0, 1))
		m.Forward(x, true)
	}
}
