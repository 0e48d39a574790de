//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// Priority is the auto-selection priority of the cuda backend, above the
// CPU's 0.
const Priority = 10

func init() {
	backend.Register("cuda", Priority, func() (backend.Backend, error) {
		o, err := OptionsFromEnv()
		if err != nil {
			return nil, err
		}
		return New(o)
	})
}

// Backend is the CUDA implementation of backend.Backend on one GPU. Its
// methods may be called from several goroutines; the ops all go to one
// stream, in the order of the calls.
type Backend struct {
	d    *device
	opts Options

	mu      sync.Mutex
	cache   cache
	live    map[*tensor]struct{} // tensors allocated and not freed
	err     error                // the first failure, reported by Sync (sticky)
	closed  bool
	idxErr  uint64 // device words where the index kernels record an index out of range
	indexed bool   // an index kernel has been queued since idxErr was last read
}

var (
	_ backend.Backend       = (*Backend)(nil)
	_ backend.Viewer        = (*Backend)(nil)
	_ backend.Math          = (*Backend)(nil)
	_ backend.Reducer       = (*Backend)(nil)
	_ backend.Indexer       = (*Backend)(nil)
	_ backend.BatchMatMuler = (*Backend)(nil)
	_ backend.Allocator     = (*Backend)(nil)
	_ backend.Recurrent     = (*Backend)(nil)
	_ backend.Shifter       = (*Backend)(nil)
	_ backend.ConvPooler    = (*Backend)(nil)
	_ backend.ConvActivator = (*Backend)(nil)
)

// idxErrBytes is the size of the index-error words: the op's code, the
// index and the bound (see report_index in kernels/myelin.cuh).
const idxErrBytes = 16

// New opens the GPU that o names. It returns an error when the driver,
// a GPU or cuBLAS is missing or the kernels do not load, saying which.
func New(o Options) (*Backend, error) {
	d, err := openDevice(o.Device, o.TF32)
	if err != nil {
		return nil, err
	}
	flag, err := d.alloc(idxErrBytes)
	if err != nil {
		d.close()
		return nil, err
	}
	if err := d.fill(flag, 0, idxErrBytes/4); err != nil {
		d.free(flag)
		d.close()
		return nil, err
	}
	return &Backend{d: d, opts: o, cache: cache{free: map[uint64][]uint64{}}, live: map[*tensor]struct{}{}, idxErr: flag}, nil
}

// tensor is a device array of float32 or int32. A tensor that Alloc made
// owns its block, and ptr is 0 once it is freed; a view (base not nil)
// addresses memory inside its base's block and lives as long as the base.
type tensor struct {
	shape backend.Shape
	ptr   uint64
	size  uint64 // bytes of the block, its size class (0 for a view)
	dtype backend.DType
	base  *tensor // the tensor that owns the memory, for a view
	owner *Backend
}

// Shape returns the tensor's dimensions.
func (t *tensor) Shape() backend.Shape { return t.shape }

// DType returns the tensor's element type.
func (t *tensor) DType() backend.DType { return t.dtype }

// root returns the tensor that owns t's memory: t, or its base.
func (t *tensor) root() *tensor {
	if t.base != nil {
		return t.base
	}
	return t
}

// bytes returns the device address range [lo, hi) of t's elements.
func (t *tensor) bytes() (lo, hi uint64) { return t.ptr, t.ptr + 4*uint64(t.len()) }

// overlaps reports whether t and u share any device memory.
func (t *tensor) overlaps(u *tensor) bool {
	tl, th := t.bytes()
	ul, uh := u.bytes()
	return tl < uh && ul < th
}

// len returns the number of elements.
func (t *tensor) len() int { return t.shape.Len() }

// Name returns "cuda".
func (b *Backend) Name() string { return "cuda" }

// Device describes the GPU: name, compute capability, SMs, memory, the
// driver's CUDA version, cuBLAS's version, the PTX and whether GEMMs use
// TF32.
func (b *Backend) Device() string { return b.d.describe(b.opts.TF32) }

// Alloc returns a new tensor of the given shape with unspecified contents.
// It panics if a dimension is not positive, and when the device is out of
// memory even after the allocator's cache has been returned to it; the
// panic value is then the error TryAlloc would return, which wraps
// backend.ErrOutOfMemory.
func (b *Backend) Alloc(shape ...int) backend.Tensor {
	t, err := b.alloc("Alloc", backend.Float32, shape)
	if err != nil {
		panic(err)
	}
	return t
}

