package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// The fused convolution and pooling (backend.ConvPooler) is checked
// through the package functions backend.ConvPool and ConvPoolBackward, on
// the backend itself ("native") and with every optional interface hidden
// ("composed"), which runs the fallback of core ops. The forward pass is
// compared with a float64 reference; the argmax must name an element of
// its window whose reference value is the window's maximum within the
// bound. The gradients are compared with the float64 reference routed
// through the argmax and ReLU mask the backend chose, and by central
// differences of L = Σ dy∘ConvPool(x, w, b) (of ReLU(x) with reluX) on
// the small cases.

// convPoolCase is a convolution with F filters, the pooling of its output
// (with N, C, H and W filled in) and the options.
type convPoolCase struct {
	conv  convCase
	pool  backend.PoolGeom // KH, KW, strides and padding; the rest from conv
	bias  bool
	relu  bool
	large bool // too large for central differences
}

func (c convPoolCase) String() string {
	return fmt.Sprintf("%v pool %d×%d/%d pad %d bias %t relu %t", c.conv, c.pool.KH, c.pool.KW, c.pool.StrideH, c.pool.PadH, c.bias, c.relu)
}

// poolGeom returns the full pooling geometry.
func (c convPoolCase) poolGeom() backend.PoolGeom {
	g := c.pool
	g.N, g.C, g.H, g.W = c.conv.g.N, c.conv.f, c.conv.g.OutH(), c.conv.g.OutW()
	return g
}

// convPoolCases covers 2×2 pooling of the common shapes (the MNIST
// networks' convolutions, a 1×1 kernel, stride and padding, odd outputs
// that leave a row and a column unpooled), overlapping windows with
// padding, and a batch large enough to be cut into several chunks, each
// with and without bias and ReLU.
func convPoolCases() []convPoolCase {
	p2 := pool(0, 0, 0, 0, 2, 2, 2, 2, 0, 0)
	p3 := pool(0, 0, 0, 0, 3, 3, 2, 2, 1, 1)
	base := []convPoolCase{
		{conv: convCase{g: conv(2, 3, 10, 10, 3, 3, 1, 1, 0, 0, 1, 1), f: 5}, pool: p2},
		{conv: convCase{g: conv(2, 2, 11, 9, 3, 3, 1, 1, 0, 0, 1, 1), f: 3}, pool: p2}, // 9×7 output: odd
		{conv: convCase{g: conv(1, 3, 8, 8, 1, 1, 1, 1, 0, 0, 1, 1), f: 4}, pool: p2},  // 1×1
		{conv: convCase{g: conv(2, 2, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1), f: 3}, pool: p2},  // stride 2, padding
		{conv: convCase{g: conv(2, 2, 9, 8, 3, 2, 1, 1, 1, 0, 1, 1), f: 4}, pool: p3},  // overlapping pool
		{conv: convCase{g: conv(21, 2, 8, 8, 3, 3, 1, 1, 0, 0, 1, 1), f: 3}, pool: p2}, // many chunks
		{conv: convCase{g: conv(2, 1, 28, 28, 5, 5, 1, 1, 0, 0, 1, 1), f: 24, large: true}, pool: p2},
		{conv: convCase{g: conv(2, 32, 26, 26, 3, 3, 1, 1, 0, 0, 1, 1), f: 64, large: true}, pool: p2},
	}
	var cases []convPoolCase
	for _, c := range base {
		for _, o := range [][2]bool{{true, true}, {false, true}, {true, false}, {false, false}} {
			c.bias, c.relu = o[0], o[1]
			c.large = c.conv.large
			cases = append(cases, c)
		}
	}
	return cases
}

// hideAll hides every optional interface of a backend.
type hideAll struct{ backend.Backend }

// convPoolBackends returns b and b with its optional interfaces hidden.
func convPoolBackends(b backend.Backend) []namedBackend {
	return []namedBackend{{"native", b}, {"composed", hideAll{b}}}
}

// convPoolRef returns the reference output act(MaxPool(conv) + bias), the
// convolution's output, and each window's maximum.
func convPoolRef(c convPoolCase, x, w, bias []float64) (y, conv []float64) {
	conv = conv2dRef(c.conv, x, w)
	pg := c.poolGeom()
	y, _ = maxPoolRef(pg, conv)
	plane := pg.OutH() * pg.OutW()
	for i := range y {
		if bias != nil {
			y[i] += bias[i/plane%pg.C]
		}
		if c.relu {
			y[i] = math.Max(y[i], 0)
		}
	}
	return y, conv
}

