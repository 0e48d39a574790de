package nn_test

import (
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

// opaque hides the ParamGrader method of the layer it wraps (but not its
// MulAdds), so that a model must call its Backward.
type opaque struct{ nn.Layer }

func (o *opaque) MulAdds() nn.MulAdds { return o.Layer.(nn.MulAdder).MulAdds() }

// mulAddsCase is a layer, its input shape and its multiply-adds per
// sample worked out by hand, alone (layer) and as the only layer of a
// Sequential (model).
type mulAddsCase struct {
	name         string
	in           []int
	tokens       int // the vocabulary of int32 token inputs, 0 for float inputs
	layer        func() nn.Layer
	layerWant    nn.MulAdds
	modelWant    nn.MulAdds
	sameForModel bool // modelWant is layerWant
}

var mulAddsCases = []mulAddsCase{
	// 4 units × 6 inputs ([2 3] flattened) in each product.
	{"Dense", []int{2, 3}, 0, func() nn.Layer { return &nn.Dense{Units: 4} }, nn.MulAdds{Forward: 24, Params: 24, Input: 24}, nn.MulAdds{}, true},
	// Output 4×4 ((7+2−3)/2+1, (7+2−2)/2+1): 3 filters × 2·3·2 weights × 16 positions.
	{"Conv2D", []int{2, 7, 7}, 0, func() nn.Layer { return &nn.Conv2D{Filters: 3, KH: 3, KW: 2, Stride: 2, Pad: 1} },
		nn.MulAdds{Forward: 576, Params: 576, Input: 576}, nn.MulAdds{}, true},
	// 4 steps × 5 units × 3 features.
	{"TimeDense", []int{4, 3}, 0, func() nn.Layer { return &nn.TimeDense{Units: 5} }, nn.MulAdds{Forward: 60, Params: 60, Input: 60}, nn.MulAdds{}, true},
	// T 4, F 3, H 6, one gate: forward 4·6·(3+6), params 4·6·(3+12), input 4·6·3.
	{"RNN", []int{4, 3}, 0, func() nn.Layer { return &nn.RNN{Hidden: 6} }, nn.MulAdds{Forward: 216, Params: 360, Input: 72}, nn.MulAdds{}, true},
	// T 4, F 3, H 5, 3 gates (15 rows): 4·15·8, 4·15·13, 4·15·3.
	{"GRU sequence", []int{4, 3}, 0, func() nn.Layer { return &nn.GRU{Hidden: 5, Sequence: true} },
		nn.MulAdds{Forward: 480, Params: 780, Input: 180}, nn.MulAdds{}, true},
	// 4 gates (20 rows): 4·20·8, 4·20·13, 4·20·3.
	{"LSTM", []int{4, 3}, 0, func() nn.Layer { return &nn.LSTM{Hidden: 5} }, nn.MulAdds{Forward: 640, Params: 1040, Input: 240}, nn.MulAdds{}, true},
	// A lookup and a scatter-add: no products.
	{"Embedding", []int{5}, 7, func() nn.Layer { return &nn.Embedding{Vocab: 7, Dim: 3} }, nn.MulAdds{}, nn.MulAdds{}, true},
	{"LayerNorm", []int{4}, 0, func() nn.Layer { return &nn.LayerNorm{} }, nn.MulAdds{}, nn.MulAdds{}, true},
	// Body: Dense 3→4 (12, its input gradient skipped by BackwardParams)
	// and Dense 4→4 (16, all three); Proj: Dense 3→4 (12, input skipped).
	{"Residual", []int{3}, 0, func() nn.Layer {
		return &nn.Residual{
			Body: []nn.Layer{&nn.Dense{Units: 4}, nn.ReLU(), &nn.Dense{Units: 4}},
			Proj: []nn.Layer{&nn.Dense{Units: 4, NoBias: true}},
		}
	}, nn.MulAdds{Forward: 12 + 16 + 12, Params: 12 + 16 + 16 + 12, Input: 12 + 12}, nn.MulAdds{}, true},
	// The ReLU before the first layer with parameters adds nothing;
	// conv 2 filters × 1·3·3 × 4·4 positions.
	{"Residual identity", []int{1, 4, 4}, 0, func() nn.Layer {
		return &nn.Residual{Body: []nn.Layer{nn.ReLU(), &nn.Conv2D{Filters: 1, KH: 3, KW: 3, Pad: 1}}}
	}, nn.MulAdds{Forward: 144, Params: 144, Input: 144}, nn.MulAdds{}, true},
	// Branch 0: Dense 4→2 (8); branch 1: Dense 4→3 (12, input skipped), Dense
	// 3→2 (6); branch 2 the input itself.
	{"Concat", []int{4}, 0, func() nn.Layer {
		return &nn.Concat{Branches: [][]nn.Layer{{&nn.Dense{Units: 2}}, {&nn.Dense{Units: 3}, nn.Tanh(), &nn.Dense{Units: 2}}, {}}}
	}, nn.MulAdds{Forward: 8 + 12 + 6, Params: 8 + 12 + 6 + 6, Input: 8 + 12}, nn.MulAdds{}, true},
	// Not a ParamGrader: the model's Backward runs its input gradient too.
	{"Dense without BackwardParams", []int{3}, 0, func() nn.Layer { return &opaque{&nn.Dense{Units: 4}} },
		nn.MulAdds{Forward: 12, Params: 12, Input: 12}, nn.MulAdds{Forward: 12, Params: 24}, false},
}

// TestMulAdds checks each layer's MulAdds, and that of a Sequential made
// of it, against the counts worked out by hand; and that an unbuilt layer
// counts zero.
func TestMulAdds(t *testing.T) {
	b := newCPU(t)
	for _, c := range mulAddsCases {
		l := c.layer()
		if got := mulAddsOf(l); got != (nn.MulAdds{}) {
			t.Errorf("%s before Build: %+v, want zero", c.name, got)
		}
		m, err := nn.NewSequential(b, c.in, 1, l)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := mulAddsOf(l); got != c.layerWant {
			t.Errorf("%s: layer MulAdds %+v, want %+v", c.name, got, c.layerWant)
		}
		want := c.modelWant
		if c.sameForModel {
			want = c.layerWant
		}
		if got := m.MulAdds(); got != want {
			t.Errorf("%s: model MulAdds %+v, want %+v", c.name, got, want)
		}
	}
}

// mulAddsOf returns l's MulAdds, zero when it is not a MulAdder.
func mulAddsOf(l nn.Layer) nn.MulAdds {
	if c, ok := l.(nn.MulAdder); ok {
		return c.MulAdds()
	}
	return nn.MulAdds{}
}

// macCPU is the CPU backend counting the multiply-adds of the
// products it is asked for, from the operands' shapes.
type macCPU struct {
	*cpu.Backend
	macs int64
}

// matrixDims returns x's rows and columns read as a matrix.
func matrixDims(x backend.Tensor) (rows, cols int64) {
	s := x.Shape()
	return int64(s[0]), int64(s.Len() / s[0])
}

func (c *macCPU) MatMul(ta, tb bool, alpha float32, a, bm backend.Tensor, beta float32, out backend.Tensor) {
	rows, cols := matrixDims(a)
	k := cols
	if ta {
		k = rows
	}
	c.macs += int64(out.Shape().Len()) * k
	c.Backend.MatMul(ta, tb, alpha, a, bm, beta, out)
}

func (c *macCPU) BatchMatMul(ta, tb bool, alpha float32, a, bm backend.Tensor, beta float32, out backend.Tensor) {
	k := a.Shape()[2]
	if ta {
		k = a.Shape()[1]
	}
	c.macs += int64(out.Shape().Len()) * int64(k)
	c.Backend.BatchMatMul(ta, tb, alpha, a, bm, beta, out)
}

// convMACs returns the multiply-adds of a convolution of geometry g with
// the weight shape w [F, C, KH, KW].
func convMACs(g backend.ConvGeom, w backend.Shape) int64 {
	return int64(g.N) * int64(w.Len()) * int64(g.OutH()*g.OutW())
}

func (c *macCPU) Conv2D(x, w, y backend.Tensor, g backend.ConvGeom) {
	c.macs += convMACs(g, w.Shape())
	c.Backend.Conv2D(x, w, y, g)
}

func (c *macCPU) Conv2DBackwardData(dy, w, dx backend.Tensor, g backend.ConvGeom) {
	c.macs += convMACs(g, w.Shape())
	c.Backend.Conv2DBackwardData(dy, w, dx, g)
}

func (c *macCPU) Conv2DBackwardFilter(x, dy, dw backend.Tensor, g backend.ConvGeom) {
	c.macs += convMACs(g, dw.Shape())
	c.Backend.Conv2DBackwardFilter(x, dy, dw, g)
}

func (c *macCPU) ConvPool(x, w, bias, y, argmax backend.Tensor, cg backend.ConvGeom, pg backend.PoolGeom, relu bool) {
	c.macs += convMACs(cg, w.Shape())
	c.Backend.ConvPool(x, w, bias, y, argmax, cg, pg, relu)
}

func (c *macCPU) ConvAct(x, w, bias, y backend.Tensor, g backend.ConvGeom, relu bool) {
	c.macs += convMACs(g, w.Shape())
	c.Backend.ConvAct(x, w, bias, y, g, relu)
}

func (c *macCPU) ConvPoolBackward(x, w, y, argmax, dy, dx, dw, db backend.Tensor, cg backend.ConvGeom, pg backend.PoolGeom, relu, reluX bool) {
	c.macs += convMACs(cg, w.Shape()) // the filter's gradient
	if dx != nil {
		c.macs += convMACs(cg, w.Shape())
	}
	c.Backend.ConvPoolBackward(x, w, y, argmax, dy, dx, dw, db, cg, pg, relu, reluX)
}

// TestMulAddsMatchBackend runs every case of TestMulAdds, a language model
// and every model of package models on a backend that counts the
// multiply-adds of the products it runs, and checks that Forward does
// Forward, Backward Params and BackwardInput Params + Input per sample as
// MulAdds reports them.
func TestMulAddsMatchBackend(t *testing.T) {
	type modelCase struct {
		name   string
		in     []int
		tokens int
		layers []nn.Layer
	}
	var cases []modelCase
	for _, c := range mulAddsCases {
		cases = append(cases, modelCase{c.name, c.in, c.tokens, []nn.Layer{c.layer()}})
	}
	for _, cell := range []nn.Layer{&nn.GRU{Hidden: 6, Sequence: true}, &nn.LSTM{Hidden: 6, Sequence: true}} {
		cases = append(cases, modelCase{"language model " + cell.String(), []int{5}, 9,
			[]nn.Layer{&nn.Embedding{Vocab: 9, Dim: 4}, cell, &nn.TimeDense{Units: 9}}})
	}
	for _, name := range models.Names() {
		layers, err := models.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, modelCase{name, models.InShape, 0, layers})
	}
	const n = 3
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &macCPU{Backend: cpu.New()}
			defer b.Close()
			m, err := nn.NewSequential(b, c.in, int64(i), c.layers...)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(int64(i)))
			var x backend.Tensor
			if c.tokens > 0 {
				tok := make([]int32, n*shapeLen(c.in))
				for j := range tok {
					tok[j] = int32(rng.Intn(c.tokens))
				}
				x = backend.AllocInt32(b, append([]int{n}, c.in...)...)
				backend.UploadInt32(b, x, tok)
			} else {
				x = upload(b, randSlice(rng, n*shapeLen(c.in), -1, 1), append([]int{n}, c.in...)...)
			}
			dy := upload(b, randSlice(rng, n*shapeLen(m.OutShape()), -1, 1), append([]int{n}, m.OutShape()...)...)
			want := m.MulAdds()
			for _, step := range []struct {
				what string
				run  func()
				want int64
			}{
				{"Forward", func() { m.Forward(x, true) }, want.Forward},
				{"Backward", func() { m.Backward(dy) }, want.Params},
				{"BackwardInput", func() { m.BackwardInput(dy) }, want.Params + want.Input},
			} {
				b.macs = 0
				step.run()
				if b.macs != n*step.want {
					t.Errorf("%s ran %d multiply-adds for %d samples, MulAdds %+v says %d", step.what, b.macs, n, want, n*step.want)
				}
			}
		})
	}
}
