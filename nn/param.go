package nn

import (
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Param is one trainable tensor and its gradient, which has the same shape
// (or a non-trainable buffer, whose Grad is nil). Name follows PyTorch's
// state_dict keys: a layer names its tensors ("weight", "bias",
// "running_mean"), and NewSequential prefixes the path of the layer in the
// model, the index in the Sequential and the names of the containers it is
// in ("0.weight", "3.body.0.weight").
type Param struct {
	Name  string
	Value backend.Tensor
	Grad  backend.Tensor

	pack *packing // the packing whose views Value and Grad are (Sequential.PackParams), if any
}

// NewParam allocates a parameter of the given shape on b, named name, with
// its value drawn by init from rng (nil init means Zeros, which draws
// nothing) and its gradient zeroed. A layer's Build makes its parameters
// with it.
func NewParam(b backend.Backend, name string, shape []int, init Initializer, rng *rand.Rand) *Param {
	p := &Param{Name: name, Value: b.Alloc(shape...), Grad: b.Alloc(shape...)}
	if init == nil || init == Zeros {
		b.Fill(p.Value, 0)
	} else {
		v := make([]float32, shapeLen(shape))
		init.Init(v, shape, rng)
		b.Upload(p.Value, v)
	}
	b.Fill(p.Grad, 0)
	return p
}

// NewBuffer allocates a non-trainable tensor (Grad nil) of the given shape
// on b, named name, with every element set to v: a layer's state that
// Stateful.Buffers returns, such as BatchNorm's running statistics.
func NewBuffer(b backend.Backend, name string, shape []int, v float32) *Param {
	p := &Param{Name: name, Value: b.Alloc(shape...)}
	b.Fill(p.Value, v)
	return p
}
