package nn

import "github.com/myelin-go/myelin/backend"

// loader uploads batches of a dataset into device tensors kept per batch
// size, gathering shuffled batches through reusable host staging slices.
type loader struct {
	b       backend.Backend
	d       Dataset
	withY   bool
	xn, yn  int               // values per sample and per target
	xs, ys  []float32         // host staging for gathered batches
	toks    []int32           // host staging for gathered batches of tokens
	augment func(x []float32) // if set, applied to every gathered batch of float samples
	tensors map[int]*batchTensors
}

// batchTensors are the device copies of one batch's samples and targets.
type batchTensors struct {
	x, y backend.Tensor // y is nil without targets
	// With shifts (deviceLoader.withShifts): the gathered samples before
	// the shift, [n, C, H, W], and x viewed as [n, C, H, W].
	raw, img backend.Tensor
}

// newLoader returns a loader of d's batches of at most maxBatch samples,
// with targets when withY is set. d must have passed Check(withY).
func newLoader(b backend.Backend, d Dataset, maxBatch int, withY bool) *loader {
	l := &loader{b: b, d: d, withY: withY, xn: shapeLen(d.XShape), tensors: map[int]*batchTensors{}}
	if withY {
		l.yn = shapeLen(d.YShape)
	}
	if d.Tokens != nil {
		l.toks = make([]int32, maxBatch*l.xn)
	} else {
		l.xs = make([]float32, maxBatch*l.xn)
	}
	l.ys = make([]float32, maxBatch*l.yn)
	return l
}

// load uploads the batch of samples perm[i:j], or samples i to j−1 when
// perm is nil (augment applies only to the former), and returns its device
// tensors (y is nil without targets). The tensors are reused by the next
// load of the same batch size.
func (l *loader) load(perm []int, i, j int) (x, y backend.Tensor) {
	n := j - i
	t := l.tensors[n]
	if t == nil {
		t = &batchTensors{}
		if l.d.Tokens != nil {
			t.x = backend.AllocInt32(l.b, withBatch(n, l.d.XShape)...)
		} else {
			t.x = l.b.Alloc(withBatch(n, l.d.XShape)...)
		}
		if l.withY {
			t.y = l.b.Alloc(withBatch(n, l.d.YShape)...)
		}
		l.tensors[n] = t
	}
	if perm == nil {
		if l.d.Tokens != nil {
			backend.UploadInt32(l.b, t.x, l.d.Tokens[i*l.xn:j*l.xn])
		} else {
			l.b.Upload(t.x, l.d.X[i*l.xn:j*l.xn])
		}
		if l.withY {
			l.b.Upload(t.y, l.d.Y[i*l.yn:j*l.yn])
		}
		return t.x, t.y
	}
	ys := l.ys[:n*l.yn]
	for k, s := range perm[i:j] {
		if l.d.Tokens != nil {
			copy(l.toks[k*l.xn:(k+1)*l.xn], l.d.Tokens[s*l.xn:(s+1)*l.xn])
		} else {
			copy(l.xs[k*l.xn:(k+1)*l.xn], l.d.X[s*l.xn:(s+1)*l.xn])
		}
		if l.withY {
			copy(ys[k*l.yn:(k+1)*l.yn], l.d.Y[s*l.yn:(s+1)*l.yn])
		}
	}
	if l.d.Tokens != nil {
		backend.UploadInt32(l.b, t.x, l.toks[:n*l.xn])
	} else {
		xs := l.xs[:n*l.xn]
		if l.augment != nil {
			l.augment(xs)
		}
		l.b.Upload(t.x, xs)
	}
	if l.withY {
		l.b.Upload(t.y, ys)
	}
	return t.x, t.y
}

// seq implements seqLoader: load(nil, i, j).
func (l *loader) seq(i, j int) (x, y backend.Tensor) { return l.load(nil, i, j) }

// free releases the loader's device tensors.
func (l *loader) free() {
	for _, t := range l.tensors {
		l.b.Free(t.x)
		l.b.Free(t.y)
	}
}

// seqLoader loads batches of consecutive samples, for inference.
type seqLoader interface {
	// seq returns the device tensors of samples i to j−1 (y is nil
	// without targets), valid until the next call.
	seq(i, j int) (x, y backend.Tensor)
	// free releases the loader's device tensors.
	free()
}

// deviceLoader serves batches of a dataset kept whole on the device: the
// samples and targets are uploaded once, and each batch is gathered on the
// device (backend.Indexer.Gather) over the epoch's shuffled order, an int32
// tensor uploaded once per epoch and sliced per batch (backend.Viewer), so
// that a step makes no host copy and no upload. With random shifts
// (withShifts), the epoch's offsets are an int32 tensor too, uploaded once
// per epoch and sliced per batch, and backend.Shifter translates each
// gathered batch. Without a shuffled order (evaluation) a batch is a view
// of consecutive rows.
type deviceLoader struct {
	b       backend.Backend
	ix      backend.Indexer
	vw      backend.Viewer
	x, y    backend.Tensor // the whole set; y is nil without targets
	order   backend.Tensor // int32 [Len], the epoch's order; nil until shuffle
	idx     backend.Tensor // view of order for the current batch
	xv, yv  backend.Tensor // views of x and y for unshuffled batches
	order32 []int32        // host staging of order
	tensors map[int]*batchTensors

	shift    ShiftAugmenter  // nil without shifts
	shifter  backend.Shifter // b's
	shape    []int           // the sample shape [C, H, W] the offsets apply to
	fill     float32
	shifts   backend.Tensor // int32 [Len, 2]: the offsets of order's samples, in order's order
	sv       backend.Tensor // view of shifts for the current batch
	shifts32 []int32        // host staging of shifts, which the caller fills before uploadShifts
}