// convPoolInputs returns random x, w, bias and dy for c.
func convPoolInputs(rng *rand.Rand, c convPoolCase) (x, w, bias, dy []float32) {
	x, w, _ = convData(rng, c.conv)
	_, ys := poolShapes(c.poolGeom())
	dy = uniform(rng, backend.Shape(ys).Len(), -1, 1)
	if c.bias {
		bias = uniform(rng, c.conv.f, -0.5, 0.5)
	}
	return x, w, bias, dy
}

// maybeUpload uploads data, or returns nil when data is nil.
func maybeUpload(t *testing.T, b backend.Backend, data []float32, shape ...int) backend.Tensor {
	if data == nil {
		return nil
	}
	return upload(t, b, data, shape...)
}

// checkConvPool checks backend.ConvPool's output and argmax.
func checkConvPool(t *testing.T, b0 backend.Backend) {
	for _, nb := range convPoolBackends(b0) {
		t.Run(nb.name, func(t *testing.T) {
			b := nb.b
			rng := newRand(31)
			for _, c := range convPoolCases() {
				x, w, bias, _ := convPoolInputs(rng, c)
				pg := c.poolGeom()
				_, ys := poolShapes(pg)
				ty, ta := poisoned(t, b, ys...), poisoned(t, b, ys...)
				backend.ConvPool(b, upload(t, b, x, c.conv.xShape()...), upload(t, b, w, c.conv.wShape()...),
					maybeUpload(t, b, bias, c.conv.f), ty, ta, c.conv.g, pg, c.relu)
				var bias64 []float64
				if bias != nil {
					bias64 = wide(bias)
				}
				want, conv := convPoolRef(c, wide(x), wide(w), bias64)
				convBound := sumBounds(conv2dRef(c.conv, absAll(wide(x)), absAll(wide(w))), c.conv.g.C*c.conv.g.KH*c.conv.g.KW)
				// The pooled bound: the window's largest convolution bound, and
				// one rounding of the bias.
				bound := make([]float64, len(want))
				poolTaps(pg, func(xi, yi int) { bound[yi] = math.Max(bound[yi], convBound[xi]) })
				for i := range bound {
					bound[i] += 2 * unitRoundoff * (math.Abs(want[i]) + 1)
				}
				what := "ConvPool " + c.String()
				expectClose(t, what+": y", download(b, ty), want, bound)
				checkConvPoolArgmax(t, what, pg, download(b, ta), conv, convBound)
			}
		})
	}
}

// checkConvPoolArgmax checks that each argmax names an element of its
// window whose reference value is the window's maximum within twice the
// bound of the values.
func checkConvPoolArgmax(t *testing.T, what string, pg backend.PoolGeom, arg []float32, conv, bound []float64) {
	t.Helper()
	plane := pg.H * pg.W
	best := make([]float64, len(arg))
	inWindow := make([]bool, len(arg))
	for i := range best {
		best[i] = math.Inf(-1)
	}
	poolTaps(pg, func(xi, yi int) {
		best[yi] = math.Max(best[yi], conv[xi])
		if float32(xi%plane) == arg[yi] {
			inWindow[yi] = true
		}
	})
	outPlane := pg.OutH() * pg.OutW()
	for yi, a := range arg {
		if !inWindow[yi] {
			t.Errorf("%s: argmax[%d] = %v is not an element of its window", what, yi, a)
			return
		}
		xi := yi/outPlane*plane + int(a)
		if best[yi]-conv[xi] > 2*bound[xi]+2*unitRoundoff*math.Abs(best[yi]) {
			t.Errorf("%s: argmax[%d] = %v holds %v, the window's maximum is %v", what, yi, a, conv[xi], best[yi])
			return
		}
	}
}

// reluAll returns max(x, 0) elementwise.
func reluAll(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Max(v, 0)
	}
	return y
}

