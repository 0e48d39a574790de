package backend

// Reshaper provides ReshapeInto, Reshape's counterpart of Viewer.SliceInto:
// a layer that gives each batch another shape (nn.Flatten, nn.Reshape)
// re-aims one view per call at its input, copying nothing and allocating
// nothing in steady state. Without it such a layer copies.
type Reshaper interface {
	Viewer
	// ReshapeInto re-aims view, a view Reshape or Slice returned, at all
	// of t with the given shape, which must have t's number of elements
	// (torch.Tensor.view), as Reshape(t, shape...) would make it. view may
	// be dead (its old base freed); t must not be.
	ReshapeInto(view, t Tensor, shape ...int)
}

// ReshapeInto calls b's Reshaper.ReshapeInto.
func ReshapeInto(b Backend, view, t Tensor, shape ...int) {
	r, ok := b.(Reshaper)
	if !ok {
		panic(unimplemented(b, "ReshapeInto", "Reshaper"))
	}
	r.ReshapeInto(view, t, shape...)
}
