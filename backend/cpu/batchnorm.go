package cpu

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
)

// bnShape checks a batch-norm call: x and the other full-size tensors have
// x's length, the per-channel ones C = x.Shape[1] elements. It returns the
// batch size, channels and spatial size of x.
func bnShape(op string, x *tensor, full []*tensor, perChannel []*tensor) (n, c, spatial int) {
	if len(x.shape) < 2 {
		panic(fmt.Sprintf("cpu: %s: x has shape %v, want [N, C, spatial…] with at least 2 dimensions", op, x.shape))
	}
	n, c = x.shape[0], x.shape[1]
	for _, t := range full {
		if len(t.data) != len(x.data) {
			panic(fmt.Sprintf("cpu: %s: x has shape %v but a same-size operand has shape %v", op, x.shape, t.shape))
		}
	}
	for _, t := range perChannel {
		if len(t.data) != c {
			panic(fmt.Sprintf("cpu: %s: x has shape %v (C = %d) but a per-channel operand has shape %v", op, x.shape, c, t.shape))
		}
	}
	return n, c, len(x.data) / (n * c)
}

// BatchNormTrain normalises x per channel with the batch statistics and
// updates the running ones (see backend.Backend). Means and variances are
// accumulated in float64, the variance in a second pass over x − μ.
func (b *Backend) BatchNormTrain(x, gamma, beta, y, mean, invStd, runMean, runVar backend.Tensor, momentum, eps float32) {
	const op = "BatchNormTrain"
	tx, ty := b.tensor(op, x), b.tensor(op, y)
	tg, tb, tm, ti := b.tensor(op, gamma), b.tensor(op, beta), b.tensor(op, mean), b.tensor(op, invStd)
	trm, trv := b.tensor(op, runMean), b.tensor(op, runVar)
	n, c, spatial := bnShape(op, tx, []*tensor{ty}, []*tensor{tg, tb, tm, ti, trm, trv})
	m := n * spatial
	if m < 2 {
		panic(fmt.Sprintf("cpu: %s: x has shape %v: %d values per channel, want at least 2", op, tx.shape, m))
	}
	parallelFor(c, max(1, elemGrain/m), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s float64
			for i := 0; i < n; i++ {
				for _, v := range tx.data[(i*c+ch)*spatial : (i*c+ch+1)*spatial] {
					s += float64(v)
				}
			}
			mu := s / float64(m)
			var ss float64
			for i := 0; i < n; i++ {
				for _, v := range tx.data[(i*c+ch)*spatial : (i*c+ch+1)*spatial] {
					d := float64(v) - mu
					ss += d * d
				}
			}
			variance := ss / float64(m)
			inv := 1 / math.Sqrt(variance+float64(eps))
			scale := float32(float64(tg.data[ch]) * inv)
			shift := float32(float64(tb.data[ch]) - mu*float64(tg.data[ch])*inv)
			for i := 0; i < n; i++ {
				lo := (i*c + ch) * spatial
				xs, ys := tx.data[lo:lo+spatial], ty.data[lo:lo+spatial]
				for k, v := range xs {
					ys[k] = v*scale + shift
				}
			}
			tm.data[ch], ti.data[ch] = float32(mu), float32(inv)
			trm.data[ch] = (1-momentum)*trm.data[ch] + momentum*float32(mu)
			trv.data[ch] = (1-momentum)*trv.data[ch] + momentum*float32(ss/float64(m-1))
		}
	})
}

// BatchNormInfer normalises x per channel with the running statistics.
func (b *Backend) BatchNormInfer(x, gamma, beta, runMean, runVar, y backend.Tensor, eps float32) {
	const op = "BatchNormInfer"
	tx, ty := b.tensor(op, x), b.tensor(op, y)
	tg, tb, trm, trv := b.tensor(op, gamma), b.tensor(op, beta), b.tensor(op, runMean), b.tensor(op, runVar)
	n, c, spatial := bnShape(op, tx, []*tensor{ty}, []*tensor{tg, tb, trm, trv})
	parallelFor(n*c, max(1, elemGrain/spatial), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			ch := i % c
			inv := 1 / math.Sqrt(float64(trv.data[ch])+float64(eps))
			scale := float32(float64(tg.data[ch]) * inv)
			shift := float32(float64(tb.data[ch]) - float64(trm.data[ch])*float64(tg.data[ch])*inv)
			xs, ys := tx.data[i*spatial:(i+1)*spatial], ty.data[i*spatial:(i+1)*spatial]
			for k, v := range xs {
				ys[k] = v*scale + shift
			}
		}
	})
}

// BatchNormBackward writes dx, dgamma and dbeta for BatchNormTrain (see
// backend.Backend); the channel sums are accumulated in float64.
func (b *Backend) BatchNormBackward(x, dy, gamma, mean, invStd, dx, dgamma, dbeta backend.Tensor) {
	const op = "BatchNormBackward"
	tx, tdy, tdx := b.tensor(op, x), b.tensor(op, dy), b.tensor(op, dx)
	tg, tm, ti := b.tensor(op, gamma), b.tensor(op, mean), b.tensor(op, invStd)
	tdg, tdb := b.tensor(op, dgamma), b.tensor(op, dbeta)
	n, c, spatial := bnShape(op, tx, []*tensor{tdy, tdx}, []*tensor{tg, tm, ti, tdg, tdb})
	m := n * spatial
	parallelFor(c, max(1, elemGrain/m), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			mu, inv := tm.data[ch], ti.data[ch]
			var sdy, sdyx float64
			for i := 0; i < n; i++ {
				lo := (i*c + ch) * spatial
				xs, ds := tx.data[lo:lo+spatial], tdy.data[lo:lo+spatial]
				for k, d := range ds {
					sdy += float64(d)
					sdyx += float64(d) * float64((xs[k]-mu)*inv)
				}
			}
			tdb.data[ch], tdg.data[ch] = float32(sdy), float32(sdyx)
			k := tg.data[ch] * inv / float32(m)
			fm, db, dg := float32(m), float32(sdy), float32(sdyx)
			for i := 0; i < n; i++ {
				lo := (i*c + ch) * spatial
				xs, ds, dxs := tx.data[lo:lo+spatial], tdy.data[lo:lo+spatial], tdx.data[lo:lo+spatial]
				for j, d := range ds {
					dxs[j] = k * (fm*d - db - (xs[j]-mu)*inv*dg)
				}
			}
		}
	})
}
