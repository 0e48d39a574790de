package cpu_test

import (
	"math"
	"runtime"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// TestBinaryLargeBroadcast checks Binary at sizes that split over
// goroutines (GOMAXPROCS 3), every level, bit for bit against plain float32
// loops: a per-channel tensor against NCHW, a row against a matrix, a
// column against a matrix with short rows, and an outer product.
func TestBinaryLargeBroadcast(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	cases := []struct {
		a, b, c []int
		ia, ib  func(n, c, h, w int) int // operand index of c's element (n, c, h, w) in a 4-D view
		view    [4]int
	}{
		{[]int{32, 3, 40, 41}, []int{3, 1, 1}, []int{32, 3, 40, 41},
			func(n, c, h, w int) int { return ((n*3+c)*40+h)*41 + w }, func(_, c, _, _ int) int { return c }, [4]int{32, 3, 40, 41}},
		{[]int{3000, 67}, []int{67}, []int{3000, 67},
			func(_, _, h, w int) int { return h*67 + w }, func(_, _, _, w int) int { return w }, [4]int{1, 1, 3000, 67}},
		{[]int{20000, 3}, []int{20000, 1}, []int{20000, 3},
			func(_, _, h, w int) int { return h*3 + w }, func(_, _, h, _ int) int { return h }, [4]int{1, 1, 20000, 3}},
		{[]int{500, 1}, []int{1, 300}, []int{500, 300},
			func(_, _, h, _ int) int { return h }, func(_, _, _, w int) int { return w }, [4]int{1, 1, 500, 300}},
	}
	for _, l := range cpu.Levels() {
		b, err := cpu.NewLevel(l)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			ta, tb := randomTensor(b, uint64(i), c.a...), randomTensor(b, uint64(i+10), c.b...)
			a, bv := download(b, ta), download(b, tb)
			tc := b.Alloc(c.c...)
			for op := backend.OpAdd; op <= backend.OpMin; op++ {
				b.Fill(tc, float32(math.NaN()))
				b.Binary(op, ta, tb, tc)
				got := download(b, tc)
				v := c.view
				k := 0
				for n := range v[0] {
					for ch := range v[1] {
						for h := range v[2] {
							for w := range v[3] {
								x, y := a[c.ia(n, ch, h, w)], bv[c.ib(n, ch, h, w)]
								var want float32
								switch op {
								case backend.OpAdd:
									want = x + y
								case backend.OpSub:
									want = x - y
								case backend.OpMul:
									want = x * y
								case backend.OpDiv:
									want = x / y
								case backend.OpMax:
									want = max(x, y)
								case backend.OpMin:
									want = min(x, y)
								}
								if got[k] != want {
									t.Fatalf("%v %v a %v b %v: element %d = %v, want %v", l, op, c.a, c.b, k, got[k], want)
								}
								k++
							}
						}
					}
				}
			}
		}
		b.Close()
	}
}

// TestActivateBackwardAddLarge checks ActivateBackwardAdd over many
// scratch chunks and goroutines (GOMAXPROCS 3) against ActivateBackward
// followed by the addition in float32, to one rounding.
func TestActivateBackwardAddLarge(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	const n = 100003
	for _, l := range cpu.Levels() {
		b, err := cpu.NewLevel(l)
		if err != nil {
			t.Fatal(err)
		}
		a := backend.Activation{Kind: backend.Sigmoid}
		x, dy, dx := randomTensor(b, 1, n), randomTensor(b, 2, n), randomTensor(b, 3, n)
		y, g := b.Alloc(n), b.Alloc(n)
		b.Activate(a, x, y)
		b.ActivateBackward(a, x, y, dy, g)
		old, grad := download(b, dx), download(b, g)
		b.ActivateBackwardAdd(a, x, y, dy, -0.5, dx)
		got := download(b, dx)
		for i := range got {
			want := float64(grad[i]) - 0.5*float64(old[i])
			if math.Abs(float64(got[i])-want) > 0x1p-23*(math.Abs(want)+math.Abs(float64(grad[i]))) {
				t.Fatalf("%v: element %d = %v, want %v", l, i, got[i], want)
			}
		}
		b.Close()
	}
}
