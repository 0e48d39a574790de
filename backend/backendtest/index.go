package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// uploadInts allocates an int32 tensor of the given shape on x and uploads
// data into it.
func uploadInts(t testing.TB, x backend.Indexer, data []int32, shape ...int) backend.Tensor {
	t.Helper()
	ts := x.AllocInt32(shape...)
	if !ts.Shape().Equal(shape) {
		t.Fatalf("AllocInt32(%v) returned a tensor of shape %v", shape, ts.Shape())
	}
	x.UploadInt32(ts, data)
	return ts
}

// downloadInts returns the contents of the int32 tensor ts.
func downloadInts(x backend.Indexer, ts backend.Tensor) []int32 {
	dst := make([]int32, ts.Shape().Len())
	x.DownloadInt32(dst, ts)
	return dst
}

// randomIndices returns n indices drawn uniformly from [0, v).
func randomIndices(rng *rand.Rand, n, v int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(rng.Intn(v))
	}
	return idx
}

// gatherRef returns out[i, :] = table[idx[i], :] for a table of d columns.
func gatherRef[E float32 | int32](table []E, idx []int32, d int) []E {
	out := make([]E, 0, len(idx)*d)
	for _, r := range idx {
		out = append(out, table[int(r)*d:(int(r)+1)*d]...)
	}
	return out
}

// checkGather checks Gather against host row copies, exactly: repeated,
// all-same and multi-dimensional indices, a one-column table, an int32
// table, views as table and output, and a size large enough to be split
// between threads.
func checkGather(t *testing.T, b backend.Backend) {
	x := need[backend.Indexer](t, b)
	rng := newRand(62)
	for _, c := range []struct {
		v, d     int
		idxShape []int
		same     bool
	}{
		{1, 1, []int{1}, false},
		{11, 5, []int{17}, false},
		{11, 5, []int{9}, true},
		{7, 1, []int{20}, false},
		{13, 3, []int{4, 6}, false},
		{300, 1000, []int{500}, false},
	} {
		n := backend.Shape(c.idxShape).Len()
		table := uniform(rng, c.v*c.d, -1, 1)
		idx := randomIndices(rng, n, c.v)
		if c.same {
			for i := range idx {
				idx[i] = int32(c.v - 1)
			}
		}
		tt, ti := upload(t, b, table, c.v, c.d), uploadInts(t, x, idx, c.idxShape...)
		outShape := append(append([]int(nil), c.idxShape...), c.d)
		out := poisoned(t, b, outShape...)
		x.Gather(tt, ti, out)
		expectBits(t, fmt.Sprintf("Gather(table [%d, %d], idx %v)", c.v, c.d, c.idxShape), download(b, out), gatherRef(table, idx, c.d))
	}

	// An int32 table: labels picked out of a data set.
	labels := randomIndices(rng, 50, 10)
	idx := randomIndices(rng, 16, 50)
	out := x.AllocInt32(16)
	x.Gather(uploadInts(t, x, labels, 50), uploadInts(t, x, idx, 16), out)
	expectInts(t, "Gather of an int32 table", downloadInts(x, out), gatherRef(labels, idx, 1))

	// Views: rows of a larger table, into rows of a larger output.
	if v, ok := b.(backend.Viewer); ok {
		table := uniform(rng, 9*4, -1, 1)
		idx := randomIndices(rng, 5, 6)
		tt := upload(t, b, table, 9, 4)
		ob := poisoned(t, b, 8, 4)
		x.Gather(v.Slice(tt, 2, 8), uploadInts(t, x, idx, 5), v.Slice(ob, 1, 6))
		want := nans(32)
		copy(want[4:24], gatherRef(table[8:], idx, 4))
		expectBits(t, "Gather from a Slice into a Slice", download(b, ob), want)
	}
}

