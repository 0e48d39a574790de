package nn_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
	"github.com/myelin-go/myelin/nn/safetensors"
)

// recurrentLayer returns a new layer of the given kind ("rnn", "gru",
// "lstm").
func recurrentLayer(kind string, hidden int, sequence bool) nn.Layer {
	switch kind {
	case "rnn":
		return &nn.RNN{Hidden: hidden, Sequence: sequence}
	case "gru":
		return &nn.GRU{Hidden: hidden, Sequence: sequence}
	}
	return &nn.LSTM{Hidden: hidden, Sequence: sequence}
}

// TestRecurrentGradCheck checks every recurrent layer, returning the last
// step or the whole sequence, by central differences through a Dense head.
func TestRecurrentGradCheck(t *testing.T) {
	for i, kind := range []string{"rnn", "gru", "lstm"} {
		for _, seq := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/sequence=%v", kind, seq), func(t *testing.T) {
				b := newCPU(t)
				in := []int{4, 3} // T, F
				layers := []nn.Layer{recurrentLayer(kind, 5, seq)}
				if seq {
					layers = append(layers, &nn.Flatten{})
				}
				layers = append(layers, &nn.Dense{Units: 2})
				m, err := nn.NewSequential(b, in, int64(30+i), layers...)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range m.Params() {
					b.Fill(p.Grad, float32(math.NaN())) // Backward must overwrite every element
				}
				rng := rand.New(rand.NewSource(int64(40 + i)))
				const n = 3
				x := randSlice(rng, n*shapeLen(in), -1, 1)
				y := randSlice(rng, n*2, -1, 1)
				res, err := nn.GradCheck(m, nn.NewMSE(b), x, y, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res {
					t.Logf("%-16s RelDiff %.2e  MaxAbsDiff %.2e", r.Name, r.RelDiff, r.MaxAbsDiff)
					if !(r.RelDiff < 1e-3) {
						t.Errorf("%s: RelDiff %g, want below 1e-3", r.Name, r.RelDiff)
					}
				}
			})
		}
	}
}

// TestTimeDenseGradCheck checks TimeDense after a GRU returning its
// sequence, with a PerStep loss, by central differences.
func TestTimeDenseGradCheck(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{4, 3}, 9, &nn.GRU{Hidden: 5, Sequence: true}, &nn.TimeDense{Units: 3})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(10))
	const n = 2
	x := randSlice(rng, n*12, -1, 1)
	y := nn.OneHot([]int{0, 2, 1, 1, 2, 0, 0, 1}, 3)
	res, err := nn.GradCheck(m, nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b)), x, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		t.Logf("%-16s RelDiff %.2e  MaxAbsDiff %.2e", r.Name, r.RelDiff, r.MaxAbsDiff)
		if !(r.RelDiff < 1e-3) {
			t.Errorf("%s: RelDiff %g, want below 1e-3", r.Name, r.RelDiff)
		}
	}
}

// TestReshapeGradCheck checks Reshape in front of a recurrent layer, as
// the row-by-row MNIST models use it, by central differences.
func TestReshapeGradCheck(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{1, 4, 3}, 12, &nn.Reshape{Shape: []int{4, 3}}, &nn.LSTM{Hidden: 3}, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Layers()[0].String(); got != "Reshape(4×3)" {
		t.Errorf("String() = %q", got)
	}
	rng := rand.New(rand.NewSource(13))
	res, err := nn.GradCheck(m, nn.NewSoftmaxCrossEntropy(b), randSlice(rng, 2*12, -1, 1), nn.OneHot([]int{1, 0}, 2), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !(r.RelDiff < 1e-3) {
			t.Errorf("%s: RelDiff %g, want below 1e-3", r.Name, r.RelDiff)
		}
	}
	if _, err := nn.NewSequential(b, []int{1, 4, 3}, 1, &nn.Reshape{Shape: []int{5, 3}}); err == nil {
		t.Error("Reshape of 12 values to [5 3] built, want an error")
	}
}

// TestRecurrentParamNames checks PyTorch's names and shapes.
func TestRecurrentParamNames(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{7, 3}, 1, &nn.LSTM{Hidden: 5, Sequence: true}, &nn.GRU{Hidden: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0.weight_ih_l0 [20 3]", "0.weight_hh_l0 [20 5]", "0.bias_ih_l0 [20]", "0.bias_hh_l0 [20]",
		"1.weight_ih_l0 [12 5]", "1.weight_hh_l0 [12 4]", "1.bias_ih_l0 [12]", "1.bias_hh_l0 [12]",
	}
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d parameters, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if got := fmt.Sprintf("%s %v", p.Name, p.Value.Shape()); got != want[i] {
			t.Errorf("parameter %d: %s, want %s", i, got, want[i])
		}
		v := download(b, p.Value)
		bound := 1 / math.Sqrt(float64(p.Value.Shape()[0]/map[int]int{0: 4, 1: 3}[i/4]))
		for _, x := range v {
			if math.Abs(float64(x)) > bound {
				t.Fatalf("%s holds %v, outside U(−1/√H, 1/√H) = ±%.3f", p.Name, x, bound)
			}
		}
	}
	if got := m.OutShape(); !backend.Shape(got).Equal(backend.Shape{4}) {
		t.Errorf("OutShape %v, want [4]", got)
	}
	if _, err := nn.NewSequential(b, []int{7}, 1, &nn.GRU{Hidden: 4}); err == nil {
		t.Error("GRU on a one-dimensional input built, want an error asking for [T F]")
	}
	if _, err := nn.NewSequential(b, []int{7, 3}, 1, &nn.GRU{}); err == nil {
		t.Error("GRU with Hidden 0 built, want an error")
	}
}

