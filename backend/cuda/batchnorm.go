//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// bnShape checks a batch-norm call: the full-size tensors have x's length,
// the per-channel ones C = x.Shape[1] elements. It returns the batch size,
// channels and spatial size of x.
func bnShape(op string, x *tensor, full []*tensor, perChannel []*tensor) (n, c, spatial int) {
	n, c, spatial = check.Channels(op, "x", x.shape)
	for _, t := range full {
		check.SameLen(op, []string{"x", "a same-size operand"}, x.shape, t.shape)
	}
	for _, t := range perChannel {
		check.Channels(op, "x", x.shape, t.shape)
	}
	return n, c, spatial
}

// BatchNormTrain normalises x per channel with the batch statistics and
// updates the running ones (see backend.Backend). One block per channel
// takes the mean and then the variance of x − μ, both in double; a second
// kernel normalises.
func (b *Backend) BatchNormTrain(x, gamma, beta, y, mean, invStd, runMean, runVar backend.Tensor, momentum, eps float32) {
	const op = "BatchNormTrain"
	tx, ty := b.tensor(op, x), b.tensor(op, y)
	tg, tb, tm, ti := b.tensor(op, gamma), b.tensor(op, beta), b.tensor(op, mean), b.tensor(op, invStd)
	trm, trv := b.tensor(op, runMean), b.tensor(op, runVar)
	n, c, spatial := bnShape(op, tx, []*tensor{ty}, []*tensor{tg, tb, tm, ti, trm, trv})
	if n*spatial < 2 {
		panic(fmt.Sprintf("cuda: %s: x has shape %v: %d values per channel, want at least 2", op, tx.shape, n*spatial))
	}
	b.launch(op, kernels.BNStats, c, new(args).ptr(tx).ptr(tm).ptr(ti).ptr(trm).ptr(trv).i32(n).i32(c).i64(spatial).f32(momentum).f32(eps))
	total := tx.len()
	b.launch(op, kernels.BNApply, b.grid(total), new(args).ptr(tx).ptr(ty).ptr(tm).ptr(ti).ptr(tg).ptr(tb).i64(total).i32(c).i64(spatial))
}

// BatchNormInfer normalises x per channel with the running statistics.
func (b *Backend) BatchNormInfer(x, gamma, beta, runMean, runVar, y backend.Tensor, eps float32) {
	const op = "BatchNormInfer"
	tx, ty := b.tensor(op, x), b.tensor(op, y)
	tg, tb, trm, trv := b.tensor(op, gamma), b.tensor(op, beta), b.tensor(op, runMean), b.tensor(op, runVar)
	_, c, spatial := bnShape(op, tx, []*tensor{ty}, []*tensor{tg, tb, trm, trv})
	total := tx.len()
	b.launch(op, kernels.BNInfer, b.grid(total), new(args).ptr(tx).ptr(ty).ptr(tg).ptr(tb).ptr(trm).ptr(trv).i64(total).i32(c).i64(spatial).f32(eps))
}

// BatchNormBackward writes dx, dgamma and dbeta for BatchNormTrain (see
// backend.Backend); the channel sums are in double.
func (b *Backend) BatchNormBackward(x, dy, gamma, mean, invStd, dx, dgamma, dbeta backend.Tensor) {
	const op = "BatchNormBackward"
	tx, tdy, tdx := b.tensor(op, x), b.tensor(op, dy), b.tensor(op, dx)
	tg, tm, ti := b.tensor(op, gamma), b.tensor(op, mean), b.tensor(op, invStd)
	tdg, tdb := b.tensor(op, dgamma), b.tensor(op, dbeta)
	n, c, spatial := bnShape(op, tx, []*tensor{tdy, tdx}, []*tensor{tg, tm, ti, tdg, tdb})
	b.launch(op, kernels.BNBackwardSums, c, new(args).ptr(tx).ptr(tdy).ptr(tm).ptr(ti).ptr(tdg).ptr(tdb).i32(n).i32(c).i64(spatial))
	total := tx.len()
	b.launch(op, kernels.BNBackwardDx, b.grid(total), new(args).ptr(tx).ptr(tdy).ptr(tg).ptr(tm).ptr(ti).ptr(tdg).ptr(tdb).ptr(tdx).
		i64(total).i32(c).i64(spatial).f32(float32(n*spatial)))
}
