package cpu

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/myelin-go/myelin/backend"
)

var _ backend.Allocator = (*Backend)(nil)

// TryAlloc is Alloc, returning an error instead of panicking when the
// tensor cannot be allocated: a dimension not positive, or, wrapping
// backend.ErrOutOfMemory, more bytes than memoryLimit allows (more than
// the machine's memory, or than the Go runtime's memory limit when one is
// set with GOMEMLIMIT or debug.SetMemoryLimit). The backend stays usable
// after an error. Like Alloc, it panics if the backend is closed. A size under the limit that the system still cannot
// provide ends the program, as any Go allocation that fails does.
func (b *Backend) TryAlloc(shape ...int) (backend.Tensor, error) {
	t, err := b.alloc("TryAlloc", backend.Float32, shape)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// mustAlloc is alloc for Alloc and AllocInt32: it panics with alloc's
// error, as a string but for out-of-memory errors, which stay errors that
// a recovering caller can test with errors.Is.
func (b *Backend) mustAlloc(op string, dt backend.DType, shape []int) *tensor {
	t, err := b.alloc(op, dt, shape)
	if errors.Is(err, backend.ErrOutOfMemory) {
		panic(err)
	}
	if err != nil {
		panic(err.Error())
	}
	return t
}

// alloc returns a new zero-filled tensor of type dt and the given shape,
// registered as live, or an error naming op if a dimension is not
// positive or the tensor is larger than memoryLimit. It panics if the
// backend is closed.
func (b *Backend) alloc(op string, dt backend.DType, shape []int) (*tensor, error) {
	limit := memoryLimit() / 4 // both element types are 4 bytes
	n := 1
	for _, d := range shape {
		if d < 1 {
			return nil, fmt.Errorf("cpu: %s: non-positive dimension in shape %v", op, shape)
		}
		if int64(d) > limit/int64(n) {
			return nil, fmt.Errorf("cpu: %s: tensor of shape %v needs more than the %d bytes of memory available (the machine's memory or the Go memory limit): %w",
				op, shape, limit*4, backend.ErrOutOfMemory)
		}
		n *= d
	}
	s := append(backend.Shape(nil), shape...)
	t := &tensor{shape: s, rows: s.Rows(), cols: s.Cols(), dtype: dt, owner: b}
	if dt == backend.Int32 {
		t.ints = make([]int32, n)
	} else {
		t.data = make([]float32, n)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		panic("cpu: " + op + ": backend is closed")
	}
	b.live[t] = struct{}{}
	return t, nil
}

// memoryLimit returns the most bytes one tensor may take: the smaller of
// the machine's memory (MemTotal in /proc/meminfo, where there is one) and
// the Go runtime's memory limit.
func memoryLimit() int64 {
	return min(machineMemory(), debug.SetMemoryLimit(-1))
}

// machineMemory returns MemTotal from /proc/meminfo in bytes, or
// math.MaxInt64 where it cannot be read.
var machineMemory = sync.OnceValue(func() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return math.MaxInt64
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// The line reads "MemTotal:       131891288 kB".
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil && kb > 0 && kb < math.MaxInt64/1024 {
				return kb * 1024
			}
		}
	}
	return math.MaxInt64
})
