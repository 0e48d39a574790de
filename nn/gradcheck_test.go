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

// gradCheckTol is the RelDiff every tensor must stay below in the tests:
// GradCheck's documented boundary between a usual result (kinks included)
// and a suspicious one. The logs show the values actually reached.
const gradCheckTol = 1e-2

// gradCheckCase is a model, a loss and a batch for GradCheck.
type gradCheckCase struct {
	name   string
	in     []int
	n      int
	layers func() []nn.Layer
	loss   func(backend.Backend) nn.Loss
	target string  // "onehot", "binary" or "real"
	eps    float64 // GradCheck's step, 0 for the default
}

// gradCheckCases covers every layer type (Dense, Conv2D with stride and
// padding, MaxPool2D, AvgPool2D, Flatten, every activation, Softmax,
// BatchNorm after Dense and after Conv2D, Dropout) and every loss.
var gradCheckCases = []gradCheckCase{
	{"CNN/SoftmaxCrossEntropy", []int{2, 7, 7}, 3, func() []nn.Layer {
		return []nn.Layer{
			&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1, NoBias: true}, // [3 7 7]; BatchNorm cancels a bias
			&nn.BatchNorm{},
			nn.Tanh(),
			&nn.MaxPool2D{Size: 2}, // [3 3 3]
			&nn.Conv2D{Filters: 4, KH: 3, KW: 2, Stride: 2, Pad: 1}, // [4 2 3]
			nn.ELU(0.7),
			&nn.AvgPool2D{Size: 2, Stride: 1, Pad: 1}, // [4 3 4]
			&nn.Flatten{}, // [48]
			&nn.Dense{Units: 6, NoBias: true},
			&nn.BatchNorm{Momentum: 0.5},
			nn.Sigmoid(),
			&nn.Dropout{P: 0.3},
			&nn.Dense{Units: 3},
		}
	}, nn.NewSoftmaxCrossEntropy, "onehot", 3e-3}, // at the default step, a max-pool kink gives RelDiff 1e-2
	{"MLP ReLU, LeakyReLU/MSE", []int{5}, 4, func() []nn.Layer {
		return []nn.Layer{&nn.Dense{Units: 8}, nn.ReLU(), &nn.Dense{Units: 6}, nn.LeakyReLU(0.2), &nn.Dense{Units: 3}}
	}, nn.NewMSE, "real", 0},
	{"MLP Softplus, Dropout, Identity/MAE", []int{4}, 3, func() []nn.Layer {
		return []nn.Layer{&nn.Dense{Units: 6}, nn.Softplus(), &nn.Dropout{P: 0.5}, &nn.Dense{Units: 4}, nn.Identity()}
	}, nn.NewMAE, "real", 0},
	{"BatchNorm, Tanh/BCEWithLogits", []int{3}, 5, func() []nn.Layer {
		return []nn.Layer{&nn.Dense{Units: 5, NoBias: true}, &nn.BatchNorm{}, nn.Tanh(), &nn.Dense{Units: 2}}
	}, nn.NewBCEWithLogits, "binary", 0},
	{"Residual with Dropout and BatchNorm/SoftmaxCrossEntropy", []int{5}, 4, func() []nn.Layer {
		return []nn.Layer{
			&nn.Dense{Units: 6},
			&nn.Residual{Body: []nn.Layer{&nn.Dense{Units: 6, NoBias: true}, &nn.BatchNorm{}, nn.Tanh(), &nn.Dropout{P: 0.3}, &nn.Dense{Units: 6}}},
			&nn.Residual{
				Body: []nn.Layer{&nn.Dense{Units: 4, NoBias: true}, &nn.BatchNorm{}, nn.Sigmoid(), &nn.Dropout{P: 0.5}},
				Proj: []nn.Layer{&nn.Dense{Units: 4}},
			},
			&nn.Dense{Units: 3},
		}
	}, nn.NewSoftmaxCrossEntropy, "onehot", 0},
	{"Residual conv, strided projection/MSE", []int{2, 6, 6}, 2, func() []nn.Layer {
		return []nn.Layer{
			&nn.Residual{
				Body: []nn.Layer{
					&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Stride: 2, Pad: 1, NoBias: true}, &nn.BatchNorm{}, nn.Tanh(),
					&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1},
				},
				Proj: []nn.Layer{&nn.Conv2D{Filters: 3, KH: 1, KW: 1, Stride: 2}},
			},
			nn.Tanh(),
			&nn.Flatten{},
			&nn.Dense{Units: 3},
		}
	}, nn.NewMSE, "real", 0},
	{"LayerNorm, GlobalAvgPool2D/SoftmaxCrossEntropy", []int{2, 5, 5}, 3, func() []nn.Layer {
		return []nn.Layer{
			&nn.Conv2D{Filters: 3, KH: 3, KW: 3, Pad: 1, NoBias: true}, // LayerNorm cancels a bias
			&nn.LayerNorm{Dims: 2}, // over each channel's 5×5
			nn.Tanh(),
			&nn.LayerNorm{Dims: 3, Eps: 0.1},
			&nn.GlobalAvgPool2D{}, // [3]
			&nn.Dense{Units: 4},
			&nn.LayerNorm{},
			nn.Sigmoid(),
			&nn.Dense{Units: 3},
		}
	}, nn.NewSoftmaxCrossEntropy, "onehot", 0},
	{"Conv, Sigmoid, Softmax, no bias/MSE", []int{1, 5, 5}, 2, func() []nn.Layer {
		return []nn.Layer{
			&nn.Conv2D{Filters: 2, KH: 3, KW: 3, NoBias: true}, // [2 3 3]
			nn.Sigmoid(),
			&nn.Flatten{},
			&nn.Dense{Units: 4, NoBias: true},
			&nn.Softmax{},
		}
	}, nn.NewMSE, "real", 0},
}

