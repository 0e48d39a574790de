package nn

import (
	"errors"
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// packing is a set of parameters whose values and gradients are views of
// two contiguous tensors, in order (see Sequential.PackParams).
type packing struct {
	value, grad backend.Tensor // [total] each
	params      []*Param
	offsets     []int // start of each parameter in value and grad, and the total at the end
}

// PackParams moves the values and gradients of the model's parameters
// into two contiguous tensors, in the order of Params, and makes every
// Param's Value and Grad a view of its part (backend.Viewer), so that an
// optimizer can update all of them in one call: Adam and SGD do when given
// exactly the model's Params. Values are kept; the old tensors are freed,
// so tensors obtained from Params before must not be used afterwards. It
// returns an error when the backend lacks backend.Viewer, or when the
// parameters are packed already.
func (m *Sequential) PackParams() error {
	vw, ok := m.b.(backend.Viewer)
	if !ok {
		return fmt.Errorf("nn: PackParams: backend %s has no views (backend.Viewer)", m.b.Name())
	}
	if len(m.params) == 0 {
		return errors.New("nn: PackParams: the model has no parameters")
	}
	if m.params[0].pack != nil {
		return errors.New("nn: PackParams: the parameters are packed already")
	}
	pk := &packing{params: append([]*Param(nil), m.params...)}
	total := 0
	for _, p := range m.params {
		pk.offsets = append(pk.offsets, total)
		total += p.Value.Shape().Len()
	}
	pk.offsets = append(pk.offsets, total)
	pk.value, pk.grad = m.b.Alloc(total), m.b.Alloc(total)
	m.b.Fill(pk.grad, 0)
	for i, p := range m.params {
		v, g := pk.view(vw, pk.value, i), pk.view(vw, pk.grad, i)
		m.b.Copy(v, p.Value)
		m.b.Free(p.Value)
		m.b.Free(p.Grad)
		p.Value, p.Grad, p.pack = v, g, pk
	}
	return nil
}

// view returns the view of parameter i's part of flat, shaped like the
// parameter.
func (pk *packing) view(vw backend.Viewer, flat backend.Tensor, i int) backend.Tensor {
	return vw.Reshape(vw.Slice(flat, pk.offsets[i], pk.offsets[i+1]), pk.params[i].Value.Shape()...)
}

// packOf returns the packing of params when they are exactly a packing's
// parameters in its order, else nil.
func packOf(params []*Param) *packing {
	if len(params) == 0 || params[0].pack == nil {
		return nil
	}
	pk := params[0].pack
	if len(params) != len(pk.params) {
		return nil
	}
	for i, p := range params {
		if p != pk.params[i] {
			return nil
		}
	}
	return pk
}
