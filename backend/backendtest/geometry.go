package backendtest

import (
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// convGeoms returns the convolution geometries the Im2Col, Col2Im and
// convolution checks run on: hand-picked ones covering 1×1 and non-square
// kernels, stride, padding, dilation, batch 1 and odd sizes, then random
// valid ones.
func convGeoms(rng *rand.Rand) []backend.ConvGeom {
	geoms := []backend.ConvGeom{
		conv(1, 1, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1),  // 1×1 kernel
		conv(2, 3, 7, 6, 3, 3, 1, 1, 0, 0, 1, 1),  // plain 3×3
		conv(1, 2, 9, 7, 2, 3, 2, 2, 1, 1, 1, 1),  // non-square kernel, stride 2, padding
		conv(3, 2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1),  // stride 2 with padding
		conv(2, 2, 9, 11, 3, 2, 1, 1, 2, 1, 2, 2), // dilation 2, uneven padding
		conv(1, 3, 6, 5, 1, 1, 2, 2, 0, 0, 1, 1),  // 1×1 stride 2: some inputs never read
		conv(2, 1, 5, 5, 5, 5, 1, 1, 0, 0, 1, 1),  // kernel as large as the image
		conv(1, 2, 4, 4, 3, 3, 3, 3, 2, 2, 1, 1),  // padding 2, stride 3
		conv(1, 1, 1, 7, 1, 3, 1, 2, 0, 1, 1, 3),  // single row, dilation 3
		conv(2, 3, 5, 7, 3, 1, 1, 3, 1, 0, 2, 1),  // 3×1 kernel, mixed stride and dilation
		conv(1, 2, 3, 37, 3, 3, 1, 1, 1, 1, 1, 1), // rows wider than a warp of 32
		conv(2, 1, 4, 75, 2, 3, 1, 2, 0, 1, 1, 1), // wide rows, stride 2: 37 outputs per row
	}
	random := 30
	if testing.Short() {
		random = 8
	}
	for want := len(geoms) + random; len(geoms) < want; {
		g := backend.ConvGeom{
			N: 1 + rng.Intn(3), C: 1 + rng.Intn(4), H: 1 + rng.Intn(12), W: 1 + rng.Intn(12),
			KH: 1 + rng.Intn(4), KW: 1 + rng.Intn(4), StrideH: 1 + rng.Intn(3), StrideW: 1 + rng.Intn(3),
			PadH: rng.Intn(3), PadW: rng.Intn(3), DilH: 1 + rng.Intn(2), DilW: 1 + rng.Intn(2),
		}
		if g.Check() == nil {
			geoms = append(geoms, g)
		}
	}
	return geoms
}

// conv returns a ConvGeom from its fields in declaration order.
func conv(n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw int) backend.ConvGeom {
	return backend.ConvGeom{N: n, C: c, H: h, W: w, KH: kh, KW: kw,
		StrideH: sh, StrideW: sw, PadH: ph, PadW: pw, DilH: dh, DilW: dw}
}

// poolGeoms returns the pooling geometries the pooling checks run on:
// hand-picked ones covering overlapping windows (stride below the window),
// padding, non-square windows and odd sizes, then random valid ones.
func poolGeoms(rng *rand.Rand) []backend.PoolGeom {
	geoms := []backend.PoolGeom{
		pool(2, 3, 8, 8, 2, 2, 2, 2, 0, 0),  // the usual 2×2 stride 2
		pool(1, 2, 7, 7, 3, 3, 2, 2, 1, 1),  // overlapping with padding
		pool(2, 1, 6, 9, 2, 3, 1, 2, 1, 1),  // non-square, overlapping
		pool(1, 1, 5, 5, 3, 3, 1, 1, 1, 1),  // heavy overlap, padding
		pool(1, 2, 1, 6, 1, 2, 1, 1, 0, 1),  // single row
		pool(1, 1, 4, 4, 4, 4, 1, 1, 0, 0),  // one window
		pool(3, 2, 9, 7, 3, 3, 3, 3, 2, 2),  // padding 2, stride 3
		pool(2, 2, 7, 5, 3, 2, 2, 3, 0, 0),  // stride larger than the window width
		pool(1, 2, 3, 70, 2, 2, 2, 2, 0, 0), // rows wider than a warp of 32
	}
	random := 24
	if testing.Short() {
		random = 6
	}
	for want := len(geoms) + random; len(geoms) < want; {
		g := backend.PoolGeom{
			N: 1 + rng.Intn(3), C: 1 + rng.Intn(3), H: 1 + rng.Intn(10), W: 1 + rng.Intn(10),
			KH: 1 + rng.Intn(4), KW: 1 + rng.Intn(4), StrideH: 1 + rng.Intn(3), StrideW: 1 + rng.Intn(3),
		}
		g.PadH, g.PadW = rng.Intn(g.KH), rng.Intn(g.KW)
		if g.Check() == nil {
			geoms = append(geoms, g)
		}
	}
	return geoms
}

// pool returns a PoolGeom from its fields in declaration order.
func pool(n, c, h, w, kh, kw, sh, sw, ph, pw int) backend.PoolGeom {
	return backend.PoolGeom{N: n, C: c, H: h, W: w, KH: kh, KW: kw,
		StrideH: sh, StrideW: sw, PadH: ph, PadW: pw}
}
