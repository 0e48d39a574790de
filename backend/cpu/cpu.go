// Package cpu is Myelin's CPU backend: Go and Go assembly, no cgo, every op
// multi-threaded over GOMAXPROCS where the work is large enough, with
// results that are bit-identical for any GOMAXPROCS.
//
// Kernels come in levels (see Level): AVX512 and AVX2 are assembly
// generated with avo, Generic is their pure-Go twin. New picks the best
// level the processor supports at start-up (cpuid); the environment
// variable MYELIN_CPU=generic|avx2|avx512 lowers it, and the purego and
// noasm build tags leave only Generic. Matrix products run on our own
// packed, cache-blocked SGEMM; convolutions are im2col, one cache-sized
// block of the column matrix at a time, followed by that SGEMM. Steady
// state ops allocate nothing.
//
// Importing the package registers the backend as "cpu" (priority 0):
//
//	import _ "github.com/myelin-go/myelin/backend/cpu"
//
// All work is synchronous: an op has finished when it returns.
//
// Views (Reshape, Slice, SliceInto) share their base tensor's memory and
// die with it: see Backend.Reshape. Int32 tensors (AllocInt32) hold
// indices and labels for Gather, ScatterAdd, OneHot and
// CountCorrectLabels; TryAlloc reports a tensor too large for the machine
// as an error wrapping backend.ErrOutOfMemory.
package cpu

import (
	"fmt"
	"sync"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

func init() {
	backend.Register("cpu", 0, func() (backend.Backend, error) {
		l, err := isa.FromEnv()
		if err != nil {
			return nil, err
		}
		return NewLevel(l)
	})
}

// Level is a set of kernels: Generic (pure Go), AVX2 or AVX512 (Go
// assembly). A backend runs one level, chosen when it is made.
type Level = isa.Level

// The kernel levels, lowest first.
const (
	Generic = isa.Generic
	AVX2    = isa.AVX2
	AVX512  = isa.AVX512
)

// Levels lists the kernel levels this processor and build can run, lowest
// first. The purego and noasm build tags leave only Generic.
func Levels() []Level { return isa.Supported() }

// Backend is the CPU implementation of backend.Backend. Its tensors live in
// Go memory and, as on a device, stay allocated until Free or Close even
// when the program drops them. Alloc, Free and Close may be called from
// several goroutines; ops on tensors that no other goroutine writes may run
// concurrently too.
type Backend struct {
	mu     sync.Mutex
	live   map[*tensor]struct{} // every tensor allocated and not yet freed
	closed bool
	level  Level // kernels in use
}

var _ backend.Backend = (*Backend)(nil)

// New returns a CPU backend running the best kernels this processor and
// build support, lowered by the environment variable MYELIN_CPU (generic,
// avx2 or avx512) when it is set to a level they support; an invalid
// MYELIN_CPU is ignored here, and reported as an error by
// backend.Open("cpu").
func New() *Backend {
	l, err := isa.FromEnv()
	if err != nil {
		l = isa.Best()
	}
	return newLevel(l)
}

// NewLevel returns a CPU backend running the kernels of level l, or an
// error when this processor or build cannot run them (see Levels).
func NewLevel(l Level) (*Backend, error) {
	if l < Generic || l > isa.Best() {
		return nil, fmt.Errorf("cpu: kernel level %v is not available here: this processor and build run up to %v", l, isa.Best())
	}
	return newLevel(l), nil
}

func newLevel(l Level) *Backend {
	return &Backend{live: make(map[*tensor]struct{}), level: l}
}

// Level returns the kernel level the backend runs.
func (b *Backend) Level() Level { return b.level }

// tensor is a CPU tensor: a shape and its elements, row-major. data is nil
// once the tensor is freed. rows and cols are shape.Rows() and
// shape.Cols(), computed once: the ops that read a tensor as a matrix take
// a few nanoseconds less per call (MatMul at fc2's shapes takes 0.8 µs).
//
// A view (see view.go) is a tensor whose data or ints is a sub-slice of
// its base's, the tensor Alloc made; it is dead once the base is freed.
type tensor struct {
	shape      backend.Shape
	rows, cols int
	data       []float32 // the elements of a float32 tensor
	ints       []int32   // the elements of an int32 tensor
	dtype      backend.DType
	owner      *Backend
	base       *tensor // for a view, the tensor that owns its memory; nil otherwise
	dims       [4]int  // a view's shape, when it has at most four dimensions
}

// DType returns the tensor's element type.
func (t *tensor) DType() backend.DType { return t.dtype }

// freed reports whether t, or the base of the view t, has been freed (or
// its backend closed).
func (t *tensor) freed() bool {
	if t.base != nil {
		t = t.base
	}
	return t.data == nil && t.ints == nil
}

// Shape returns the tensor's dimensions.
func (t *tensor) Shape() backend.Shape { return t.shape }

// Name returns "cpu".
func (b *Backend) Name() string { return "cpu" }

// Alloc returns a new zero-filled tensor of the given shape (a single
// element for no dimensions). It panics if a dimension is not positive,
// and with an error wrapping backend.ErrOutOfMemory if the tensor is
// larger than the memory TryAlloc allows.
func (b *Backend) Alloc(shape ...int) backend.Tensor {
	return b.mustAlloc("Alloc", backend.Float32, shape)
}

// Free releases t. Freeing nil is a no-op; freeing a tensor twice panics.
// Freeing a view (of Reshape or Slice) is a no-op, even after its base is
// freed: the memory belongs to the base, and the view dies with it.
func (b *Backend) Free(t backend.Tensor) {
	if t == nil {
		return
	}
	if ct, ok := t.(*tensor); ok && ct.owner == b && ct.base != nil {
		return
	}
	ct := b.anyTensor("Free", t)
	b.mu.Lock()
	delete(b.live, ct)
	b.mu.Unlock()
	ct.data, ct.ints = nil, nil
}

// Upload copies src into dst.
func (b *Backend) Upload(dst backend.Tensor, src []float32) {
	d := b.tensor("Upload", dst)
	if len(src) != len(d.data) {
		panic(fmt.Sprintf("cpu: Upload: %d values into tensor of shape %v (%d elements)", len(src), d.shape, len(d.data)))
	}
	copy(d.data, src)
}

// Download copies src into dst.
func (b *Backend) Download(dst []float32, src backend.Tensor) {
	s := b.tensor("Download", src)
	if len(dst) != len(s.data) {
		panic(fmt.Sprintf("cpu: Download: tensor of shape %v (%d elements) into %d values", s.shape, len(s.data), len(dst)))
	}
	copy(dst, s.data)
}

// Fill sets every element of t to v.
func (b *Backend) Fill(t backend.Tensor, v float32) {
	b.fill(b.tensor("Fill", t).data, v)
}

// Copy copies src into dst, which must have the same number of elements.
func (b *Backend) Copy(dst, src backend.Tensor) {
	d, s := b.tensor("Copy", dst), b.tensor("Copy", src)
	if len(d.data) != len(s.data) {
		panic(fmt.Sprintf("cpu: Copy: lengths differ: dst %v, src %v", d.shape, s.shape))
	}
	copy(d.data, s.data)
}

// Sync returns nil: every op has finished when it returns, and none fails
// other than by panicking. It panics if the backend is closed.
func (b *Backend) Sync() error {
	b.checkOpen("Sync")
	return nil
}

// Close frees every tensor the backend allocated; using the backend or any
// of its tensors afterwards panics. Closing twice returns an error.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("cpu: Close: backend already closed")
	}
	b.closed = true
	for t := range b.live {
		t.data, t.ints = nil, nil
	}
	b.live = nil
	return nil
}