// TryAlloc is Alloc returning the device's failure as an error instead of
// panicking: on CUDA_ERROR_OUT_OF_MEMORY (after the allocator's cache has
// been returned to the device and the allocation tried again) the error
// wraps backend.ErrOutOfMemory and the *Error of the driver, and the
// backend stays usable. A non-positive dimension still panics.
func (b *Backend) TryAlloc(shape ...int) (backend.Tensor, error) {
	t, err := b.alloc("TryAlloc", backend.Float32, shape)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// alloc makes a tensor of type dt for op, panicking if a dimension is not
// positive or b is closed, and returning the device's failure.
func (b *Backend) alloc(op string, dt backend.DType, shape []int) (*tensor, error) {
	for _, d := range shape {
		if d < 1 {
			panic(fmt.Sprintf("cuda: %s: non-positive dimension in shape %v", op, shape))
		}
	}
	s := append(backend.Shape(nil), shape...)
	n := uint64(4) // bytes
	for _, d := range shape {
		if n > math.MaxInt64/uint64(d) {
			return nil, fmt.Errorf("cuda: %s: shape %v: more than 2⁶³ bytes: %w", op, shape, backend.ErrOutOfMemory)
		}
		n *= uint64(d)
	}
	t := &tensor{shape: s, dtype: dt, owner: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		panic("cuda: " + op + ": backend is closed")
	}
	var err error
	t.ptr, t.size, err = b.allocLocked(op+" "+s.String(), n)
	if err != nil {
		return nil, err
	}
	b.live[t] = struct{}{}
	return t, nil
}

// allocLocked returns a block of at least n bytes and its size class,
// from the cache if it can. When the device is out of memory it returns
// the cache to the device and tries once more; if that fails too, or the
// request is larger than the device's memory, the error wraps
// backend.ErrOutOfMemory. Other failures are recorded for Sync as well.
// b.mu must be held.
func (b *Backend) allocLocked(op string, n uint64) (uint64, uint64, error) {
	size := sizeClass(n)
	if p, ok := b.cache.take(size); ok {
		return p, size, nil
	}
	p, err := b.d.alloc(size)
	if isOOM(err) && b.cache.cached > 0 {
		b.releaseCacheLocked()
		p, err = b.d.alloc(size)
	}
	if err != nil {
		free, total, _ := b.d.memInfo()
		msg := fmt.Sprintf("cuda: %s: cannot allocate %d bytes (%d of %d bytes free, %d in use by this backend)", op, size, free, total, b.cache.inUse)
		// A request beyond the device's memory is out of memory whatever
		// the driver calls it.
		if isOOM(err) || size > b.d.info.mem {
			return 0, 0, fmt.Errorf("%s: %w: %w", msg, backend.ErrOutOfMemory, err)
		}
		err = fmt.Errorf("%s: %w", msg, err)
		b.recordLocked(err)
		return 0, 0, err
	}
	b.cache.devAllc++
	b.cache.inUse += size
	return p, size, nil
}

// isOOM reports whether err is the driver's CUDA_ERROR_OUT_OF_MEMORY.
func isOOM(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Name == "CUDA_ERROR_OUT_OF_MEMORY"
}

// releaseCacheLocked waits for the stream and frees every cached block.
// b.mu must be held.
func (b *Backend) releaseCacheLocked() {
	b.recordLocked(b.d.sync())
	for _, p := range b.cache.drain() {
		b.recordLocked(b.d.free(p))
	}
}

// Free returns t's memory to the backend's cache; the views of t die with
// it. Freeing nil or a view is a no-op (a view's memory is its base's);
// freeing a tensor twice panics.
func (b *Backend) Free(t backend.Tensor) {
	if t == nil {
		return
	}
	if ct, ok := t.(*tensor); ok && ct.owner == b && ct.base != nil {
		return
	}
	ct := b.anyTensor("Free", t)
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.live, ct)
	b.cache.put(ct.ptr, ct.size)
	ct.ptr = 0
}

// scratch returns a temporary block of at least n bytes for op; release
// it with done once the work that uses it is queued.
func (b *Backend) scratch(op string, n uint64) (p uint64, done func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, size, err := b.allocLocked(op, n)
	if err != nil {
		panic(err)
	}
	return p, func() {
		b.mu.Lock()
		b.cache.put(p, size)
		b.mu.Unlock()
	}
}

// Upload copies src into dst; src may be reused when Upload returns.
func (b *Backend) Upload(dst backend.Tensor, src []float32) {
	d := b.tensor("Upload", dst)
	if len(src) != d.len() {
		panic(fmt.Sprintf("cuda: Upload: %d values into tensor of shape %v (%d elements)", len(src), d.shape, d.len()))
	}
	b.record("Upload", upload(b.d, d.ptr, src))
}

// Download copies src into dst once the work that writes src is done. If
// the backend has met an error, dst's contents are unspecified and Sync
// reports the error.
func (b *Backend) Download(dst []float32, src backend.Tensor) {
	s := b.tensor("Download", src)
	if len(dst) != s.len() {
		panic(fmt.Sprintf("cuda: Download: tensor of shape %v (%d elements) into %d values", s.shape, s.len(), len(dst)))
	}
	b.record("Download", download(b.d, dst, s.ptr))
}

// Fill sets every element of t to v.
func (b *Backend) Fill(t backend.Tensor, v float32) {
	d := b.tensor("Fill", t)
	b.record("Fill", b.d.fill(d.ptr, v, d.len()))
}

