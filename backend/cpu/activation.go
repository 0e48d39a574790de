package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

// mathGrain is the fewest elements worth a goroutine when each costs an
// exp, log or tanh.
const mathGrain = 1 << 13

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

// actTask runs an activation, forward or backward, over a range of
// elements.
type actTask struct {
	k            *vec.Kernels
	a            backend.Activation
	backward     bool
	beta         float32 // ActivateBackwardAdd's factor of the old dx
	x, y, dy, dx []float32
	scratch      [][]float32 // per worker: actChunk gradients for beta ≠ 0
}

// actChunk is the number of gradient elements ActivateBackwardAdd computes
// into a worker's scratch buffer before adding them to dx.
const actChunk = 1024

func (t *actTask) run(w, lo, hi int) {
	x, y := t.x[lo:hi], t.y[lo:hi]
	switch {
	case !t.backward:
		activate(t.k, t.a, x, y)
	case t.beta == 0:
		activateBackward(t.k, t.a, x, y, t.dy[lo:hi], t.dx[lo:hi])
	default:
		for i := lo; i < hi; i += actChunk {
			j := min(i+actChunk, hi)
			g := t.scratch[w][:j-i]
			activateBackward(t.k, t.a, t.x[i:j], t.y[i:j], t.dy[i:j], g)
			t.k.Axpy(g, t.dx[i:j], t.beta)
			copy(t.dx[i:j], g)
		}
	}
}

var actTasks freelist.List[actTask]

// Activate writes y = f(x) elementwise; x and y may be the same tensor.
// The transcendental activations use the vec package's polynomial kernels
// (relative error below 4·10⁻⁷).
func (b *Backend) Activate(a backend.Activation, x, y backend.Tensor) {
	tx, ty := b.tensor("Activate", x), b.tensor("Activate", y)
	if len(tx.data) != len(ty.data) {
		panic(fmt.Sprintf("cpu: Activate: lengths differ: x %v, y %v", tx.shape, ty.shape))
	}
	grain := actGrain("Activate", a.Kind)
	t := actTasks.Get()
	*t = actTask{k: vec.For(b.level), a: a, x: tx.data, y: ty.data, scratch: t.scratch}
	parallelDo(len(tx.data), grain, t)
	*t = actTask{scratch: t.scratch}
	actTasks.Put(t)
}

// ActivateBackward writes dx = dy·f′(x), reading f′ from y = f(x) where
// that is cheaper: σ′ = y(1−y), tanh′ = 1−y², ELU′ = y+α for x ≤ 0. dx may
// be the same tensor as dy.
func (b *Backend) ActivateBackward(a backend.Activation, x, y, dy, dx backend.Tensor) {
	b.activateBackward("ActivateBackward", a, x, y, dy, 0, dx)
}

// activateBackward is ActivateBackward and ActivateBackwardAdd:
// dx = dy·f′(x) + beta·dx, dx's old contents ignored when beta is 0.
func (b *Backend) activateBackward(op string, a backend.Activation, x, y, dy backend.Tensor, beta float32, dx backend.Tensor) {
	tx, ty := b.tensor(op, x), b.tensor(op, y)
	tdy, tdx := b.tensor(op, dy), b.tensor(op, dx)
	n := len(tx.data)
	if len(ty.data) != n || len(tdy.data) != n || len(tdx.data) != n {
		panic(fmt.Sprintf("cpu: %s: lengths differ: x %v, y %v, dy %v, dx %v", op, tx.shape, ty.shape, tdy.shape, tdx.shape))
	}
	grain := actGrain(op, a.Kind)
	if a.Kind == backend.Softplus {
		grain = mathGrain
	}
	t := actTasks.Get()
	scratch := t.scratch
	if beta != 0 {
		for len(scratch) < workers(n, grain) {
			scratch = append(scratch, make([]float32, actChunk))
		}
	}
	*t = actTask{k: vec.For(b.level), a: a, backward: true, beta: beta, x: tx.data, y: ty.data, dy: tdy.data, dx: tdx.data, scratch: scratch}
	parallelDo(n, grain, t)
	*t = actTask{scratch: scratch}
	actTasks.Put(t)
}

// activate writes y[i] = f(x[i]) for the activation a with kernels k.
func activate(k *vec.Kernels, a backend.Activation, x, y []float32) {
	switch a.Kind {
	case backend.Identity:
		copy(y, x)
	case backend.Sigmoid:
		k.Sigmoid(y, x)
	case backend.Tanh:
		k.Tanh(y, x)
	case backend.ReLU:
		k.Relu(y, x)
	case backend.LeakyReLU:
		k.LeakyRelu(y, x, a.Alpha)
	case backend.ELU:
		k.ELU(y, x, a.Alpha)
	case backend.Softplus:
		k.Softplus(y, x)
	}
}

// activateBackward writes dx[i] = dy[i]·f′(x[i]) for the activation a,
// with y = f(x), using kernels k. x > 0 is judged by the bits of x (sign
// clear, not zero), as the vec kernels do.
func activateBackward(k *vec.Kernels, a backend.Activation, x, y, dy, dx []float32) {
	switch a.Kind {
	case backend.Identity:
		copy(dx, dy)
	case backend.Sigmoid:
		k.SigmoidGrad(dx, y, dy)
	case backend.Tanh:
		k.TanhGrad(dx, y, dy)
	case backend.ReLU:
		k.ReluGrad(dx, x, dy)
	case backend.LeakyReLU:
		k.LeakyReluGrad(dx, x, dy, a.Alpha)
	case backend.ELU:
		k.ELUGrad(dx, x, y, dy, a.Alpha)
	case backend.Softplus:
		k.SoftplusGrad(dx, x, dy)
	}
}