func (b *Backend) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

func (b *Backend) checkOpen(op string) {
	if b.isClosed() {
		panic("cpu: " + op + ": backend is closed")
	}
}

// tensor returns t as a float32 tensor of b, panicking with the op's name
// if t is nil, of another backend, freed, not float32, or b is closed.
func (b *Backend) tensor(op string, t backend.Tensor) *tensor {
	ct := b.anyTensor(op, t)
	if ct.dtype != backend.Float32 {
		panic(fmt.Sprintf("cpu: %s: tensor of shape %v holds %v, want float32", op, ct.shape, ct.dtype))
	}
	return ct
}

// int32Tensor returns t as an int32 tensor of b, panicking with the op's
// name if t is nil, of another backend, freed, not int32, or b is closed.
func (b *Backend) int32Tensor(op string, t backend.Tensor) *tensor {
	ct := b.anyTensor(op, t)
	if ct.dtype != backend.Int32 {
		panic(fmt.Sprintf("cpu: %s: tensor of shape %v holds %v, want int32", op, ct.shape, ct.dtype))
	}
	return ct
}

// anyTensor returns t as a tensor of b of any element type, panicking with
// the op's name if t is nil, of another backend, freed, or b is closed.
func (b *Backend) anyTensor(op string, t backend.Tensor) *tensor {
	ct, ok := t.(*tensor)
	switch {
	case t == nil:
		panic("cpu: " + op + ": nil tensor")
	case !ok:
		panic(fmt.Sprintf("cpu: %s: tensor of shape %v belongs to another backend (%T)", op, t.Shape(), t))
	case ct.owner != b:
		panic(fmt.Sprintf("cpu: %s: tensor of shape %v belongs to another cpu backend", op, ct.shape))
	case ct.freed():
		if b.isClosed() {
			panic(fmt.Sprintf("cpu: %s: backend is closed (tensor of shape %v)", op, ct.shape))
		}
		if ct.base != nil {
			panic(fmt.Sprintf("cpu: %s: view of shape %v used after its base %v was freed", op, ct.shape, ct.base.shape))
		}
		if op == "Free" {
			panic(fmt.Sprintf("cpu: Free: tensor of shape %v freed twice", ct.shape))
		}
		panic(fmt.Sprintf("cpu: %s: tensor of shape %v used after Free", op, ct.shape))
	}
	return ct
}