// TestRecurrentNoAllocs checks that a training step of each recurrent
// layer allocates nothing once its buffers exist.
func TestRecurrentNoAllocs(t *testing.T) {
	for _, kind := range []string{"rnn", "gru", "lstm"} {
		for _, seq := range []bool{false, true} {
			b := newCPU(t)
			l := recurrentLayer(kind, 16, seq)
			m, err := nn.NewSequential(b, []int{6, 5}, 1, l)
			if err != nil {
				t.Fatal(err)
			}
			x := upload(b, randSlice(rand.New(rand.NewSource(1)), 8*30, -1, 1), 8, 6, 5)
			dy := b.Alloc(append([]int{8}, m.OutShape()...)...)
			b.Fill(dy, 0.1)
			step := func() {
				m.Forward(x, true)
				m.BackwardInput(dy)
			}
			step()
			if a := testing.AllocsPerRun(5, step); a != 0 {
				t.Errorf("%v: %v allocations per step, want 0", l, a)
			}
		}
	}
}

// TestTorchRecurrent checks RNN, GRU and LSTM against torch.nn.RNN/GRU/LSTM
// (batch_first=True) with the same weights: the output sequence, the input
// gradient, every parameter's gradient and, with a given initial state,
// its gradient, to float32 precision (1e-4 + 1e-4·|want|).
func TestTorchRecurrent(t *testing.T) {
	python := torchPython(t)
	const atol, rtol = 1e-4, 1e-4
	const n, T, F, H = 3, 6, 4, 5
	type tcase struct {
		kind  string
		state bool
	}
	cases := []tcase{{"rnn", false}, {"rnn", true}, {"gru", false}, {"gru", true}, {"lstm", false}, {"lstm", true}}
	b := newCPU(t)
	dir := t.TempDir()
	var jobs []map[string]any
	type run struct {
		m      *nn.Sequential
		l      nn.Layer
		states []backend.Tensor
		x, dy  backend.Tensor
	}
	runs := make([]run, len(cases))
	for i, c := range cases {
		l := recurrentLayer(c.kind, H, true)
		m, err := nn.NewSequential(b, []int{T, F}, int64(i+1), l)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(int64(50 + i)))
		setRandom(b, m, rng)
		x, dy := randSlice(rng, n*T*F, -1, 1), randSlice(rng, n*T*H, -1, 1)
		tensors := map[string]safetensors.Tensor{
			"x":  safetensors.FromFloat32([]int{n, T, F}, x),
			"dy": safetensors.FromFloat32([]int{n, T, H}, dy),
		}
		for _, p := range m.Params() {
			tensors[p.Name[2:]] = safetensors.FromFloat32(p.Value.Shape(), download(b, p.Value))
		}
		r := run{m: m, l: l, x: upload(b, x, n, T, F), dy: upload(b, dy, n, T, H)}
		if c.state {
			names := []string{"h0", "c0"}
			if c.kind != "lstm" {
				names = names[:1]
			}
			for _, name := range names {
				v := randSlice(rng, n*H, -1, 1)
				tensors[name] = safetensors.FromFloat32([]int{n, H}, v)
				r.states = append(r.states, upload(b, v, n, H))
			}
		}
		runs[i] = r
		file := filepath.Join(dir, fmt.Sprintf("%d.in.safetensors", i))
		if err := safetensors.WriteFile(file, tensors, nil); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, map[string]any{"kind": c.kind, "in": F, "hidden": H, "file": file,
			"out": filepath.Join(dir, fmt.Sprintf("%d.out.safetensors", i))})
	}
	job, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	jobPath := filepath.Join(dir, "job.json")
	if err := os.WriteFile(jobPath, job, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(python, filepath.Join("testdata", "torch_rnn.py"), jobPath).CombinedOutput(); err != nil {
		t.Fatalf("testdata/torch_rnn.py: %v\n%s", err, out)
	}
	for i, c := range cases {
		r := runs[i]
		name := fmt.Sprintf("%s state=%v", c.kind, c.state)
		switch l := r.l.(type) {
		case *nn.RNN:
			if c.state {
				l.SetState(r.states[0])
			}
		case *nn.GRU:
			if c.state {
				l.SetState(r.states[0])
			}
		case *nn.LSTM:
			if c.state {
				l.SetState(r.states[0], r.states[1])
			}
		}
		y := download(b, r.m.Forward(r.x, true))
		dx := download(b, r.m.BackwardInput(r.dy))
		want, _, err := safetensors.ReadFile(jobs[i]["out"].(string))
		if err != nil {
			t.Fatal(err)
		}
		get := func(k string) []float32 {
			v, err := want[k].Float32()
			if err != nil {
				t.Fatalf("%s: %s: %v", name, k, err)
			}
			return v
		}
		worst := maxDiff(t, name+": y", y, get("y"), atol, rtol)
		worst = max(worst, maxDiff(t, name+": dx", dx, get("dx"), atol, rtol))
		for _, p := range r.m.Params() {
			worst = max(worst, maxDiff(t, name+": ∂L/∂"+p.Name, download(b, p.Grad), get(p.Name[2:]), atol, rtol))
		}
		if c.state {
			var dh0, dc0 backend.Tensor
			switch l := r.l.(type) {
			case *nn.RNN:
				dh0 = l.StateGrad()
			case *nn.GRU:
				dh0 = l.StateGrad()
			case *nn.LSTM:
				dh0, dc0 = l.StateGrad()
				worst = max(worst, maxDiff(t, name+": dc0", download(b, dc0), get("dc0"), atol, rtol))
			}
			worst = max(worst, maxDiff(t, name+": dh0", download(b, dh0), get("dh0"), atol, rtol))
		}
		t.Logf("%s: max |difference| from PyTorch %.3g", name, worst)
	}
}