// newDeviceLoader uploads d (with its targets when withY is set) to b and
// returns a loader of its batches, or nil when b lacks Indexer or Viewer,
// has no room for the set (backend.Allocator) or d holds Tokens, in which
// case the caller uses the host path.
func newDeviceLoader(b backend.Backend, d Dataset, withY bool) *deviceLoader {
	ix, ok1 := b.(backend.Indexer)
	vw, ok2 := b.(backend.Viewer)
	if !ok1 || !ok2 || d.Tokens != nil {
		return nil
	}
	l := &deviceLoader{b: b, ix: ix, vw: vw, tensors: map[int]*batchTensors{}}
	n := d.Len()
	var ok bool
	if l.x, ok = tryAlloc(b, withBatch(n, d.XShape)...); !ok {
		return nil
	}
	b.Upload(l.x, d.X)
	if withY {
		if l.y, ok = tryAlloc(b, withBatch(n, d.YShape)...); !ok {
			b.Free(l.x)
			return nil
		}
		b.Upload(l.y, d.Y)
	}
	return l
}

// withShifts makes the loader translate every shuffled batch by the
// offsets of s, which the caller draws into shifts32 (two per sample, in
// the order of the last shuffle) before uploadShifts. b must be a
// backend.Shifter, and s's sample shape must have as many values as the
// loader's samples.
func (l *deviceLoader) withShifts(s ShiftAugmenter) {
	l.shift, l.shifter = s, l.b.(backend.Shifter)
	l.shape, l.fill = s.ShiftShape()
	n := l.x.Shape()[0]
	l.shifts = l.ix.AllocInt32(n, 2)
	l.shifts32 = make([]int32, 2*n)
}

// uploadShifts uploads shifts32 as the offsets of the following loads.
func (l *deviceLoader) uploadShifts() { l.ix.UploadInt32(l.shifts, l.shifts32) }

// tryAlloc allocates a tensor, reporting false instead of panicking when
// the backend is an Allocator and has no room.
func tryAlloc(b backend.Backend, shape ...int) (backend.Tensor, bool) {
	if a, ok := b.(backend.Allocator); ok {
		t, err := a.TryAlloc(shape...)
		return t, err == nil
	}
	return b.Alloc(shape...), true
}

// shuffle uploads perm, a permutation of the samples, as the order of the
// following loads.
func (l *deviceLoader) shuffle(perm []int) {
	if l.order == nil {
		l.order = l.ix.AllocInt32(len(perm))
		l.order32 = make([]int32, len(perm))
	}
	for i, p := range perm {
		l.order32[i] = int32(p)
	}
	l.ix.UploadInt32(l.order, l.order32)
}

// seq implements seqLoader: views of samples i to j−1, valid until the
// next seq.
func (l *deviceLoader) seq(i, j int) (x, y backend.Tensor) {
	l.xv = l.view(l.xv, l.x, i, j)
	if l.y != nil {
		l.yv = l.view(l.yv, l.y, i, j)
	}
	return l.xv, l.yv
}

// load returns the device tensors of the batch of samples order[i:j] of
// the last shuffle (y is nil without targets), gathered on the device and,
// with shifts, translated by the offsets shifts[i:j]. They stay valid
// until the next load of the same size.
func (l *deviceLoader) load(i, j int) (x, y backend.Tensor) {
	n := j - i
	t := l.tensors[n]
	if t == nil {
		t = &batchTensors{x: l.b.Alloc(withBatch(n, l.x.Shape()[1:])...)}
		if l.y != nil {
			t.y = l.b.Alloc(withBatch(n, l.y.Shape()[1:])...)
		}
		if l.shift != nil {
			t.raw = l.b.Alloc(withBatch(n, l.shape)...)
			t.img = l.vw.Reshape(t.x, withBatch(n, l.shape)...)
		}
		l.tensors[n] = t
	}
	l.idx = l.view(l.idx, l.order, i, j)
	if l.shift != nil {
		l.ix.Gather(l.x, l.idx, t.raw)
		l.sv = l.view(l.sv, l.shifts, i, j)
		l.shifter.ShiftImages(t.raw, l.sv, t.img, l.fill)
	} else {
		l.ix.Gather(l.x, l.idx, t.x)
	}
	if l.y != nil {
		l.ix.Gather(l.y, l.idx, t.y)
	}
	return t.x, t.y
}

// view re-aims v (nil the first time) at rows [i, j) of t and returns it.
func (l *deviceLoader) view(v, t backend.Tensor, i, j int) backend.Tensor {
	if v == nil {
		return l.vw.Slice(t, i, j)
	}
	l.vw.SliceInto(v, t, i, j)
	return v
}

// free releases the loader's device tensors (the views die with them).
func (l *deviceLoader) free() {
	for _, t := range l.tensors {
		l.b.Free(t.x)
		l.b.Free(t.y)
		l.b.Free(t.raw)
	}
	l.b.Free(l.x)
	l.b.Free(l.y)
	l.b.Free(l.order)
	l.b.Free(l.shifts)
}
