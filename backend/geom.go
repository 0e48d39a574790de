package backend

import "fmt"

// ConvGeom describes a 2-D convolution (and its im2col unfolding) over a
// batch of NCHW images. Strides and dilations must be at least 1, padding at
// least 0; Check reports what is wrong.
type ConvGeom struct {
	N, C, H, W       int // input batch, channels, height, width
	KH, KW           int // kernel height and width
	StrideH, StrideW int // step between output positions, ≥ 1
	PadH, PadW       int // zeros added on each side, ≥ 0
	DilH, DilW       int // step between kernel taps, ≥ 1 (1 is an ordinary convolution)
}

// OutH returns the output height ⌊(H + 2·PadH − DilH·(KH−1) − 1)/StrideH⌋ + 1.
func (g ConvGeom) OutH() int { return outSize(g.H, g.KH, g.StrideH, g.PadH, g.DilH) }

// OutW returns the output width ⌊(W + 2·PadW − DilW·(KW−1) − 1)/StrideW⌋ + 1.
func (g ConvGeom) OutW() int { return outSize(g.W, g.KW, g.StrideW, g.PadW, g.DilW) }

// Check returns an error if the geometry is invalid or leaves no output.
func (g ConvGeom) Check() error {
	if g.N < 1 || g.C < 1 || g.H < 1 || g.W < 1 || g.KH < 1 || g.KW < 1 ||
		g.StrideH < 1 || g.StrideW < 1 || g.PadH < 0 || g.PadW < 0 || g.DilH < 1 || g.DilW < 1 {
		return fmt.Errorf("invalid convolution geometry %+v", g)
	}
	if g.OutH() < 1 || g.OutW() < 1 {
		return fmt.Errorf("convolution geometry %+v leaves no output (kernel larger than padded input)", g)
	}
	return nil
}

// PoolGeom describes a 2-D pooling window over a batch of NCHW images.
// Padding must be smaller than the window so that no window is all padding.
type PoolGeom struct {
	N, C, H, W       int // input batch, channels, height, width
	KH, KW           int // window height and width
	StrideH, StrideW int // ≥ 1
	PadH, PadW       int // 0 ≤ pad < window
}

// OutH returns the output height ⌊(H + 2·PadH − KH)/StrideH⌋ + 1.
func (g PoolGeom) OutH() int { return outSize(g.H, g.KH, g.StrideH, g.PadH, 1) }

// OutW returns the output width ⌊(W + 2·PadW − KW)/StrideW⌋ + 1.
func (g PoolGeom) OutW() int { return outSize(g.W, g.KW, g.StrideW, g.PadW, 1) }

// Check returns an error if the geometry is invalid or leaves no output.
func (g PoolGeom) Check() error {
	if g.N < 1 || g.C < 1 || g.H < 1 || g.W < 1 || g.KH < 1 || g.KW < 1 ||
		g.StrideH < 1 || g.StrideW < 1 || g.PadH < 0 || g.PadW < 0 || g.PadH >= g.KH || g.PadW >= g.KW {
		return fmt.Errorf("invalid pooling geometry %+v", g)
	}
	if g.OutH() < 1 || g.OutW() < 1 {
		return fmt.Errorf("pooling geometry %+v leaves no output (window larger than padded input)", g)
	}
	return nil
}

func outSize(in, k, stride, pad, dil int) int {
	if stride < 1 {
		return 0
	}
	span := dil*(k-1) + 1
	if in+2*pad < span {
		return 0
	}
	return (in+2*pad-span)/stride + 1
}
