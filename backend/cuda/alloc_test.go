//go:build cuda

package cuda

import "testing"

func TestSizeClass(t *testing.T) {
	for _, c := range []struct{ n, want uint64 }{
		{1, 256}, {256, 256}, {257, 512}, {4000, 4096}, {1 << 20, 1 << 20},
		{1<<20 + 1, 1<<20 + 1<<18}, {3 << 20, 3 << 20}, {(5 << 20) + 7, 6 << 20}, {1 << 30, 1 << 30},
	} {
		if got := sizeClass(c.n); got != c.want {
			t.Errorf("sizeClass(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	for n := uint64(1); n < 1<<26; n = n*3/2 + 1 {
		s := sizeClass(n)
		if s < n || (n > minBlock && float64(s) > 2*float64(n)) || (n > 1<<20 && float64(s) > 1.25*float64(n)) {
			t.Errorf("sizeClass(%d) = %d: too small or too wasteful", n, s)
		}
	}
}

func TestCache(t *testing.T) {
	c := cache{free: map[uint64][]uint64{}}
	if _, ok := c.take(512); ok {
		t.Fatal("take from an empty cache succeeded")
	}
	c.inUse = 1024
	c.put(0x1000, 512)
	c.put(0x2000, 512)
	if p, ok := c.take(512); !ok || p != 0x2000 || c.cached != 512 || c.inUse != 512 {
		t.Errorf("take = %#x, %v; cached %d, inUse %d; want 0x2000, true, 512, 512", p, ok, c.cached, c.inUse)
	}
	if ps := c.drain(); len(ps) != 1 || ps[0] != 0x1000 || c.cached != 0 {
		t.Errorf("drain = %#x, cached %d; want [0x1000], 0", ps, c.cached)
	}
}
