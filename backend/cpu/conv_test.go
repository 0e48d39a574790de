package cpu

import (
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// TestConvRows checks the three convolution ops at every level, as
// TestConvBlocks does, on geometries with stride 1, no padding and more
// than maxSpareNum/maxSpareDen columns on the input's grid per output:
// Conv2D and Conv2DBackwardFilter unfold whole output rows with im2col
// (eight floats at a time in the first, with lenet's 5×5 kernel on 12×12;
// in products spanning several images in the second), while
// Conv2DBackwardData keeps the input's grid.
func TestConvRows(t *testing.T) {
	for _, g := range []backend.ConvGeom{
		{N: 37, C: 3, H: 12, W: 12, KH: 5, KW: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
		{N: 3, C: 2, H: 9, W: 11, KH: 4, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 2},
	} {
		b := New()
		x := &tensor{shape: backend.Shape{g.N, g.C, g.H, g.W}}
		w, y := &tensor{shape: backend.Shape{3, g.C, g.KH, g.KW}}, &tensor{shape: backend.Shape{g.N, 3, g.OutH(), g.OutW()}}
		if p := b.planConv("Conv2DBackwardData", g, x, "dx", w, y, "dy"); !p.shifted {
			t.Fatalf("%+v: Conv2DBackwardData's plan is not on the input's grid", g)
		}
		b.Close()
		checkConv(t, g, func(p convPlan) bool {
			return !p.direct && !p.shifted && p.blocks == 1 && (g.OutW() != 8 || 2*p.cols <= filterCols && g.N > 2*maxFilterChunks)
		})
	}
}
