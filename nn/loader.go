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

// free releases the loader's device tensors.
func (l *loader) free() {
	for _, t := range l.tensors {
		l.b.Free(t.x)
		l.b.Free(t.y)
	}
}