// Copy copies src into dst, which must have the same number of elements.
func (b *Backend) Copy(dst, src backend.Tensor) {
	d, s := b.tensor("Copy", dst), b.tensor("Copy", src)
	if d.len() != s.len() {
		panic(fmt.Sprintf("cuda: Copy: lengths differ: dst %v, src %v", d.shape, s.shape))
	}
	b.record("Copy", b.d.copy(d.ptr, s.ptr, d.len()))
}

// Sync waits for all queued work and returns the first error the backend
// met, on this and every later call.
func (b *Backend) Sync() error {
	b.checkOpen("Sync")
	b.record("Sync", b.d.sync())
	b.mu.Lock()
	defer b.mu.Unlock()
	b.checkIndexLocked()
	return b.err
}

// Close waits for the queued work, frees every tensor and cached block,
// and releases the GPU. It returns the first error met, by the work or by
// the release; closing twice is an error.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("cuda: Close: backend already closed")
	}
	b.closed = true
	b.recordLocked(b.d.sync())
	b.checkIndexLocked()
	b.recordLocked(b.d.free(b.idxErr))
	for t := range b.live {
		b.cache.put(t.ptr, t.size)
		t.ptr = 0
	}
	b.live = nil
	b.releaseCacheLocked()
	b.recordLocked(b.d.close())
	return b.err
}

// DeviceAllocs returns how many blocks the backend has allocated on the
// device (cuMemAlloc calls); a steady training loop leaves it unchanged.
func (b *Backend) DeviceAllocs() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cache.devAllc
}

// record keeps err, if it is the first failure; op names the method for
// errors that are not already an *Error.
func (b *Backend) record(op string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if errors.As(err, &e) && e.Op != op {
		err = &Error{Op: op + " (" + e.Op + ")", Name: e.Name, Code: e.Code}
	}
	b.mu.Lock()
	b.recordLocked(err)
	b.mu.Unlock()
}

func (b *Backend) recordLocked(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

func (b *Backend) checkOpen(op string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		panic("cuda: " + op + ": backend is closed")
	}
}

// tensor returns t as a float32 tensor of b, panicking with the op's name
// if t is nil, of another backend, freed (or a view of a freed tensor),
// int32, or b is closed.
func (b *Backend) tensor(op string, t backend.Tensor) *tensor {
	ct := b.anyTensor(op, t)
	if ct.dtype != backend.Float32 {
		panic(fmt.Sprintf("cuda: %s: tensor of shape %v holds %v, want float32", op, ct.shape, ct.dtype))
	}
	return ct
}

// int32Tensor is tensor for an int32 tensor.
func (b *Backend) int32Tensor(op string, t backend.Tensor) *tensor {
	ct := b.anyTensor(op, t)
	if ct.dtype != backend.Int32 {
		panic(fmt.Sprintf("cuda: %s: tensor of shape %v holds %v, want int32", op, ct.shape, ct.dtype))
	}
	return ct
}

// anyTensor is tensor for a tensor of any element type.
func (b *Backend) anyTensor(op string, t backend.Tensor) *tensor {
	ct := b.handle(op, t)
	if ct.root().ptr == 0 {
		b.checkOpen(op)
		switch {
		case ct.base != nil:
			panic(fmt.Sprintf("cuda: %s: view of shape %v used after its base %v was freed", op, ct.shape, ct.base.shape))
		case op == "Free":
			panic(fmt.Sprintf("cuda: Free: tensor of shape %v freed twice", ct.shape))
		}
		panic(fmt.Sprintf("cuda: %s: tensor of shape %v used after Free", op, ct.shape))
	}
	return ct
}

// handle returns t as a tensor of b, alive or not, panicking with the op's
// name if t is nil or of another backend.
func (b *Backend) handle(op string, t backend.Tensor) *tensor {
	ct, ok := t.(*tensor)
	switch {
	case t == nil:
		panic("cuda: " + op + ": nil tensor")
	case !ok:
		panic(fmt.Sprintf("cuda: %s: tensor of shape %v belongs to another backend (%T)", op, t.Shape(), t))
	case ct.owner != b:
		panic(fmt.Sprintf("cuda: %s: tensor of shape %v belongs to another cuda backend", op, ct.shape))
	}
	return ct
}

// grid returns the number of blocks for a grid-stride kernel over n items:
// enough to cover them, at most one full wave of the GPU.
func (b *Backend) grid(n int) int {
	g := (n + kernels.Threads - 1) / kernels.Threads
	return max(1, min(g, 8*b.d.info.sms))
}

// rowGrid returns the number of blocks for a kernel with one warp per row.
func (b *Backend) rowGrid(rows int) int {
	return b.grid(rows * 32)
}

// launch enqueues kernel k on grid blocks, recording a failure under op.
func (b *Backend) launch(op string, k kernels.Kernel, grid int, a *args) {
	b.record(op, b.d.launch(k, grid, a))
}
