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

// Sequential is a model made of layers applied one after another.
type Sequential struct {
	b      backend.Backend
	in     []int
	shapes [][]int // per-sample output shape of each layer
	layers []Layer
	params []*Param
	bufs   []*Param // buffers of the Stateful layers
	// firstParams is the index of the first layer with parameters
	// (len(layers) when none has any): Backward stops there.
	firstParams int
	// convPools runs each Conv2D that a MaxPool2D follows together with
	// it in chunks of images, by the Conv2D's index (see convPool).
	convPools map[int]*convPool
}

// NewSequential builds the layers in order for per-sample input shape in
// on b, initialising parameters (and Dropout's mask seeds) from
// rand.New(rand.NewSource(seed)), and names the parameters
// "<layer index>.weight" and "<layer index>.bias" and the buffers of
// Stateful layers "<layer index>.<buffer>".
// Errors name the layer index, its String() and the shapes.
func NewSequential(b backend.Backend, in []int, seed int64, layers ...Layer) (*Sequential, error) {
	if b == nil {
		return nil, errors.New("nn: NewSequential: nil backend")
	}
	if err := checkShape(in); err != nil {
		return nil, fmt.Errorf("nn: NewSequential: model input: %w", err)
	}
	if len(layers) == 0 {
		return nil, errors.New("nn: NewSequential: no layers")
	}
	m := &Sequential{b: b, in: append([]int(nil), in...), layers: append([]Layer(nil), layers...)}
	rng := rand.New(rand.NewSource(seed))
	shape := m.in
	for i, l := range m.layers {
		if l == nil {
			return nil, fmt.Errorf("nn: NewSequential: layer %d is nil", i)
		}
		out, err := l.Build(b, shape, rng)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %d (%v) on input %v: %w", i, l, shape, err)
		}
		ps := l.Params()
		for _, p := range ps {
			p.Name = strconv.Itoa(i) + "." + p.Name
			m.params = append(m.params, p)
		}
		if len(ps) == 0 && m.firstParams == i {
			m.firstParams = i + 1
		}
		if st, ok := l.(Stateful); ok {
			for _, p := range st.Buffers() {
				p.Name = strconv.Itoa(i) + "." + p.Name
				m.bufs = append(m.bufs, p)
			}
		}
		m.shapes = append(m.shapes, out)
		shape = out
	}
	fuseBiases(m.layers)
	m.convPools = convPools(b, m.layers)
	return m, nil
}

// Backend returns the backend the model was built on.
func (m *Sequential) Backend() backend.Backend { return m.b }

// InShape returns the per-sample input shape (a copy).
func (m *Sequential) InShape() []int { return append([]int(nil), m.in...) }

// OutShape returns the per-sample output shape (a copy).
func (m *Sequential) OutShape() []int { return append([]int(nil), m.shapes[len(m.shapes)-1]...) }

// Layers returns the layers in order.
func (m *Sequential) Layers() []Layer { return append([]Layer(nil), m.layers...) }

// Params returns every layer's parameters, in layer order.
func (m *Sequential) Params() []*Param { return append([]*Param(nil), m.params...) }

// Buffers returns every Stateful layer's buffers (BatchNorm's running
// statistics), in layer order, named "<layer index>.<buffer>" like Params.
func (m *Sequential) Buffers() []*Param { return append([]*Param(nil), m.bufs...) }

// Forward runs the layers on a batch x [N, InShape...] and returns the
// output [N, OutShape...], which belongs to the last layer and stays valid
// until the next Forward. train selects training behaviour. It panics when
// x has another shape.
func (m *Sequential) Forward(x backend.Tensor, train bool) backend.Tensor {
	s := x.Shape()
	if len(s) != len(m.in)+1 || !backend.Shape(s[1:]).Equal(m.in) {
		panic(fmt.Sprintf("nn: Sequential.Forward: input shape %v, want [N %s]", s, dims(m.in)))
	}
	for i := 0; i < len(m.layers); i++ {
		if cp := m.convPools[i]; cp != nil {
			if y, ok := cp.forward(x); ok {
				x = y
				i++ // the pool ran too
				continue
			}
		}
		x = m.layers[i].Forward(x, train)
	}
	return x
}

// activePair returns the convPool of layers i and i+1 when the last
// Forward ran them in chunks, else nil.
func (m *Sequential) activePair(i int) *convPool {
	if cp := m.convPools[i]; cp != nil && cp.active {
		return cp
	}
	return nil
}

// Backward propagates dy = ∂L/∂y for the output of the last Forward back
// through the layers, overwriting every parameter's Grad. It stops at the
// first layer with parameters and, where that layer can (Dense, Conv2D),
// skips its input gradient, which nothing reads: training needs only the
// parameters' gradients. BackwardInput also returns ∂L/∂x.
func (m *Sequential) Backward(dy backend.Tensor) {
	first := m.firstParams
	for i := len(m.layers) - 1; i >= first; i-- {
		switch cp := m.activePair(i - 1); {
		case cp != nil && i-1 >= first:
			dy = cp.backward(dy, i-1 > first)
			i-- // the convolution ran too
		case i > first:
			dy = m.layers[i].Backward(dy)
		default:
			if l, ok := m.layers[first].(paramGrader); ok {
				l.backwardParams(dy)
			} else {
				m.layers[first].Backward(dy)
			}
		}
	}
}

// BackwardInput is Backward through every layer: it also computes and
// returns ∂L/∂x for the model's input x (owned by the first layer, valid
// until its next Backward).
func (m *Sequential) BackwardInput(dy backend.Tensor) backend.Tensor {
	for i := len(m.layers) - 1; i >= 0; i-- {
		if cp := m.activePair(i - 1); cp != nil {
			dy = cp.backward(dy, true)
			i-- // the convolution ran too
			continue
		}
		dy = m.layers[i].Backward(dy)
	}
	return dy
}

// paramGrader is implemented by layers that can compute their parameters'
// gradients without their input gradient, for Sequential.Backward.
type paramGrader interface {
	// backwardParams is Backward without ∂L/∂x.
	backwardParams(dy backend.Tensor)
}

// NumParams returns the number of trainable values.
func (m *Sequential) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Value.Shape().Len()
	}
	return n
}

// Summary describes the model in a table with one line per layer (index,
// String, per-sample output shape, number of parameters) and the total.
func (m *Sequential) Summary() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "#\tLayer\tOutput\tParams\n")
	fmt.Fprintf(w, "\tInput\t%v\t-\n", m.in)
	for i, l := range m.layers {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Shape().Len()
		}
		fmt.Fprintf(w, "%d\t%v\t%v\t%s\n", i, l, m.shapes[i], thousands(n))
	}
	w.Flush()
	fmt.Fprintf(&sb, "Total params: %s\n", thousands(m.NumParams()))
	return sb.String()
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
