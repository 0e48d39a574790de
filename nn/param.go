package nn

import "github.com/myelin-go/myelin/backend"

// Param is one trainable tensor and its gradient, which has the same shape.
// Name follows PyTorch's state_dict keys: the index of the layer in its
// Sequential, a dot, then the layer's name for the tensor ("0.weight",
// "0.bias"). A layer names its parameters "weight" and "bias";
// NewSequential adds the index.
type Param struct {
	Name  string
	Value backend.Tensor
	Grad  backend.Tensor

	pack *packing // the packing whose views Value and Grad are (Sequential.PackParams), if any
}

// newParam allocates a parameter of the given shape on b with its value
// uploaded from init (whose length must match) and its gradient zeroed.
func newParam(b backend.Backend, name string, shape []int, init []float32) *Param {
	p := &Param{Name: name, Value: b.Alloc(shape...), Grad: b.Alloc(shape...)}
	b.Upload(p.Value, init)
	b.Fill(p.Grad, 0)
	return p
}

// newZeroParam allocates a parameter of the given shape on b with value and
// gradient zeroed (biases start at zero).
func newZeroParam(b backend.Backend, name string, shape []int) *Param {
	p := &Param{Name: name, Value: b.Alloc(shape...), Grad: b.Alloc(shape...)}
	b.Fill(p.Value, 0)
	b.Fill(p.Grad, 0)
	return p
}

// newBuffer allocates a non-trainable tensor (Grad nil) of the given shape
// on b with every element set to v.
func newBuffer(b backend.Backend, name string, shape []int, v float32) *Param {
	p := &Param{Name: name, Value: b.Alloc(shape...)}
	b.Fill(p.Value, v)
	return p
}
