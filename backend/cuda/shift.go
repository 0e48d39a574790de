//go:build cuda

package cuda

import (
	"fmt"
	"math"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// ShiftImages writes y [N, C, H, W] with every image of x translated by
// its own whole-pixel offset (dy, dx), row n of the int32 tensor shifts
// [N, 2]: y[n, c, h, w] = x[n, c, h−dy, w−dx] where that lies inside the
// image, fill elsewhere (see backend.Shifter; no single PyTorch op, a
// torch.roll without wrap-around). One thread per element of y, which
// reads its image's offset and at most one element of x. y must not share
// memory with x.
func (b *Backend) ShiftImages(x, shifts, y backend.Tensor, fill float32) {
	const op = "ShiftImages"
	tx, ts, ty := b.tensor(op, x), b.int32Tensor(op, shifts), b.tensor(op, y)
	n, c, h, w := check.ShiftImages(op, tx.shape, ts.shape, ty.shape)
	if max(c, h, w) > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: ShiftImages: x %v has a dimension beyond the kernel's int32 sizes", tx.shape))
	}
	if ty.overlaps(tx) {
		panic(fmt.Sprintf("cuda: ShiftImages: y %v shares memory with x %v", ty.shape, tx.shape))
	}
	b.launch(op, kernels.ShiftImages, b.grid(ty.len()), new(args).ptr(tx).ptr(ts).ptr(ty).i64(n*c).i32(c).i32(h).i32(w).f32(fill))
}
