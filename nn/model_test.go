package nn_test

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

func TestSummary(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{1, 28, 28}, 1, models.CNN()...)
	if err != nil {
		t.Fatal(err)
	}
	// 32·1·9+32 + 64·32·9+64 + 9216·128+128 + 128·10+10
	if got, want := m.NumParams(), 320+18496+1179776+1290; got != want || want != 1199882 {
		t.Fatalf("NumParams() = %d, want %d", got, want)
	}
	if got := m.OutShape(); !backend.Shape(got).Equal(backend.Shape{10}) {
		t.Fatalf("OutShape() = %v, want [10]", got)
	}
	s := m.Summary()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	want := [][]string{
		{"#", "Layer", "Output", "Params"},
		{"Input", "[1 28 28]", "-"},
		{"0", "Conv2D(32, 3×3, stride 1, pad 0)", "[32 26 26]", "320"},
		{"1", "ReLU", "[32 26 26]", "0"},
		{"2", "Conv2D(64, 3×3, stride 1, pad 0)", "[64 24 24]", "18,496"},
		{"3", "ReLU", "[64 24 24]", "0"},
		{"4", "MaxPool2D(2×2, stride 2, pad 0)", "[64 12 12]", "0"},
		{"5", "Flatten", "[9216]", "0"},
		{"6", "Dense(128)", "[128]", "1,179,776"},
		{"7", "ReLU", "[128]", "0"},
		{"8", "Dense(10)", "[10]", "1,290"},
		{"Total params: 1,199,882"},
	}
	if len(lines) != len(want) {
		t.Fatalf("Summary has %d lines, want %d:\n%s", len(lines), len(want), s)
	}
	for i, cells := range want {
		line := lines[i]
		for _, c := range cells {
			j := strings.Index(line, c)
			if j < 0 {
				t.Fatalf("Summary line %d lacks %q (or has it out of order):\n%s", i, c, s)
			}
			line = line[j+len(c):]
		}
		if strings.TrimSpace(line) != "" || strings.HasSuffix(lines[i], " ") {
			t.Errorf("Summary line %d has extra text or trailing space: %q", i, lines[i])
		}
	}
	// The shapes and counts are aligned under their headings (counting
	// characters, not bytes: "×" takes two).
	col := func(line string, i int) int { return utf8.RuneCountInString(line[:i]) }
	shapeCol, countCol := col(lines[0], strings.Index(lines[0], "Output")), col(lines[0], strings.Index(lines[0], "Params"))
	for _, line := range lines[1 : len(lines)-1] {
		if col(line, strings.Index(line, "[")) != shapeCol || col(line, strings.LastIndex(line, " ")+1) != countCol {
			t.Errorf("Summary line %q is not aligned with the header %q", line, lines[0])
		}
	}
}

func TestParamNames(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{1, 28, 28}, 1, models.CNN()...)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		shape backend.Shape
	}{
		{"0.weight", backend.Shape{32, 1, 3, 3}}, {"0.bias", backend.Shape{32}},
		{"2.weight", backend.Shape{64, 32, 3, 3}}, {"2.bias", backend.Shape{64}},
		{"6.weight", backend.Shape{128, 9216}}, {"6.bias", backend.Shape{128}},
		{"8.weight", backend.Shape{10, 128}}, {"8.bias", backend.Shape{10}},
	}
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d params, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if p.Name != want[i].name || !p.Value.Shape().Equal(want[i].shape) || !p.Grad.Shape().Equal(want[i].shape) {
			t.Errorf("param %d: %s %v (grad %v), want %s %v", i, p.Name, p.Value.Shape(), p.Grad.Shape(), want[i].name, want[i].shape)
		}
	}
	if in := m.InShape(); !backend.Shape(in).Equal(backend.Shape{1, 28, 28}) {
		t.Errorf("InShape() = %v", in)
	}
	if len(m.Layers()) != 9 || m.Backend() != b {
		t.Errorf("Layers() has %d layers, Backend() %v", len(m.Layers()), m.Backend())
	}
}