// targets returns n targets of k values of the given kind.
func targets(rng *rand.Rand, kind string, n, k int) []float32 {
	switch kind {
	case "onehot":
		labels := make([]int, n)
		for i := range labels {
			labels[i] = rng.Intn(k)
		}
		return nn.OneHot(labels, k)
	case "binary":
		y := make([]float32, n*k)
		for i := range y {
			y[i] = float32(rng.Intn(2))
		}
		return y
	}
	return randSlice(rng, n*k, -1, 1)
}

func TestGradCheck(t *testing.T) {
	for i, c := range gradCheckCases {
		t.Run(c.name, func(t *testing.T) {
			b := newCPU(t)
			m, err := nn.NewSequential(b, c.in, int64(11+i), c.layers()...)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(int64(20 + i)))
			setRandom(b, m, rng) // non-zero biases, γ away from 1
			for _, p := range m.Params() {
				b.Fill(p.Grad, float32(math.NaN())) // Backward must overwrite every element
			}
			x := randSlice(rng, c.n*shapeLen(c.in), -1, 1)
			y := targets(rng, c.target, c.n, shapeLen(m.OutShape()))
			res, err := nn.GradCheck(m, c.loss(b), x, y, c.eps)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(m.Params())+1 {
				t.Fatalf("%d results for %d parameters, want one per parameter and the input", len(res), len(m.Params()))
			}
			for j, r := range res {
				want := "input"
				if j < len(m.Params()) {
					want = m.Params()[j].Name
				}
				t.Logf("%-10s RelDiff %.2e  MaxAbsDiff %.2e", r.Name, r.RelDiff, r.MaxAbsDiff)
				if r.Name != want {
					t.Errorf("result %d is for %q, want %q", j, r.Name, want)
				}
				if !(r.RelDiff < gradCheckTol) {
					t.Errorf("%s: RelDiff %g, want below %g", r.Name, r.RelDiff, gradCheckTol)
				}
			}
		})
	}
}