// checkConvPoolBackward checks backend.ConvPoolBackward's gradients, with
// and without dx, and with dx through a ReLU before the convolution
// (reluX).
func checkConvPoolBackward(t *testing.T, b0 backend.Backend) {
	for _, nb := range convPoolBackends(b0) {
		t.Run(nb.name, func(t *testing.T) {
			b := nb.b
			rng := newRand(32)
			for i, c := range convPoolCases() {
				xpre, w, bias, dy := convPoolInputs(rng, c)
				withDx := i%3 != 2
				reluX := withDx && i%2 == 1
				// With reluX, x is the output of a ReLU of xpre.
				x := xpre
				if reluX {
					x = narrow(reluAll(wide(xpre)))
				}
				pg := c.poolGeom()
				_, ys := poolShapes(pg)
				tx, tw, tb := upload(t, b, x, c.conv.xShape()...), upload(t, b, w, c.conv.wShape()...), maybeUpload(t, b, bias, c.conv.f)
				ty, ta := poisoned(t, b, ys...), poisoned(t, b, ys...)
				backend.ConvPool(b, tx, tw, tb, ty, ta, c.conv.g, pg, c.relu)
				var tdx, tdb backend.Tensor
				if withDx {
					tdx = poisoned(t, b, c.conv.xShape()...)
				}
				if c.bias {
					tdb = poisoned(t, b, c.conv.f)
				}
				tdw := poisoned(t, b, c.conv.wShape()...)
				backend.ConvPoolBackward(b, tx, tw, ty, ta, upload(t, b, dy, ys...), tdx, tdw, tdb, c.conv.g, pg, c.relu, reluX)

				// The reference, routed as the backend chose.
				y, arg := download(b, ty), download(b, ta)
				dp := wide(dy)
				for k := range dp {
					if c.relu && !(y[k] > 0) {
						dp[k] = 0
					}
				}
				argi := make([]int, len(arg))
				for k, a := range arg {
					argi[k] = int(a)
				}
				cg := c.conv
				dconv, dconvMag := maxPoolBackRef(pg, dp, argi), maxPoolBackRef(pg, absAll(dp), argi)
				what := fmt.Sprintf("ConvPoolBackward %v reluX %t", c, reluX)
				x64, w64 := wide(x), wide(w)
				gotW := download(b, tdw)
				boundW := sumBounds(convFilterRef(cg, absAll(x64), dconvMag), cg.g.N*cg.g.OutH()*cg.g.OutW())
				okW := expectClose(t, what+": dw", gotW, convFilterRef(cg, x64, dconv), boundW)
				if c.bias {
					wantB, magB := make([]float64, c.conv.f), make([]float64, c.conv.f)
					plane := pg.OutH() * pg.OutW()
					for k, d := range dp {
						wantB[k/plane%pg.C] += d
						magB[k/plane%pg.C] += math.Abs(d)
					}
					expectClose(t, what+": db", download(b, tdb), wantB, sumBounds(magB, len(dp)))
				}
				var gotX []float32
				var boundX []float64
				okX := true
				if withDx {
					gotX = download(b, tdx)
					boundX = sumBounds(convDataRef(cg, dconvMag, absAll(w64)), cg.f*cg.g.KH*cg.g.KW)
					wantX := convDataRef(cg, dconv, w64)
					if reluX {
						for k := range wantX {
							if !(x[k] > 0) {
								wantX[k] = 0
							}
						}
					}
					okX = expectClose(t, what+": dx", gotX, wantX, boundX)
				}
				if c.large || !okW || !okX {
					continue
				}
				var bias64 []float64
				if bias != nil {
					bias64 = wide(bias)
				}
				dy64 := wide(dy)
				lossW := func(w []float64) float64 { y, _ := convPoolRef(c, x64, w, bias64); return dot(dy64, y) }
				if !reluX {
					// (The zeros of a ReLU's output make ties in the windows,
					// where the loss has kinks in w.)
					idx := sample(rng, len(w), fdSamples())
					expectGradient(t, what+": dw", gotW, idx, centralDiff(lossW, wide(w), idx), boundW)
				}
				if withDx {
					lossX := func(x []float64) float64 {
						if reluX {
							x = reluAll(x)
						}
						y, _ := convPoolRef(c, x, w64, bias64)
						return dot(dy64, y)
					}
					idx := sample(rng, len(x), fdSamples())
					expectGradient(t, what+": dx", gotX, idx, centralDiff(lossX, wide(xpre), idx), boundX)
				}
			}
		})
	}
}
