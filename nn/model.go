package nn

import (
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/myelin-go/myelin/backend"
)

// Model is what Trainer, GradCheck, SaveWeights, LoadWeights, the
// training checkpoints, FindLR and EarlyStopping work with: a trainable
// network on a backend with a fixed per-sample input and output shape.
// Sequential is one; a model of one's own (several inputs, a custom
// training step) implements these methods.
type Model interface {
	// Backend returns the backend the model runs on.
	Backend() backend.Backend
	// InShape and OutShape return the per-sample input and output shapes.
	InShape() []int
	OutShape() []int
	// Forward computes the output [N, OutShape...] for a batch x
	// [N, InShape...]; the output stays valid until the next Forward.
	// train selects training behaviour (Dropout, BatchNorm).
	Forward(x backend.Tensor, train bool) backend.Tensor
	// Backward propagates dy = ∂L/∂y for the output of the last Forward
	// and overwrites every parameter's Grad; it may skip ∂L/∂x.
	Backward(dy backend.Tensor)
	// BackwardInput is Backward that also returns ∂L/∂x.
	BackwardInput(dy backend.Tensor) backend.Tensor
	// Params returns the trainable parameters with unique names, in a
	// fixed order (the order of optimizer state and gradient checks).
	Params() []*Param
	// Buffers returns the non-trainable tensors checkpoints save
	// (BatchNorm's running statistics), with unique names.
	Buffers() []*Param
	// Counters returns the integer state of every layer (BatchNorm's
	// num_batches_tracked, Dropout's random stream), with unique names.
	Counters() []Counter
}

// Sequential is a model made of layers applied one after another. The
// layers may be containers (Residual, Concat) holding more layers, to any
// depth.
type Sequential struct {
	b        backend.Backend
	in       []int
	chain    chain
	params   []*Param
	bufs     []*Param  // buffers of the Stateful layers
	counters []Counter // counters of the Counted layers at any depth
}

// NewSequential builds the layers in order for per-sample input shape in
// on b, initialising parameters (and Dropout's mask seeds) from
// rand.New(rand.NewSource(seed)), and names the parameters, buffers and
// counters as PyTorch names the state_dict of the equivalent
// torch.nn.Sequential: "<layer index>.weight", "<layer index>.bias",
// "<layer index>.running_mean", and for a layer inside a container the
// path to it ("3.body.0.weight"). It returns an error when a layer value
// appears twice in the model (at any depth), naming both places, and
// when a layer does not fit the shape it receives, naming the layer's
// index, its String() and the shapes.
func NewSequential(b backend.Backend, in []int, seed int64, layers ...Layer) (*Sequential, error) {
	if b == nil {
		return nil, errors.New("nn: NewSequential: nil backend")
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("nn: NewSequential: model input: %w", err)
	}
	if len(layers) == 0 {
		return nil, errors.New("nn: NewSequential: no layers")
	}
	if err := checkTree(layers); err != nil {
		return nil, fmt.Errorf("nn: NewSequential: %w", err)
	}
	m := &Sequential{b: b, in: append([]int(nil), in...), chain: chain{layers: append([]Layer(nil), layers...)}}
	if _, err := m.chain.build(b, m.in, rand.New(rand.NewSource(seed)), ""); err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	for i, l := range m.chain.layers {
		m.counters = append(m.counters, nameTree(strconv.Itoa(i), l)...)
	}
	m.params, m.bufs = m.chain.params(), m.chain.buffers()
	seen := map[string]bool{}
	for _, name := range stateNames(m) {
		if seen[name] {
			return nil, fmt.Errorf("nn: NewSequential: two tensors or counters are named %q: a container's Children, or a layer's Params, Buffers and Counters, repeat a name", name)
		}
		seen[name] = true
	}
	return m, nil
}

// stateNames returns the names of m's parameters, buffers and counters.
func stateNames(m Model) []string {
	var names []string
	for _, p := range append(m.Params(), m.Buffers()...) {
		names = append(names, p.Name)
	}
	for _, c := range m.Counters() {
		names = append(names, c.Name)
	}
	return names
}

// Backend returns the backend the model was built on.
func (m *Sequential) Backend() backend.Backend { return m.b }

