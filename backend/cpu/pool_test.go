package cpu_test

import (
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// TestMaxPool2x2OddPlanes checks the 2×2, stride-2 pooling path at every
// level on planes with a row and a column that no window covers: the
// forward pass against a plain reference, the backward pass into a
// NaN-filled dx (so that the uncovered elements must be cleared), an
// argmax naming another window's element (valid, and routed there), and
// an argmax outside the plane (a panic).
func TestMaxPool2x2OddPlanes(t *testing.T) {
	g := backend.PoolGeom{N: 2, C: 3, H: 7, W: 9, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	oh, ow := g.OutH(), g.OutW()
	for _, l := range cpu.Levels() {
		b, err := cpu.NewLevel(l)
		if err != nil {
			t.Fatal(err)
		}
		x := randomTensor(b, 11, g.N, g.C, g.H, g.W)
		dy := randomTensor(b, 12, g.N, g.C, oh, ow)
		y, a := b.Alloc(g.N, g.C, oh, ow), b.Alloc(g.N, g.C, oh, ow)
		b.MaxPool(x, y, a, g)
		xs, ys, as, dys := download(b, x), download(b, y), download(b, a), download(b, dy)
		plane, outs := g.H*g.W, oh*ow
		for pl := range g.N * g.C {
			for i := range outs {
				r, c := i/ow, i%ow
				best := 2*r*g.W + 2*c
				for _, k := range []int{best + 1, best + g.W, best + g.W + 1} {
					if xs[pl*plane+k] > xs[pl*plane+best] {
						best = k
					}
				}
				if ys[pl*outs+i] != xs[pl*plane+best] || as[pl*outs+i] != float32(best) {
					t.Fatalf("%v: plane %d output %d = %v at %v, want %v at %d", l, pl, i, ys[pl*outs+i], as[pl*outs+i], xs[pl*plane+best], best)
				}
			}
		}

		backward := func(what string, as []float32) {
			dx := b.Alloc(g.N, g.C, g.H, g.W)
			b.Fill(dx, float32(math.NaN()))
			b.MaxPoolBackward(dy, upload(b, as, g.N, g.C, oh, ow), dx, g)
			want := make([]float64, len(xs))
			for i, v := range as {
				want[i/outs*plane+int(v)] += float64(dys[i])
			}
			for i, v := range download(b, dx) {
				if float64(v) != want[i] {
					t.Fatalf("%v: %s: dx[%d] = %v, want %v", l, what, i, v, want[i])
				}
			}
		}
		backward("argmax from MaxPool", as)
		moved := append([]float32(nil), as...)
		moved[outs+1] = 0 // plane 1's output 1 routed to its first element
		backward("argmax in another window", moved)
		moved[outs+1] = float32(plane)
		mustPanic(t, "MaxPoolBackward: argmax 63 at plane 1 output 1", func() {
			b.MaxPoolBackward(dy, upload(b, moved, g.N, g.C, oh, ow), b.Alloc(g.N, g.C, g.H, g.W), g)
		})
		b.Close()
	}
}

// upload returns a tensor of the given shape holding data.
func upload(b backend.Backend, data []float32, shape ...int) backend.Tensor {
	t := b.Alloc(shape...)
	b.Upload(t, data)
	return t
}

// download returns the contents of t.
func download(b backend.Backend, t backend.Tensor) []float32 {
	d := make([]float32, t.Shape().Len())
	b.Download(d, t)
	return d
}