// TestBufferNames checks that Sequential.Buffers lists the BatchNorm
// running statistics in layer order with PyTorch's names and shapes, and
// that a model without Stateful layers has none.
func TestBufferNames(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{2, 6, 6}, 1,
		&nn.Conv2D{Filters: 4, KH: 3, KW: 3}, &nn.BatchNorm{}, nn.ReLU(), &nn.Flatten{},
		&nn.Dropout{P: 0.5}, &nn.Dense{Units: 5}, &nn.BatchNorm{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		n    int
	}{{"1.running_mean", 4}, {"1.running_var", 4}, {"6.running_mean", 5}, {"6.running_var", 5}}
	bufs := m.Buffers()
	if len(bufs) != len(want) {
		t.Fatalf("%d buffers, want %d", len(bufs), len(want))
	}
	for i, p := range bufs {
		if p.Name != want[i].name || !p.Value.Shape().Equal(backend.Shape{want[i].n}) || p.Grad != nil {
			t.Errorf("buffer %d: %s %v (grad %v), want %s [%d] without grad", i, p.Name, p.Value.Shape(), p.Grad, want[i].name, want[i].n)
		}
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "0.weight 0.bias 1.weight 1.bias 5.weight 5.bias 6.weight 6.bias" {
		t.Errorf("params %s", got)
	}
	plain, err := nn.NewSequential(b, []int{3}, 1, &nn.Dense{Units: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Buffers()) != 0 {
		t.Errorf("a model without BatchNorm has buffers %v", plain.Buffers())
	}
}

func TestNewSequentialErrors(t *testing.T) {
	b := newCPU(t)
	for _, tc := range []struct {
		in     []int
		layers []nn.Layer
		want   string
	}{
		{[]int{0}, []nn.Layer{&nn.Dense{Units: 3}}, "model input: input shape [0] has a dimension below 1"},
		{nil, []nn.Layer{&nn.Dense{Units: 3}}, "model input: empty input shape"},
		{[]int{4}, nil, "no layers"},
		{[]int{4}, []nn.Layer{nn.ReLU(), nil}, "layer 1 is nil"},
		{[]int{4}, []nn.Layer{&nn.Dense{}}, "layer 0 (Dense(0)) on input [4]: Dense(0): Units must be at least 1"},
		{[]int{1, 3, 3}, []nn.Layer{&nn.Conv2D{Filters: 2, KH: 5, KW: 5}},
			"layer 0 (Conv2D(2, 5×5, stride 1, pad 0)) on input [1 3 3]: Conv2D(2, 5×5, stride 1, pad 0): kernel 5×5 does not fit input [1 3 3] padded by 0"},
		{[]int{1, 3, 3}, []nn.Layer{&nn.Conv2D{Filters: 2, KH: 3}}, "kernel size KH, KW must be at least 1"},
		{[]int{1, 3, 3}, []nn.Layer{&nn.Conv2D{Filters: 2, KH: 3, KW: 3, Stride: -1}}, "Stride must not be negative"},
		{[]int{1, 3, 3}, []nn.Layer{&nn.Conv2D{Filters: 2, KH: 3, KW: 3, Pad: -1}}, "Pad must not be negative"},
		{[]int{1, 3, 3}, []nn.Layer{&nn.Conv2D{KH: 3, KW: 3}}, "Filters must be at least 1"},
		{[]int{9}, []nn.Layer{&nn.Conv2D{Filters: 1, KH: 3, KW: 3}}, "layer 0 (Conv2D(1, 3×3, stride 1, pad 0)) on input [9]: Conv2D(1, 3×3, stride 1, pad 0): input shape [9], want [C H W]"},
		{[]int{16}, []nn.Layer{&nn.Dense{Units: 4}, &nn.MaxPool2D{Size: 2}},
			"layer 1 (MaxPool2D(2×2, stride 2, pad 0)) on input [4]: MaxPool2D(2×2, stride 2, pad 0): input shape [4], want [C H W]"},
		{[]int{1, 2, 2}, []nn.Layer{&nn.AvgPool2D{Size: 3}}, "window 3×3 does not fit input [1 2 2] padded by 0"},
		{[]int{1, 4, 4}, []nn.Layer{&nn.MaxPool2D{Size: 2, Pad: 2}}, "Pad must be at least 0 and below Size"},
		{[]int{1, 4, 4}, []nn.Layer{&nn.MaxPool2D{}}, "Size must be at least 1"},
		{[]int{1, 4, 4}, []nn.Layer{&nn.AvgPool2D{Size: 2, Stride: -2}}, "Stride must not be negative"},
		{[]int{4}, []nn.Layer{&nn.Activation{Act: backend.Activation{Kind: 42}}}, "Activation(ActKind(42)): unknown activation kind"},
		{[]int{1, 3, 3}, []nn.Layer{&nn.Conv2D{Filters: 2, KH: 3, KW: 3}, &nn.Flatten{}, &nn.Dense{Units: 2}, &nn.Conv2D{Filters: 1, KH: 1, KW: 1}},
			"layer 3 (Conv2D(1, 1×1, stride 1, pad 0)) on input [2]"},
	} {
		_, err := nn.NewSequential(b, tc.in, 1, tc.layers...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSequential(%v, %v): error %v, want one containing %q", tc.in, tc.layers, err, tc.want)
		}
	}
	if _, err := nn.NewSequential(nil, []int{4}, 1, &nn.Dense{Units: 1}); err == nil {
		t.Error("NewSequential with a nil backend: no error")
	}
}

func TestLayerStrings(t *testing.T) {
	for _, tc := range []struct {
		l    nn.Layer
		want string
	}{
		{&nn.Dense{Units: 10}, "Dense(10)"},
		{&nn.Dense{Units: 10, NoBias: true}, "Dense(10, no bias)"},
		{&nn.Conv2D{Filters: 8, KH: 5, KW: 3, Stride: 2, Pad: 1, NoBias: true}, "Conv2D(8, 5×3, stride 2, pad 1, no bias)"},
		{&nn.MaxPool2D{Size: 3, Stride: 1, Pad: 1}, "MaxPool2D(3×3, stride 1, pad 1)"},
		{&nn.AvgPool2D{Size: 2}, "AvgPool2D(2×2, stride 2, pad 0)"},
		{&nn.Flatten{}, "Flatten"},
		{&nn.Softmax{}, "Softmax"},
		{nn.ReLU(), "ReLU"}, {nn.Sigmoid(), "Sigmoid"}, {nn.Tanh(), "Tanh"}, {nn.Softplus(), "Softplus"},
		{nn.Identity(), "Identity"}, {nn.LeakyReLU(0.01), "LeakyReLU(0.01)"}, {nn.ELU(1), "ELU(1)"},
		{&nn.BatchNorm{}, "BatchNorm"}, {&nn.Dropout{P: 0.25}, "Dropout(0.25)"},
	} {
		if got := tc.l.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// TestInitFromSeed checks that NewSequential initialises weights from
// rand.New(rand.NewSource(seed)) in layer order, with the layer's
// initialiser (HeNormal by default), and biases at zero.
func TestInitFromSeed(t *testing.T) {
	b := newCPU(t)
	const seed = 9
	m, err := nn.NewSequential(b, []int{5}, seed, &nn.Dense{Units: 4}, nn.Tanh(), &nn.Dense{Units: 3, Init: nn.XavierUniform})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(seed))
	w0, w2 := make([]float32, 4*5), make([]float32, 3*4)
	nn.HeNormal.Init(w0, []int{4, 5}, rng)
	nn.XavierUniform.Init(w2, []int{3, 4}, rng)
	ps := m.Params()
	for i, want := range [][]float32{w0, make([]float32, 4), w2, make([]float32, 3)} {
		got := download(b, ps[i].Value)
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("%s[%d] = %v, want %v", ps[i].Name, j, got[j], want[j])
			}
		}
	}
}

// dataGradCounter is a backend that counts input-gradient ops.
type dataGradCounter struct {
	backend.Backend
	convData, matMuls int
}

func (c *dataGradCounter) Conv2DBackwardData(dy, w, dx backend.Tensor, g backend.ConvGeom) {
	c.convData++
	c.Backend.Conv2DBackwardData(dy, w, dx, g)
}

func (c *dataGradCounter) MatMul(transA, transB bool, alpha float32, a, b backend.Tensor, beta float32, out backend.Tensor) {
	c.matMuls++
	c.Backend.MatMul(transA, transB, alpha, a, b, beta, out)
}

// TestBackwardSkipsInputGradient checks that Sequential.Backward leaves out
// the first parameterised layer's input gradient (one Conv2DBackwardData
// fewer than BackwardInput, for a model whose first layer is a Conv2D, and
// one MatMul fewer behind a Flatten), with bit-identical parameter
// gradients.
func TestBackwardSkipsInputGradient(t *testing.T) {
	for _, c := range []struct {
		name   string
		layers func() []nn.Layer
		conv   bool
	}{
		{"conv first", func() []nn.Layer {
			return []nn.Layer{&nn.Conv2D{Filters: 3, KH: 3, KW: 3}, nn.ReLU(), &nn.Conv2D{Filters: 2, KH: 2, KW: 2}, &nn.Flatten{}, &nn.Dense{Units: 4}}
		}, true},
		{"flatten, dense", func() []nn.Layer {
			return []nn.Layer{&nn.Flatten{}, &nn.Dense{Units: 5}, nn.Tanh(), &nn.Dense{Units: 4}}
		}, false},
		{"residual first", func() []nn.Layer {
			return []nn.Layer{
				&nn.Residual{Body: []nn.Layer{&nn.Conv2D{Filters: 1, KH: 3, KW: 3, Pad: 1}, nn.ReLU(), &nn.Conv2D{Filters: 1, KH: 3, KW: 3, Pad: 1}}},
				&nn.Flatten{}, &nn.Dense{Units: 4},
			}
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			counter := &dataGradCounter{Backend: newCPU(t)}
			m, err := nn.NewSequential(counter, []int{1, 6, 6}, 1, c.layers()...)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(4))
			x := upload(counter, randSlice(rng, 2*36, -1, 1), 2, 1, 6, 6)
			dy := upload(counter, randSlice(rng, 2*4, -1, 1), 2, 4)
			grads := func(backward func()) (g [][]float32, convData, matMuls int) {
				m.Forward(x, true)
				counter.convData, counter.matMuls = 0, 0
				backward()
				for _, p := range m.Params() {
					g = append(g, download(counter, p.Grad))
				}
				return g, counter.convData, counter.matMuls
			}
			var dx backend.Tensor
			full, fullConv, fullMM := grads(func() { dx = m.BackwardInput(dy) })
			part, partConv, partMM := grads(func() { m.Backward(dy) })
			if !dx.Shape().Equal(backend.Shape{2, 1, 6, 6}) {
				t.Errorf("BackwardInput returned shape %v, want [2 1 6 6]", dx.Shape())
			}
			for i := range full {
				if !slices.Equal(full[i], part[i]) {
					t.Errorf("%s: Backward's gradient differs from BackwardInput's", m.Params()[i].Name)
				}
			}
			wantConv, wantMM := fullConv, fullMM-1
			if c.conv {
				wantConv, wantMM = fullConv-1, fullMM
			}
			if partConv != wantConv || partMM != wantMM {
				t.Errorf("Backward: %d Conv2DBackwardData and %d MatMul calls, want %d and %d (BackwardInput: %d and %d)",
					partConv, partMM, wantConv, wantMM, fullConv, fullMM)
			}
		})
	}
}
