package backend

// The package-level functions below call an optional op on b: b's own
// implementation when it has the op's interface, else a fallback built from
// core ops where one exists, else a panic with an *UnimplementedError.

func unimplemented(b Backend, op, iface string) *UnimplementedError {
	return &UnimplementedError{Op: op, Backend: b.Name(), Interface: "backend." + iface}
}

func viewer(b Backend, op string) Viewer {
	if v, ok := b.(Viewer); ok {
		return v
	}
	panic(unimplemented(b, op, "Viewer"))
}

// Reshape calls b's Viewer.Reshape.
func Reshape(b Backend, t Tensor, shape ...int) Tensor {
	return viewer(b, "Reshape").Reshape(t, shape...)
}

// Slice calls b's Viewer.Slice.
func Slice(b Backend, t Tensor, start, end int) Tensor {
	return viewer(b, "Slice").Slice(t, start, end)
}

// SliceInto calls b's Viewer.SliceInto.
func SliceInto(b Backend, view, t Tensor, start, end int) {
	viewer(b, "SliceInto").SliceInto(view, t, start, end)
}

// CopyRegion calls b's Viewer.CopyRegion.
func CopyRegion(b Backend, dst Tensor, dr Region, src Tensor, sr Region, size [4]int, accumulate bool) {
	viewer(b, "CopyRegion").CopyRegion(dst, dr, src, sr, size, accumulate)
}

func mathOf(b Backend, op string) Math {
	if m, ok := b.(Math); ok {
		return m
	}
	panic(unimplemented(b, op, "Math"))
}

// Binary calls b's Math.Binary. Without Math, OpAdd and OpMul of three
// tensors of one shape fall back to the core's Add and Mul.
func Binary(b Backend, op BinaryOp, x, y, z Tensor) {
	if m, ok := b.(Math); ok {
		m.Binary(op, x, y, z)
		return
	}
	if s := x.Shape(); s.Equal(y.Shape()) && s.Equal(z.Shape()) {
		switch op {
		case OpAdd:
			b.Add(x, y, z)
			return
		case OpMul:
			b.Mul(x, y, z)
			return
		}
	}
	panic(unimplemented(b, "Binary("+op.String()+")", "Math"))
}

// Unary calls b's Math.Unary.
func Unary(b Backend, op UnaryOp, x, y Tensor) { mathOf(b, "Unary").Unary(op, x, y) }

// Affine calls b's Math.Affine. Without Math, it falls back to the core's
// Scale when y is x and beta is 0, and to Fill then Axpy when y is another
// tensor.
func Affine(b Backend, alpha, beta float32, x, y Tensor) {
	if m, ok := b.(Math); ok {
		m.Affine(alpha, beta, x, y)
		return
	}
	switch {
	case x == y && beta == 0:
		b.Scale(alpha, x)
	case x != y:
		b.Fill(y, beta)
		b.Axpy(alpha, x, y)
	default:
		panic(unimplemented(b, "Affine in place", "Math"))
	}
}

// Clamp calls b's Math.Clamp.
func Clamp(b Backend, lo, hi float32, x, y Tensor) { mathOf(b, "Clamp").Clamp(lo, hi, x, y) }

func reducer(b Backend, op string) Reducer {
	if r, ok := b.(Reducer); ok {
		return r
	}
	panic(unimplemented(b, op, "Reducer"))
}

// Reduce calls b's Reducer.Reduce.
func Reduce(b Backend, op ReduceOp, x Tensor, axis int, y Tensor, beta float32) {
	reducer(b, "Reduce").Reduce(op, x, axis, y, beta)
}

// ArgMax calls b's Reducer.ArgMax.
func ArgMax(b Backend, x Tensor, axis int, values, indices Tensor) {
	reducer(b, "ArgMax").ArgMax(x, axis, values, indices)
}

// BiasGradAdd calls b's Reducer.BiasGradAdd. Without Reducer, beta 0
// falls back to the core's BiasGrad.
func BiasGradAdd(b Backend, dy Tensor, beta float32, db Tensor) {
	if r, ok := b.(Reducer); ok {
		r.BiasGradAdd(dy, beta, db)
		return
	}
	if beta != 0 {
		panic(unimplemented(b, "BiasGradAdd with beta ≠ 0", "Reducer"))
	}
	b.BiasGrad(dy, db)
}