// brokenDense is a Dense layer whose Backward gets a gradient wrong: the
// weight gradient or the input gradient comes out 10% too large.
type brokenDense struct {
	nn.Dense
	b      backend.Backend
	weight bool // break the weight gradient, else the input gradient
}

func (d *brokenDense) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	d.b = b
	return d.Dense.Build(b, in, rng)
}

func (d *brokenDense) Backward(dy backend.Tensor) backend.Tensor {
	dx := d.Dense.Backward(dy)
	if d.weight {
		d.b.Scale(1.1, d.Params()[0].Grad)
	} else {
		d.b.Scale(1.1, dx)
	}
	return dx
}

// TestGradCheckDetects checks that GradCheck, and GradCheckSample on 6
// elements per tensor, flag a wrong gradient: the broken tensor, and for a
// wrong input gradient every tensor before it.
func TestGradCheckDetects(t *testing.T) {
	check := map[string]func(m *nn.Sequential, loss nn.Loss, x, y []float32) ([]nn.GradCheckResult, error){
		"GradCheck": func(m *nn.Sequential, loss nn.Loss, x, y []float32) ([]nn.GradCheckResult, error) {
			return nn.GradCheck(m, loss, x, y, 0)
		},
		"GradCheckSample": func(m *nn.Sequential, loss nn.Loss, x, y []float32) ([]nn.GradCheckResult, error) {
			return nn.GradCheckSample(m, loss, x, y, 0, 6, 1)
		},
	}
	for name, gradCheck := range check {
		for _, weight := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/weight=%v", name, weight), func(t *testing.T) { testGradCheckDetects(t, weight, gradCheck) })
		}
	}
}

func testGradCheckDetects(t *testing.T, weight bool, gradCheck func(m *nn.Sequential, loss nn.Loss, x, y []float32) ([]nn.GradCheckResult, error)) {
	b := newCPU(t)
	broken := &brokenDense{Dense: nn.Dense{Units: 4}, weight: weight}
	m, err := nn.NewSequential(b, []int{3}, 5, &nn.Dense{Units: 5}, nn.Tanh(), broken, nn.Sigmoid(), &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(6))
	setRandom(b, m, rng)
	res, err := gradCheck(m, nn.NewMSE(b), randSlice(rng, 12, -1, 1), randSlice(rng, 8, -1, 1))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, r := range res {
		t.Logf("broken weight %v: %-9s RelDiff %.2e", weight, r.Name, r.RelDiff)
		if r.RelDiff > 3e-2 {
			bad = append(bad, r.Name)
		}
	}
	want := []string{"2.weight"}
	if !weight {
		want = []string{"0.weight", "0.bias", "input"}
	}
	if !slices.Equal(bad, want) {
		t.Errorf("broken weight %v: RelDiff above 3e-2 for %v, want exactly %v", weight, bad, want)
	}
}

// TestGradCheckSampleAll checks that GradCheckSample with k at least every
// tensor's size gives exactly GradCheck's results, and that it rejects k < 1.
func TestGradCheckSampleAll(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{3}, 5, &nn.Dense{Units: 4}, nn.Tanh(), &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(9))
	x, y := randSlice(rng, 6, -1, 1), randSlice(rng, 4, -1, 1)
	all, err := nn.GradCheck(m, nn.NewMSE(b), x, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	sampled, err := nn.GradCheckSample(m, nn.NewMSE(b), x, y, 0, 12, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all, sampled) {
		t.Errorf("GradCheckSample(k = 12) = %v, GradCheck = %v: want equal", sampled, all)
	}
	if _, err := nn.GradCheckSample(m, nn.NewMSE(b), x, y, 0, 0, 3); err == nil || !strings.Contains(err.Error(), "k = 0") {
		t.Errorf("GradCheckSample(k = 0): error %v, want one naming k = 0", err)
	}
}

