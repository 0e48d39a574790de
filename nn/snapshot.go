package nn

import "github.com/myelin-go/myelin/backend"

// snapshot keeps a copy of a model's state on its device, so that training
// can go back to it: the parameters and buffers (device copies), the layer
// counters Dropout.Step and BatchNorm.Tracked and, when an optimizer is
// given, its state (OptState buffers as device copies, Adam's step counts).
type snapshot struct {
	b        backend.Backend
	live     []backend.Tensor // the tensors saved, in order
	saved    []backend.Tensor // their copies
	layers   []Layer
	counters []uint64 // Dropout.Step or BatchNorm.Tracked of each of layers
	steps    map[*int]int
}

// newSnapshot allocates a snapshot of m (and of opt's state for m's
// parameters when opt is not nil) and takes it.
func newSnapshot(m *Sequential, opt Optimizer) *snapshot {
	s := &snapshot{b: m.Backend()}
	for _, p := range append(m.Params(), m.Buffers()...) {
		s.live = append(s.live, p.Value)
	}
	if opt != nil {
		st := opt.State(m.Params())
		for _, p := range st.Buffers {
			s.live = append(s.live, p.Value)
		}
		s.steps = make(map[*int]int, len(st.Steps))
		for _, n := range st.Steps {
			s.steps[n] = 0
		}
	}
	for _, t := range s.live {
		s.saved = append(s.saved, s.b.Alloc(t.Shape()...))
	}
	for _, l := range m.Layers() {
		switch l.(type) {
		case *Dropout, *BatchNorm:
			s.layers = append(s.layers, l)
		}
	}
	s.counters = make([]uint64, len(s.layers))
	s.take()
	return s
}

// take copies the current state into the snapshot.
func (s *snapshot) take() {
	for i, t := range s.live {
		s.b.Copy(s.saved[i], t)
	}
	for i, l := range s.layers {
		switch l := l.(type) {
		case *Dropout:
			s.counters[i] = l.Step
		case *BatchNorm:
			s.counters[i] = uint64(l.Tracked)
		}
	}
	for n := range s.steps {
		s.steps[n] = *n
	}
}

// restore copies the snapshot back into the model (and optimizer).
func (s *snapshot) restore() {
	for i, t := range s.live {
		s.b.Copy(t, s.saved[i])
	}
	for i, l := range s.layers {
		switch l := l.(type) {
		case *Dropout:
			l.Step = s.counters[i]
		case *BatchNorm:
			l.Tracked = int64(s.counters[i])
		}
	}
	for n, v := range s.steps {
		*n = v
	}
}

// rewindDropout sets every Dropout's Step back to its value in the
// snapshot, so that the next training Forward draws the masks it drew then.
func (s *snapshot) rewindDropout() {
	for i, l := range s.layers {
		if d, ok := l.(*Dropout); ok {
			d.Step = s.counters[i]
		}
	}
}

// free releases the snapshot's device copies.
func (s *snapshot) free() {
	for _, t := range s.saved {
		s.b.Free(t)
	}
	s.saved = nil
}