// checkScatterAdd checks ScatterAdd: the result must be the float32 sum of
// the table row and the source rows in the order of i (so the same bits
// on every run), checked bit for bit against that sum and, to the
// summation bound, against the float64 sum; with repeated and all-same
// indices, and sizes large enough to be split between threads both by
// columns and by rows.
func checkScatterAdd(t *testing.T, b backend.Backend) {
	x := need[backend.Indexer](t, b)
	rng := newRand(63)
	for _, c := range []struct {
		v, d, n int
		same    bool
	}{
		{1, 1, 1, false},
		{11, 5, 17, false},
		{5, 40, 300, true},
		{7, 1, 50, false},
		{50, 1000, 400, false},
		{5000, 8, 20000, false},
		{3, 2000, 100, true},
	} {
		name := fmt.Sprintf("ScatterAdd(src [%d, %d], table [%d, %d])", c.n, c.d, c.v, c.d)
		table, src := uniform(rng, c.v*c.d, -1, 1), uniform(rng, c.n*c.d, -1, 1)
		idx := randomIndices(rng, c.n, c.v)
		if c.same {
			for i := range idx {
				idx[i] = 1 % int32(c.v)
			}
		}
		ts, ti := upload(t, b, src, c.n, c.d), uploadInts(t, x, idx, c.n)
		seq := append([]float32(nil), table...)
		want, mag := wide(table), absAll(wide(table))
		count := make([]int, c.v)
		for i, r := range idx {
			count[r]++
			for j := range c.d {
				seq[int(r)*c.d+j] += src[i*c.d+j]
				want[int(r)*c.d+j] += float64(src[i*c.d+j])
				mag[int(r)*c.d+j] += math.Abs(float64(src[i*c.d+j]))
			}
		}
		var first []float32
		for run := range 2 {
			tt := upload(t, b, table, c.v, c.d)
			x.ScatterAdd(ts, ti, tt)
			got := download(b, tt)
			if run == 0 {
				first = got
				expectClose(t, name+" vs the float64 sum", got, want, sumBounds(mag, slicesMax(count)+1))
				expectBits(t, name+" vs the float32 sum in the order of i", got, seq)
			} else {
				expectBits(t, name+": second run vs first", got, first)
			}
		}
	}
}

// slicesMax returns the largest element of a non-empty x.
func slicesMax(x []int) int {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

// checkOneHot checks OneHot exactly, for labels of one and two dimensions
// and a single class.
func checkOneHot(t *testing.T, b backend.Backend) {
	x := need[backend.Indexer](t, b)
	rng := newRand(64)
	for _, c := range []struct {
		shape []int
		k     int
	}{{[]int{1}, 1}, {[]int{13}, 7}, {[]int{3, 4}, 5}, {[]int{9}, 1}, {[]int{2000}, 33}} {
		n := backend.Shape(c.shape).Len()
		labels := randomIndices(rng, n, c.k)
		out := poisoned(t, b, append(append([]int(nil), c.shape...), c.k)...)
		x.OneHot(uploadInts(t, x, labels, c.shape...), out)
		want := make([]float32, n*c.k)
		for i, l := range labels {
			want[i*c.k+int(l)] = 1
		}
		expectBits(t, fmt.Sprintf("OneHot(labels %v, K=%d)", c.shape, c.k), download(b, out), want)
	}
}

// checkCountCorrectLabels checks CountCorrectLabels exactly, with ties
// (the first maximum wins), one class, and a count that accumulates.
func checkCountCorrectLabels(t *testing.T, b backend.Backend) {
	x := need[backend.Indexer](t, b)
	rng := newRand(65)
	for _, c := range []struct{ n, k int }{{1, 1}, {7, 1}, {9, 4}, {5000, 10}} {
		pred := uniform(rng, c.n*c.k, -1, 1)
		// Ties: every third row repeats its maximum at a later column.
		for r := 0; r < c.n; r += 3 {
			row := pred[r*c.k : (r+1)*c.k]
			am := argmaxFirst(row)
			row[(am+1+rng.Intn(c.k))%c.k] = row[am]
		}
		labels := randomIndices(rng, c.n, c.k)
		for r := 0; r < c.n; r += 2 {
			// Half the labels name a maximum: the first, or a later tie.
			row := pred[r*c.k : (r+1)*c.k]
			am := argmaxFirst(row)
			labels[r] = int32(am)
			for j := c.k - 1; j > am; j-- {
				if row[j] == row[am] && rng.Intn(2) == 0 {
					labels[r] = int32(j)
					break
				}
			}
		}
		correct := 0
		for r, l := range labels {
			if argmaxFirst(pred[r*c.k:(r+1)*c.k]) == int(l) {
				correct++
			}
		}
		count := upload(t, b, []float32{2.5}, 1)
		x.CountCorrectLabels(upload(t, b, pred, c.n, c.k), uploadInts(t, x, labels, c.n), count)
		expectBits(t, fmt.Sprintf("CountCorrectLabels(pred [%d, %d]) added to 2.5", c.n, c.k), download(b, count), []float32{2.5 + float32(correct)})
	}
}
