package cpu

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
)

// mathGrain is the fewest elements worth a goroutine when each costs an
// exp, log or tanh.
const mathGrain = 1 << 11

// actGrain returns the parallel grain for activation k, panicking with the
// op's name if k is not a known activation.
func actGrain(op string, k backend.ActKind) int {
	switch k {
	case backend.Identity, backend.ReLU, backend.LeakyReLU:
		return elemGrain
	case backend.Sigmoid, backend.Tanh, backend.ELU, backend.Softplus:
		return mathGrain
	}
	panic(fmt.Sprintf("cpu: %s: unknown activation %v", op, k))
}

// Activate writes y = f(x) elementwise; x and y may be the same tensor.
func (b *Backend) Activate(a backend.Activation, x, y backend.Tensor) {
	tx, ty := b.tensor("Activate", x), b.tensor("Activate", y)
	if len(tx.data) != len(ty.data) {
		panic(fmt.Sprintf("cpu: Activate: lengths differ: x %v, y %v", tx.shape, ty.shape))
	}
	parallelFor(len(tx.data), actGrain("Activate", a.Kind), func(_, lo, hi int) {
		activate(a, tx.data[lo:hi], ty.data[lo:hi])
	})
}

// ActivateBackward writes dx = dy·f′(x), reading f′ from y = f(x) where
// that is cheaper: σ′ = y(1−y), tanh′ = 1−y², ELU′ = y+α for x ≤ 0. dx may
// be the same tensor as dy.
func (b *Backend) ActivateBackward(a backend.Activation, x, y, dy, dx backend.Tensor) {
	tx, ty := b.tensor("ActivateBackward", x), b.tensor("ActivateBackward", y)
	tdy, tdx := b.tensor("ActivateBackward", dy), b.tensor("ActivateBackward", dx)
	n := len(tx.data)
	if len(ty.data) != n || len(tdy.data) != n || len(tdx.data) != n {
		panic(fmt.Sprintf("cpu: ActivateBackward: lengths differ: x %v, y %v, dy %v, dx %v", tx.shape, ty.shape, tdy.shape, tdx.shape))
	}
	parallelFor(n, actGrain("ActivateBackward", a.Kind), func(_, lo, hi int) {
		activateBackward(a, tx.data[lo:hi], ty.data[lo:hi], tdy.data[lo:hi], tdx.data[lo:hi])
	})
}

// activate writes y[i] = f(x[i]) for the activation a.
func activate(a backend.Activation, x, y []float32) {
	y = y[:len(x)]
	switch a.Kind {
	case backend.Identity:
		copy(y, x)
	case backend.Sigmoid:
		for i, v := range x {
			y[i] = sigmoid(v)
		}
	case backend.Tanh:
		for i, v := range x {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case backend.ReLU:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case backend.LeakyReLU:
		for i, v := range x {
			y[i] = v * choose(positiveMask(v), 1, a.Alpha)
		}
	case backend.ELU:
		for i, v := range x {
			if v <= 0 {
				v = a.Alpha * float32(math.Expm1(float64(v)))
			}
			y[i] = v
		}
	case backend.Softplus:
		for i, v := range x {
			y[i] = softplus(v)
		}
	}
}

// activateBackward writes dx[i] = dy[i]·f′(x[i]) for the activation a,
// with y = f(x).
func activateBackward(a backend.Activation, x, y, dy, dx []float32) {
	y, dy, dx = y[:len(x)], dy[:len(x)], dx[:len(x)]
	switch a.Kind {
	case backend.Identity:
		copy(dx, dy)
	case backend.Sigmoid:
		for i, s := range y {
			dx[i] = dy[i] * s * (1 - s)
		}
	case backend.Tanh:
		for i, t := range y {
			dx[i] = dy[i] * (1 - t*t)
		}
	case backend.ReLU:
		for i, v := range x {
			dx[i] = choose(positiveMask(v), dy[i], 0)
		}
	case backend.LeakyReLU:
		for i, v := range x {
			dx[i] = dy[i] * choose(positiveMask(v), 1, a.Alpha)
		}
	case backend.ELU:
		for i, v := range x {
			dx[i] = dy[i] * choose(positiveMask(v), 1, y[i]+a.Alpha)
		}
	case backend.Softplus:
		for i, v := range x {
			dx[i] = dy[i] * sigmoid(v)
		}
	}
}

// positiveMask returns all ones if x > 0 and zero if x ≤ 0, without a
// branch (which random signs would mispredict half the time). A NaN counts
// as positive when its sign bit is clear.
func positiveMask(x float32) uint32 {
	s := int32(math.Float32bits(x))
	return uint32((-s & ^s) >> 31)
}

// choose returns a where mask is all ones and b where it is zero.
func choose(mask uint32, a, b float32) float32 {
	return math.Float32frombits(math.Float32bits(a)&mask | math.Float32bits(b)&^mask)
}

// sigmoid returns 1/(1+e^−x) without overflow: for x < 0 it computes
// e^x/(1+e^x) instead.
func sigmoid(x float32) float32 {
	v := float64(x)
	if v >= 0 {
		return float32(1 / (1 + math.Exp(-v)))
	}
	e := math.Exp(v)
	return float32(e / (1 + e))
}

// softplus returns log(1+e^x) as max(x, 0) + log1p(e^−|x|), which never
// overflows and is x itself for large x.
func softplus(x float32) float32 {
	v := float64(x)
	return float32(max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))))
}
