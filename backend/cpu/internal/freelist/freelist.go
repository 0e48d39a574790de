// Package freelist recycles values so that the CPU backend's hot paths
// allocate nothing in steady state.
package freelist

import "sync"

// List is a free list of *T, safe for concurrent use; its zero value is
// empty and ready. It is not a sync.Pool: a sync.Pool allocates as values
// move between processors, which goroutines polling for work make them do,
// and it is emptied by every collection. A List holds at most as many
// values as were ever in use at once.
type List[T any] struct {
	mu   sync.Mutex
	free []*T
}

// Get returns a recycled *T, or a new zero one when the list is empty.
func (l *List[T]) Get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.free)
	if n == 0 {
		return new(T)
	}
	v := l.free[n-1]
	l.free[n-1] = nil
	l.free = l.free[:n-1]
	return v
}

// Put returns v to the list. The caller must not use v afterwards.
func (l *List[T]) Put(v *T) {
	l.mu.Lock()
	l.free = append(l.free, v)
	l.mu.Unlock()
}
