//go:build cuda

package cuda

import "math/bits"

// minBlock is the smallest block the allocator hands out, in bytes.
const minBlock = 256

// sizeClass returns the block size used for a request of n bytes: a power
// of two up to 1 MiB, above that the next multiple of a quarter of the
// power of two below n (at most 25% waste).
func sizeClass(n uint64) uint64 {
	if n <= minBlock {
		return minBlock
	}
	if n <= 1<<20 {
		return 1 << bits.Len64(n-1)
	}
	q := uint64(1) << (bits.Len64(n) - 3) // a quarter of the power of two ≤ n
	return (n + q - 1) / q * q
}

// cache keeps freed device blocks by size class for reuse. Reuse is safe
// without waiting because all work runs on one stream: anything queued
// after a block is handed out again runs after the work queued before it
// was freed.
type cache struct {
	free    map[uint64][]uint64 // size class → device addresses
	cached  uint64              // bytes held in free
	inUse   uint64              // bytes handed out
	devAllc int                 // cuMemAlloc calls made
}

// take returns a cached block of class size, if there is one.
func (c *cache) take(size uint64) (uint64, bool) {
	l := c.free[size]
	if len(l) == 0 {
		return 0, false
	}
	p := l[len(l)-1]
	c.free[size] = l[:len(l)-1]
	c.cached -= size
	c.inUse += size
	return p, true
}

// put caches block p of class size.
func (c *cache) put(p, size uint64) {
	c.free[size] = append(c.free[size], p)
	c.cached += size
	c.inUse -= size
}

// drain empties the cache and returns every block it held.
func (c *cache) drain() []uint64 {
	var ps []uint64
	for size, l := range c.free {
		ps = append(ps, l...)
		delete(c.free, size)
	}
	c.cached = 0
	return ps
}
