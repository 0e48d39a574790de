//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// checkAct panics with the op's name if k is not a known activation.
func checkAct(op string, k backend.ActKind) {
	if k < backend.Identity || k > backend.Softplus {
		panic(fmt.Sprintf("cuda: %s: unknown activation %v", op, k))
	}
}

// Activate writes y = f(x) elementwise; x and y may be the same tensor.
func (b *Backend) Activate(a backend.Activation, x, y backend.Tensor) {
	tx, ty := b.tensor("Activate", x), b.tensor("Activate", y)
	checkAct("Activate", a.Kind)
	if tx.len() != ty.len() {
		panic(fmt.Sprintf("cuda: Activate: lengths differ: x %v, y %v", tx.shape, ty.shape))
	}
	n := tx.len()
	b.launch("Activate", kernels.Activate, b.grid(n), new(args).i32(int(a.Kind)).f32(a.Alpha).ptr(tx).ptr(ty).i64(n))
}

// ActivateBackward writes dx = dy·f′(x), reading f′ from y = f(x) where
// that is cheaper: σ′ = y(1−y), tanh′ = 1−y², ELU′ = y+α for x ≤ 0. dx may
// be the same tensor as dy.
func (b *Backend) ActivateBackward(a backend.Activation, x, y, dy, dx backend.Tensor) {
	b.activateBackward("ActivateBackward", a, x, y, dy, 0, dx)
}

// ActivateBackwardAdd writes dx = dy·f′(x) + beta·dx: dy·f′(x) as
// ActivateBackward rounds it, then beta·dx added with one rounding (a
// fused multiply-add). beta 0 ignores dx's old contents; otherwise dx
// must not share memory with dy.
func (b *Backend) ActivateBackwardAdd(a backend.Activation, x, y, dy backend.Tensor, beta float32, dx backend.Tensor) {
	b.activateBackward("ActivateBackwardAdd", a, x, y, dy, beta, dx)
}

func (b *Backend) activateBackward(op string, a backend.Activation, x, y, dy backend.Tensor, beta float32, dx backend.Tensor) {
	tx, ty, tdy, tdx := b.tensor(op, x), b.tensor(op, y), b.tensor(op, dy), b.tensor(op, dx)
	checkAct(op, a.Kind)
	n := tx.len()
	if ty.len() != n || tdy.len() != n || tdx.len() != n {
		panic(fmt.Sprintf("cuda: %s: lengths differ: x %v, y %v, dy %v, dx %v", op, tx.shape, ty.shape, tdy.shape, tdx.shape))
	}
	if beta != 0 && tdx.overlaps(tdy) {
		panic(fmt.Sprintf("cuda: %s: dx %v shares memory with dy, which beta %v ≠ 0 does not allow", op, tdx.shape, beta))
	}
	b.launch(op, kernels.ActivateBackward, b.grid(n), new(args).i32(int(a.Kind)).f32(a.Alpha).ptr(tx).ptr(ty).ptr(tdy).ptr(tdx).i64(n).f32(beta))
}
