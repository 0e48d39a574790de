//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// planPool checks the geometry and the shapes of x [N, C, H, W] and of
// every tensor in ys [N, C, OH, OW] (named by yNames) for op.
func planPool(op string, g backend.PoolGeom, x *tensor, xName string, ys []*tensor, yNames ...string) {
	check.Geom(op, g.Check())
	backend.CheckGeomShape(check, op, xName, x.shape, g, g.N, g.C, g.H, g.W)
	for i, y := range ys {
		backend.CheckGeomShape(check, op, yNames[i], y.shape, g, g.N, g.C, g.OutH(), g.OutW())
	}
}

// MaxPool writes y with the maximum of each window of x and argmax with
// the in-plane index h·W+w of the first element (row-major) holding it.
func (b *Backend) MaxPool(x, y, argmax backend.Tensor, g backend.PoolGeom) {
	tx, ty, ta := b.tensor("MaxPool", x), b.tensor("MaxPool", y), b.tensor("MaxPool", argmax)
	planPool("MaxPool", g, tx, "x", []*tensor{ty, ta}, "y", "argmax")
	if g.H*g.W > 1<<24 {
		panic(fmt.Sprintf("cuda: MaxPool: %d×%d planes are too large for float32 argmax indices", g.H, g.W))
	}
	b.launch("MaxPool", kernels.MaxPool, b.grid(ty.len()), new(args).ptr(tx).ptr(ty).ptr(ta).pool(g))
}

// MaxPoolBackward overwrites dx with each dy added to the element its
// argmax names, summed in the order of the outputs. An argmax that names
// no element of its window routes nothing.
func (b *Backend) MaxPoolBackward(dy, argmax, dx backend.Tensor, g backend.PoolGeom) {
	tdy, ta, tdx := b.tensor("MaxPoolBackward", dy), b.tensor("MaxPoolBackward", argmax), b.tensor("MaxPoolBackward", dx)
	planPool("MaxPoolBackward", g, tdx, "dx", []*tensor{tdy, ta}, "dy", "argmax")
	b.launch("MaxPoolBackward", kernels.MaxPoolBackward, b.grid(tdx.len()), new(args).ptr(tdy).ptr(ta).ptr(tdx).pool(g))
}

// AvgPool writes y with the sum of each window of x divided by KH·KW.
func (b *Backend) AvgPool(x, y backend.Tensor, g backend.PoolGeom) {
	tx, ty := b.tensor("AvgPool", x), b.tensor("AvgPool", y)
	planPool("AvgPool", g, tx, "x", []*tensor{ty}, "y")
	b.launch("AvgPool", kernels.AvgPool, b.grid(ty.len()), new(args).ptr(tx).ptr(ty).pool(g).f32(1/float32(g.KH*g.KW)))
}

// AvgPoolBackward overwrites dx with each dy/(KH·KW) added to every
// element of its window.
func (b *Backend) AvgPoolBackward(dy, dx backend.Tensor, g backend.PoolGeom) {
	tdy, tdx := b.tensor("AvgPoolBackward", dy), b.tensor("AvgPoolBackward", dx)
	planPool("AvgPoolBackward", g, tdx, "dx", []*tensor{tdy}, "dy")
	b.launch("AvgPoolBackward", kernels.AvgPoolBackward, b.grid(tdx.len()), new(args).ptr(tdy).ptr(tdx).pool(g).f32(1/float32(g.KH*g.KW)))
}
