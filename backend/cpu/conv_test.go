package cpu

import (
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// TestConvRows checks the three convolution ops at every level, as
// TestConvBlocks does, on geometries with stride 1, no padding and more
// than maxSpareNum/maxSpareDen columns on the input's grid per output:
// all three unfold (or fold) whole output rows with im2colRows and
// col2imRows (rows of half an AVX-512 vector, two to a vector, with
// lenet's 5×5 kernel on 12×12; in products spanning several images in
// Conv2DBackwardFilter).
func TestConvRows(t *testing.T) {
	for _, g := range []backend.ConvGeom{
		{N: 37, C: 3, H: 12, W: 12, KH: 5, KW: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
		{N: 3, C: 2, H: 9, W: 11, KH: 4, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 2},
	} {
		checkConv(t, g, func(p convPlan) bool {
			return !p.direct && !p.shifted && p.blocks == 1 && (g.OutW() != 8 || 2*p.cols <= filterCols && g.N > 2*maxFilterChunks)
		})
	}
}
