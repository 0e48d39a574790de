package nn_test

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// TestFlattenFollowsItsInput checks Flatten and Reshape, on a
// backend.Reshaper (views) and on a core-only backend (copies): the
// output holds the input's values in the new shape and the input gradient
// the output gradient's in the old, also when the input is a view
// re-aimed at other rows between calls; on the Reshaper the steady state
// allocates nothing.
func TestFlattenFollowsItsInput(t *testing.T) {
	c := cpu.New()
	defer c.Close()
	rng := rand.New(rand.NewSource(4))
	vals := make([]float32, 6*2*3*2)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64())
	}
	for _, b := range []backend.Backend{c, coreOnly{c}} {
		for _, l := range []nn.Layer{&nn.Flatten{}, &nn.Reshape{Shape: []int{3, 4}}} {
			out, err := l.Build(b, []int{2, 3, 2}, rng)
			if err != nil {
				t.Fatal(err)
			}
			base := b.Alloc(6, 2, 3, 2)
			b.Upload(base, vals)
			x := c.Slice(base, 0, 2)
			for _, rows := range [][2]int{{0, 2}, {4, 6}, {1, 3}} {
				c.SliceInto(x, base, rows[0], rows[1])
				y := l.Forward(x, true)
				want := vals[rows[0]*12 : rows[1]*12]
				if shape := append([]int{2}, out...); !y.Shape().Equal(shape) {
					t.Fatalf("%v on %s: output shape %v, want %v", l, b.Name(), y.Shape(), shape)
				}
				got := make([]float32, 24)
				b.Download(got, y)
				if !slices.Equal(got, want) {
					t.Fatalf("%v on %s, input rows %v: output %v, want %v", l, b.Name(), rows, got, want)
				}
				dy := b.Alloc(y.Shape()...)
				b.Upload(dy, want)
				dx := l.Backward(dy)
				if !dx.Shape().Equal(backend.Shape{2, 2, 3, 2}) {
					t.Fatalf("%v on %s: input gradient shape %v", l, b.Name(), dx.Shape())
				}
				b.Download(got, dx)
				if !slices.Equal(got, want) {
					t.Fatalf("%v on %s: input gradient %v, want %v", l, b.Name(), got, want)
				}
			}
			if _, ok := b.(backend.Reshaper); ok {
				dy := b.Alloc(append([]int{2}, out...)...)
				if n := mallocs(func() {
					for range 10 {
						l.Backward(dy)
						l.Forward(x, true)
					}
				}); n != 0 {
					t.Errorf("%v: %d allocations in 10 steady-state steps", l, n)
				}
			}
		}
	}
}
