package backendtest

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// runBatchMatMul runs one BatchMatMul of batch products of case c on b and
// compares every product with matMulRef. When beta is 0, C starts as NaN.
// With view set, C is rows [1, 1+batch) of a NaN tensor of batch+2 rows,
// whose other rows must stay NaN.
func runBatchMatMul(t *testing.T, b backend.Backend, bm backend.BatchMatMuler, rng *rand.Rand, batch int, c mmCase, view bool) {
	t.Helper()
	sa, sb, sc := c.shapes()
	name := fmt.Sprintf("BatchMatMul(B=%d, transA=%v, transB=%v, alpha=%g, A%v, B%v, beta=%g, C%v)",
		batch, c.transA, c.transB, c.alpha, sa, sb, c.beta, sc)
	per := [3]int{c.m * c.k, c.k * c.n, c.m * c.n}
	a := uniform(rng, batch*per[0], -1, 1)
	bb := uniform(rng, batch*per[1], -1, 1)
	cIn := nans(batch * per[2])
	if c.beta != 0 {
		cIn = uniform(rng, batch*per[2], -1, 1)
	}
	ta := upload(t, b, a, batch, sa[0], sa[1])
	tb := upload(t, b, bb, batch, sb[0], sb[1])
	var tc, cBase backend.Tensor
	if view {
		v := need[backend.Viewer](t, b)
		cBase = upload(t, b, append(append(nans(per[2]), cIn...), nans(per[2])...), batch+2, sc[0], sc[1])
		tc = v.Slice(cBase, 1, 1+batch)
		name += " into a Slice"
	} else {
		tc = upload(t, b, cIn, batch, sc[0], sc[1])
	}
	bm.BatchMatMul(c.transA, c.transB, c.alpha, ta, tb, c.beta, tc)
	got := download(b, tc)
	for i := range batch {
		want, mag := matMulRef(c, wide(a[i*per[0]:(i+1)*per[0]]), wide(bb[i*per[1]:(i+1)*per[1]]), wide(cIn[i*per[2]:(i+1)*per[2]]))
		if !expectClose(t, fmt.Sprintf("%s, product %d", name, i), got[i*per[2]:(i+1)*per[2]], want, sumBounds(mag, c.k)) {
			return
		}
	}
	if view {
		all := download(b, cBase)
		expectBits(t, name+": rows of C outside the view", append(all[:per[2]:per[2]], all[(1+batch)*per[2]:]...), nans(2*per[2]))
	}
}

// checkBatchMatMul checks BatchMatMul on awkward sizes (B = 1, m, n or k
// = 1, odd sizes) in every transpose combination with several alpha and
// beta (beta 0 with NaN in C), on a batch large enough to be split between
// threads, and with C a view.
func checkBatchMatMul(t *testing.T, b backend.Backend) {
	bm := need[backend.BatchMatMuler](t, b)
	rng := newRand(66)
	scales := []struct{ alpha, beta float32 }{{1, 0}, {-0.5, 1}, {2.5, 0.75}}
	sizes := [][4]int{ // batch, m, n, k
		{1, 1, 1, 1}, {1, 5, 7, 3}, {3, 1, 9, 6}, {4, 8, 1, 6}, {2, 5, 7, 1}, {5, 13, 5, 7}, {3, 33, 17, 65},
	}
	for _, s := range sizes {
		for trans := range 4 {
			for _, sc := range scales {
				runBatchMatMul(t, b, bm, rng, s[0], mmCase{m: s[1], n: s[2], k: s[3],
					transA: trans&1 != 0, transB: trans&2 != 0, alpha: sc.alpha, beta: sc.beta}, false)
			}
		}
	}
	big := 64
	if testing.Short() {
		big = 8
	}
	for trans := range 4 {
		runBatchMatMul(t, b, bm, rng, big, mmCase{m: 64, n: 64, k: 64,
			transA: trans&1 != 0, transB: trans&2 != 0, alpha: 1}, false)
	}
	runBatchMatMul(t, b, bm, rng, 2, mmCase{m: 130, n: 129, k: 70, alpha: 1, beta: 0.5}, false)
	if _, ok := b.(backend.Viewer); ok {
		runBatchMatMul(t, b, bm, rng, 3, mmCase{m: 6, n: 5, k: 4, transB: true, alpha: 1}, true)
		runBatchMatMul(t, b, bm, rng, 6, mmCase{m: 20, n: 9, k: 11, transA: true, alpha: -1, beta: 2}, true)
	}
}

// checkTryAlloc checks that TryAlloc returns a tensor of the shape asked
// for, that a tensor larger than any memory is an error wrapping
// backend.ErrOutOfMemory rather than a crash, and that the backend is
// usable afterwards.
func checkTryAlloc(t *testing.T, b backend.Backend) {
	a := need[backend.Allocator](t, b)
	x, err := a.TryAlloc(3, 5)
	if err != nil {
		t.Fatalf("TryAlloc(3, 5): %v", err)
	}
	if !x.Shape().Equal([]int{3, 5}) {
		t.Errorf("TryAlloc(3, 5): shape %v", x.Shape())
	}
	for _, shape := range [][]int{{1 << 40, 1 << 40}, {1 << 50}, {1 << 20, 1 << 20, 1 << 20, 1 << 20}} {
		y, err := a.TryAlloc(shape...)
		if !errors.Is(err, backend.ErrOutOfMemory) {
			t.Errorf("TryAlloc(%v): tensor %v, error %v; want an error wrapping backend.ErrOutOfMemory", shape, y, err)
		}
	}
	data := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	b.Upload(x, data)
	expectBits(t, "tensor of TryAlloc after failed TryAllocs", download(b, x), data)
}
