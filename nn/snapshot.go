package nn

import "github.com/myelin-go/myelin/backend"

// snapshot keeps a copy of a model's state on its device, so that training
// can go back to it: the parameters and buffers (device copies), the
// layers' counters (Model.Counters) and, when an optimizer is given, its
// state (OptState buffers as device copies, Adam's step counts).
type snapshot struct {
	b        backend.Backend
	live     []backend.Tensor // the tensors saved, in order
	saved    []backend.Tensor // their copies
	counters []Counter
	values   []int64 // the value of each of counters
	steps    map[*int]int
}

// newSnapshot allocates a snapshot of m (and of opt's state for m's
// parameters when opt is not nil) and takes it.
func newSnapshot(m Model, opt Optimizer) *snapshot {
	s := &snapshot{b: m.Backend(), counters: m.Counters()}
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
	s.values = make([]int64, len(s.counters))
	s.take()
	return s
}

// take copies the current state into the snapshot.
func (s *snapshot) take() {
	for i, t := range s.live {
		s.b.Copy(s.saved[i], t)
	}
	for i, c := range s.counters {
		s.values[i] = c.Get()
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
	s.rewindCounters()
	for n, v := range s.steps {
		*n = v
	}
}

// rewindCounters sets every counter back to its value in the snapshot, so
// that the next training Forward draws the random numbers (Dropout's
// masks) it drew then.
func (s *snapshot) rewindCounters() {
	for i, c := range s.counters {
		c.Set(s.values[i])
	}
}

// free releases the snapshot's device copies.
func (s *snapshot) free() {
	for _, t := range s.saved {
		s.b.Free(t)
	}
	s.saved = nil
}