// TestGradCheckRestores checks that GradCheck leaves parameters, BatchNorm
// running statistics and Tracked, and Dropout's Step as they were.
func TestGradCheckRestores(t *testing.T) {
	b := newCPU(t)
	bn, drop := &nn.BatchNorm{}, &nn.Dropout{P: 0.5}
	m, err := nn.NewSequential(b, []int{3}, 7, &nn.Dense{Units: 4}, bn, drop, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(8))
	x := upload(b, randSlice(rng, 12, -1, 1), 4, 3)
	m.Forward(x, true) // move the running statistics and Step away from their start
	snapshot := func() [][]float32 {
		var s [][]float32
		for _, p := range append(m.Params(), m.Buffers()...) {
			s = append(s, download(b, p.Value))
		}
		return s
	}
	before, tracked, step := snapshot(), bn.Tracked, drop.Step
	if _, err := nn.GradCheck(m, nn.NewMSE(b), randSlice(rng, 12, -1, 1), randSlice(rng, 8, -1, 1), 0); err != nil {
		t.Fatal(err)
	}
	if bn.Tracked != tracked || drop.Step != step {
		t.Errorf("after GradCheck Tracked = %d, Step = %d, want %d and %d", bn.Tracked, drop.Step, tracked, step)
	}
	for i, v := range snapshot() {
		if !slices.Equal(v, before[i]) {
			t.Errorf("tensor %d changed by GradCheck", i)
		}
	}
}

func TestGradCheckErrors(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{3}, 1, &nn.Dense{Units: 2}, &nn.BatchNorm{})
	if err != nil {
		t.Fatal(err)
	}
	mse := nn.NewMSE(b)
	x6, y4 := make([]float32, 6), make([]float32, 4)
	for _, c := range []struct {
		x, y []float32
		eps  float64
		want string
	}{
		{x6, y4, -1, "eps = -1"},
		{x6, y4, 1, "eps = 1"},
		{make([]float32, 5), y4, 0, "5 input values"},
		{nil, nil, 0, "0 input values"},
		{x6, make([]float32, 3), 0, "3 target values for 2 samples"},
		{x6[:3], y4[:2], 0, "at least 2 values per channel"},
	} {
		_, err := nn.GradCheck(m, mse, c.x, c.y, c.eps)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("GradCheck(%d inputs, %d targets, eps %g): error %v, want one mentioning %q", len(c.x), len(c.y), c.eps, err, c.want)
		}
	}
}

// nanBiasDense is a Dense layer whose Backward leaves NaN in its bias
// gradient, as a layer that forgets to write a gradient leaves what was
// there.
type nanBiasDense struct {
	nn.Dense
	b backend.Backend
}

func (d *nanBiasDense) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	d.b = b
	return d.Dense.Build(b, in, rng)
}

func (d *nanBiasDense) Backward(dy backend.Tensor) backend.Tensor {
	dx := d.Dense.Backward(dy)
	d.b.Fill(d.Params()[1].Grad, float32(math.NaN()))
	return dx
}

// TestGradCheckNaN checks that a gradient holding NaN gives RelDiff NaN,
// which no tolerance accepts, and not 0.
func TestGradCheckNaN(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{3}, 5, &nn.Dense{Units: 4}, nn.Tanh(), &nanBiasDense{Dense: nn.Dense{Units: 2}})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(6))
	res, err := nn.GradCheck(m, nn.NewMSE(b), randSlice(rng, 6, -1, 1), randSlice(rng, 4, -1, 1), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if nan := r.Name == "2.bias"; nan != math.IsNaN(r.RelDiff) || nan != math.IsNaN(r.MaxAbsDiff) {
			t.Errorf("%s: RelDiff %g, MaxAbsDiff %g; want NaN for 2.bias only", r.Name, r.RelDiff, r.MaxAbsDiff)
		}
	}
}