// ActivateBackwardAdd calls b's Reducer.ActivateBackwardAdd. Without
// Reducer, beta 0 falls back to the core's ActivateBackward.
func ActivateBackwardAdd(b Backend, a Activation, x, y, dy Tensor, beta float32, dx Tensor) {
	if r, ok := b.(Reducer); ok {
		r.ActivateBackwardAdd(a, x, y, dy, beta, dx)
		return
	}
	if beta != 0 {
		panic(unimplemented(b, "ActivateBackwardAdd with beta ≠ 0", "Reducer"))
	}
	b.ActivateBackward(a, x, y, dy, dx)
}

func indexer(b Backend, op string) Indexer {
	if i, ok := b.(Indexer); ok {
		return i
	}
	panic(unimplemented(b, op, "Indexer"))
}

// AllocInt32 calls b's Indexer.AllocInt32.
func AllocInt32(b Backend, shape ...int) Tensor { return indexer(b, "AllocInt32").AllocInt32(shape...) }

// UploadInt32 calls b's Indexer.UploadInt32.
func UploadInt32(b Backend, dst Tensor, src []int32) { indexer(b, "UploadInt32").UploadInt32(dst, src) }

// DownloadInt32 calls b's Indexer.DownloadInt32.
func DownloadInt32(b Backend, dst []int32, src Tensor) {
	indexer(b, "DownloadInt32").DownloadInt32(dst, src)
}

// Gather calls b's Indexer.Gather.
func Gather(b Backend, table, idx, out Tensor) { indexer(b, "Gather").Gather(table, idx, out) }

// ScatterAdd calls b's Indexer.ScatterAdd.
func ScatterAdd(b Backend, src, idx, table Tensor) {
	indexer(b, "ScatterAdd").ScatterAdd(src, idx, table)
}

// OneHot calls b's Indexer.OneHot.
func OneHot(b Backend, labels, out Tensor) { indexer(b, "OneHot").OneHot(labels, out) }

// CountCorrectLabels calls b's Indexer.CountCorrectLabels.
func CountCorrectLabels(b Backend, pred, labels, count Tensor) {
	indexer(b, "CountCorrectLabels").CountCorrectLabels(pred, labels, count)
}

// BatchMatMul calls b's BatchMatMuler.BatchMatMul.
func BatchMatMul(b Backend, transA, transB bool, alpha float32, x, y Tensor, beta float32, z Tensor) {
	if m, ok := b.(BatchMatMuler); ok {
		m.BatchMatMul(transA, transB, alpha, x, y, beta, z)
		return
	}
	panic(unimplemented(b, "BatchMatMul", "BatchMatMuler"))
}

// TryAlloc calls b's Allocator.TryAlloc.
func TryAlloc(b Backend, shape ...int) (Tensor, error) {
	if a, ok := b.(Allocator); ok {
		return a.TryAlloc(shape...)
	}
	panic(unimplemented(b, "TryAlloc", "Allocator"))
}

// Lacks returns the names of the optional op groups b does not implement,
// e.g. ["backend.Viewer", "backend.Indexer"]; nil when it has them all.
// The functions of a missing group fall back to core ops where they can and
// otherwise panic with an *UnimplementedError.
func Lacks(b Backend) []string {
	var missing []string
	for _, g := range optionalGroups {
		if !g.has(b) {
			missing = append(missing, "backend."+g.name)
		}
	}
	return missing
}

// optionalGroups lists the optional interfaces, in the order Lacks reports
// them.
var optionalGroups = []struct {
	name string
	has  func(Backend) bool
}{
	{"Viewer", func(b Backend) bool { _, ok := b.(Viewer); return ok }},
	{"Math", func(b Backend) bool { _, ok := b.(Math); return ok }},
	{"Reducer", func(b Backend) bool { _, ok := b.(Reducer); return ok }},
	{"Indexer", func(b Backend) bool { _, ok := b.(Indexer); return ok }},
	{"BatchMatMuler", func(b Backend) bool { _, ok := b.(BatchMatMuler); return ok }},
	{"Allocator", func(b Backend) bool { _, ok := b.(Allocator); return ok }},
	{"Recurrent", func(b Backend) bool { _, ok := b.(Recurrent); return ok }},
	{"Shifter", func(b Backend) bool { _, ok := b.(Shifter); return ok }},
	{"ConvPooler", func(b Backend) bool { _, ok := b.(ConvPooler); return ok }},
	{"Reshaper", func(b Backend) bool { _, ok := b.(Reshaper); return ok }},
	{"ConvActivator", func(b Backend) bool { _, ok := b.(ConvActivator); return ok }},
}