// InShape returns the per-sample input shape (a copy).
func (m *Sequential) InShape() []int { return append([]int(nil), m.in...) }

// OutShape returns the per-sample output shape (a copy).
func (m *Sequential) OutShape() []int {
	return append([]int(nil), m.chain.shapes[len(m.chain.shapes)-1]...)
}

// Layers returns the top-level layers in order.
func (m *Sequential) Layers() []Layer { return append([]Layer(nil), m.chain.layers...) }

// Params returns every layer's parameters, in layer order (depth first
// inside containers).
func (m *Sequential) Params() []*Param { return append([]*Param(nil), m.params...) }

// Buffers returns every Stateful layer's buffers (BatchNorm's running
// statistics), in layer order, named like Params.
func (m *Sequential) Buffers() []*Param { return append([]*Param(nil), m.bufs...) }

// Counters returns the counters of every Counted layer at any depth
// (BatchNorm's "num_batches_tracked", Dropout's "step" and "seed"), in
// layer order, named like Params.
func (m *Sequential) Counters() []Counter { return append([]Counter(nil), m.counters...) }

// Forward runs the layers on a batch x [N, InShape...] and returns the
// output [N, OutShape...], which belongs to the last layer and stays valid
// until the next Forward. train selects training behaviour. It panics when
// x has another shape.
func (m *Sequential) Forward(x backend.Tensor, train bool) backend.Tensor {
	s := x.Shape()
	if len(s) != len(m.in)+1 || !backend.Shape(s[1:]).Equal(m.in) {
		panic(fmt.Sprintf("nn: Sequential.Forward: input shape %v, want [N %s]", s, dims(m.in)))
	}
	return m.chain.forward(x, train)
}

// Backward propagates dy = ∂L/∂y for the output of the last Forward back
// through the layers, overwriting every parameter's Grad. It stops at the
// first layer with parameters and, where that layer can (a ParamGrader:
// Dense, Conv2D, and containers whose inner layers are), skips its input
// gradient, which nothing reads: training needs only the parameters'
// gradients. BackwardInput also returns ∂L/∂x.
func (m *Sequential) Backward(dy backend.Tensor) { m.chain.backwardParams(dy) }

// BackwardInput is Backward through every layer: it also computes and
// returns ∂L/∂x for the model's input x (owned by the first layer, valid
// until its next Backward).
func (m *Sequential) BackwardInput(dy backend.Tensor) backend.Tensor { return m.chain.backward(dy) }

// NumParams returns the number of trainable values of m.
func NumParams(m Model) int {
	n := 0
	for _, p := range m.Params() {
		n += p.Value.Shape().Len()
	}
	return n
}

// NumParams returns the number of trainable values.
func (m *Sequential) NumParams() int { return NumParams(m) }

// Summary describes the model in a table with one line per layer (path,
// String, per-sample output shape, number of parameters) and the total.
// The layers inside a container follow it, each on a line of its own under
// its path ("3.body.0"), indented by depth.
func (m *Sequential) Summary() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "#\tLayer\tOutput\tParams\n")
	fmt.Fprintf(w, "\tInput\t%v\t-\n", m.in)
	var row func(path, indent string, l Layer, out []int)
	row = func(path, indent string, l Layer, out []int) {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Shape().Len()
		}
		shape := "-"
		if out != nil {
			shape = fmt.Sprint(out)
		}
		fmt.Fprintf(w, "%s\t%s%v\t%s\t%s\n", path, indent, l, shape, thousands(n))
		if c, ok := l.(Container); ok {
			s, _ := l.(childShaper)
			for i, ch := range c.Children() {
				var out []int
				if s != nil {
					out = s.childShape(i)
				}
				row(path+"."+ch.Name, indent+"  ", ch.Layer, out)
			}
		}
	}
	for i, l := range m.chain.layers {
		row(strconv.Itoa(i), "", l, m.chain.shapes[i])
	}
	w.Flush()
	fmt.Fprintf(&sb, "Total params: %s\n", thousands(m.NumParams()))
	return sb.String()
}

// childShaper is implemented by the containers that know the per-sample
// output shape of each of their Children, for Summary.
type childShaper interface {
	// childShape returns the output shape of child i of Children.
	childShape(i int) []int
}

// thousands formats n ≥ 0 with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var sb strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}
