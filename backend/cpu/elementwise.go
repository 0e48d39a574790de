package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// Add writes c = a + b elementwise; c may be a or b.
func (b *Backend) Add(a, bt, c backend.Tensor) {
	ta, tb, tc := b.tensor("Add", a), b.tensor("Add", bt), b.tensor("Add", c)
	checkSameLen("Add", []string{"a", "b", "c"}, ta, tb, tc)
	parallelFor(len(ta.data), elemGrain, func(_, lo, hi int) {
		x, y, z := ta.data[lo:hi], tb.data[lo:hi], tc.data[lo:hi]
		for i, v := range x {
			z[i] = v + y[i]
		}
	})
}

// Mul writes c = a∘b elementwise; c may be a or b.
func (b *Backend) Mul(a, bt, c backend.Tensor) {
	ta, tb, tc := b.tensor("Mul", a), b.tensor("Mul", bt), b.tensor("Mul", c)
	checkSameLen("Mul", []string{"a", "b", "c"}, ta, tb, tc)
	parallelFor(len(ta.data), elemGrain, func(_, lo, hi int) {
		x, y, z := ta.data[lo:hi], tb.data[lo:hi], tc.data[lo:hi]
		for i, v := range x {
			z[i] = v * y[i]
		}
	})
}

// Scale sets x = alpha·x.
func (b *Backend) Scale(alpha float32, x backend.Tensor) {
	d := b.tensor("Scale", x).data
	parallelFor(len(d), elemGrain, func(_, lo, hi int) {
		s := d[lo:hi]
		for i := range s {
			s[i] *= alpha
		}
	})
}

// Axpy sets y = alpha·x + y.
func (b *Backend) Axpy(alpha float32, x, y backend.Tensor) {
	tx, ty := b.tensor("Axpy", x), b.tensor("Axpy", y)
	checkSameLen("Axpy", []string{"x", "y"}, tx, ty)
	parallelFor(len(tx.data), elemGrain, func(_, lo, hi int) {
		xs, ys := tx.data[lo:hi], ty.data[lo:hi]
		for i, v := range xs {
			ys[i] += alpha * v
		}
	})
}

// channels returns the batch size, channels and per-channel spatial size
// of y read as [N, C, spatial…], after checking that b has C elements.
func channels(op, yName string, y, b *tensor) (n, c, spatial int) {
	if len(y.shape) < 2 || len(b.data) != y.shape[1] {
		panic(fmt.Sprintf("cpu: %s: %s has shape %v and the bias %v: want %s at least 2-D with Shape[1] equal to the bias length", op, yName, y.shape, b.shape, yName))
	}
	n, c = y.shape[0], y.shape[1]
	return n, c, len(y.data) / (n * c)
}

// AddBias adds b[c] to every y[n, c, …].
func (b *Backend) AddBias(y, bias backend.Tensor) {
	ty, tb := b.tensor("AddBias", y), b.tensor("AddBias", bias)
	n, c, spatial := channels("AddBias", "y", ty, tb)
	parallelFor(n*c, max(1, elemGrain/spatial), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			v := tb.data[i%c]
			s := ty.data[i*spatial : (i+1)*spatial]
			for k := range s {
				s[k] += v
			}
		}
	})
}

// BiasGrad overwrites db[c] with Σₙ Σₛ dy[n, c, s], summed in float64 in
// the order of n and s.
func (b *Backend) BiasGrad(dy, db backend.Tensor) {
	tdy, tdb := b.tensor("BiasGrad", dy), b.tensor("BiasGrad", db)
	n, c, spatial := channels("BiasGrad", "dy", tdy, tdb)
	parallelFor(c, max(1, elemGrain/(n*spatial)), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s float64
			for i := 0; i < n; i++ {
				for _, v := range tdy.data[(i*c+ch)*spatial : (i*c+ch+1)*spatial] {
					s += float64(v)
				}
			}
			tdb.data[ch] = float32(s)
		}
	})
}

// Sum writes the sum of all elements of x into dst[0], accumulated in
// float64 over fixed chunks whose sums are added in order.
func (b *Backend) Sum(x, dst backend.Tensor) {
	tx, td := b.tensor("Sum", x), b.tensor("Sum", dst)
	checkScalar("Sum", "dst", td)
	s := chunkedSum(len(tx.data), sumChunk, 1, func(lo, hi int) float64 {
		var s float64
		for _, v := range tx.data[lo:hi] {
			s += float64(v)
		}
		return s
	})
	td.data[0] = float32(s)
}
