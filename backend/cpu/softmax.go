package cpu

import (
	"math"

	"github.com/myelin-go/myelin/backend"
)

// Softmax writes each row of y with softmax(x row)ₖ = e^(xₖ−m)/Σⱼ e^(xⱼ−m),
// m the row maximum. x and y may be the same tensor.
func (b *Backend) Softmax(x, y backend.Tensor) {
	tx, ty := b.tensor("Softmax", x), b.tensor("Softmax", y)
	checkSameShape("Softmax", []string{"x", "y"}, tx, ty)
	rows, cols := tx.shape.Rows(), tx.shape.Cols()
	parallelFor(rows, grainFor(cols*mathCost), func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			in, out := tx.data[r*cols:(r+1)*cols], ty.data[r*cols:(r+1)*cols]
			m := rowMax(in)
			var s float64
			for k, v := range in {
				e := math.Exp(float64(v) - float64(m))
				out[k] = float32(e)
				s += e
			}
			inv := float32(1 / s)
			for k := range out {
				out[k] *= inv
			}
		}
	})
}

// SoftmaxBackward writes dx = y∘(dy − rowsum(dy∘y)). dx may be the same
// tensor as dy or y.
func (b *Backend) SoftmaxBackward(y, dy, dx backend.Tensor) {
	ty, tdy, tdx := b.tensor("SoftmaxBackward", y), b.tensor("SoftmaxBackward", dy), b.tensor("SoftmaxBackward", dx)
	checkSameShape("SoftmaxBackward", []string{"y", "dy", "dx"}, ty, tdy, tdx)
	rows, cols := ty.shape.Rows(), ty.shape.Cols()
	parallelFor(rows, grainFor(2*cols), func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			s, g, out := ty.data[r*cols:(r+1)*cols], tdy.data[r*cols:(r+1)*cols], tdx.data[r*cols:(r+1)*cols]
			var dot float64
			for k, v := range s {
				dot += float64(v) * float64(g[k])
			}
			d := float32(dot)
			for k, v := range s {
				out[k] = v * (g[k] - d)
			}
		}
	})
}

// SoftmaxCrossEntropy writes loss[0] = −(1/N)·Σₙ Σₖ tₙₖ·log softmax(xₙ)ₖ and
// grad = (softmax(x) − t)/N for logits x and target t [N, K], with
// log softmax(xₙ)ₖ = xₙₖ − m − log Σⱼ e^(xₙⱼ−m), m the row maximum. Terms
// with tₙₖ = 0 are left out of the loss. grad may be the same tensor as
// logits or target.
func (b *Backend) SoftmaxCrossEntropy(logits, target, grad, loss backend.Tensor) {
	const op = "SoftmaxCrossEntropy"
	tx, tt, tg, tl := b.tensor(op, logits), b.tensor(op, target), b.tensor(op, grad), b.tensor(op, loss)
	checkSameShape(op, []string{"logits", "target", "grad"}, tx, tt, tg)
	checkScalar(op, "loss", tl)
	rows, cols := tx.shape.Rows(), tx.shape.Cols()
	invN := 1 / float32(rows)
	sum := chunkedSum(rows, max(1, sumChunk/cols), cols*mathCost, func(lo, hi int) float64 {
		var l float64
		for r := lo; r < hi; r++ {
			x, t, g := tx.data[r*cols:(r+1)*cols], tt.data[r*cols:(r+1)*cols], tg.data[r*cols:(r+1)*cols]
			m := rowMax(x)
			var s float64
			for _, v := range x {
				s += math.Exp(float64(v) - float64(m))
			}
			lse := float64(m) + math.Log(s)
			for k, v := range x {
				tk := t[k]
				logp := float64(v) - lse
				if tk != 0 {
					l -= float64(tk) * logp
				}
				g[k] = (float32(math.Exp(logp)) - tk) * invN
			}
		}
		return l
	})
	tl.data[0] = float32(sum / float64(rows))
}

// CountCorrect adds to count[0] the number of rows whose first arg-max in
// pred is the first arg-max in target.
func (b *Backend) CountCorrect(pred, target, count backend.Tensor) {
	tp, tt, tc := b.tensor("CountCorrect", pred), b.tensor("CountCorrect", target), b.tensor("CountCorrect", count)
	checkSameShape("CountCorrect", []string{"pred", "target"}, tp, tt)
	checkScalar("CountCorrect", "count", tc)
	rows, cols := tp.shape.Rows(), tp.shape.Cols()
	n := chunkedSum(rows, max(1, sumChunk/cols), 2*cols, func(lo, hi int) float64 {
		var c float64
		for r := lo; r < hi; r++ {
			if argMax(tp.data[r*cols:(r+1)*cols]) == argMax(tt.data[r*cols:(r+1)*cols]) {
				c++
			}
		}
		return c
	})
	tc.data[0] += float32(n)
}

// mathCost is the work of one exp or log, in the units of workGrain.
const mathCost = 8

// rowMax returns the largest element of a non-empty row.
func rowMax(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return m
}

// argMax returns the index of the first largest element of a non-empty row.
func argMax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
