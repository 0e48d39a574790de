package vec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// TestUnaryNT checks every NT twin of the unary kernels against the kernel
// itself, bit for bit: at every length of lengths, with dst at each of the
// 16 offsets of a float32 in a cache line (so that the aligning head has
// every length, and is cut short by n) and x at another, dst poisoned with
// NaN and bordered by sentinels that must survive, and in place; inputs mix
// normal draws and specials.
func TestUnaryNT(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for _, l := range isa.Supported() {
		k := For(l)
		for op := range numUnOps {
			nt := k.unaryNT[op]
			if l == isa.Generic {
				if nt != nil {
					t.Errorf("Generic has an NT twin of op %d", op)
				}
				continue
			}
			if nt == nil {
				t.Errorf("%v: op %d has no NT twin", l, op)
				continue
			}
			for _, n := range lengths() {
				for off := range 16 {
					x := mixed(r, n+7)[(off*5)%8:][:n]
					want := make([]float32, n)
					k.unary[op](want, x)
					got, buf := guarded(n, off)
					for i := range got {
						got[i] = float32(math.NaN())
					}
					nt(got, x)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%v op %d n=%d dst offset %d: element %d of x=%v: NT twin %v (%#x), kernel %v (%#x)",
								l, op, n, off, i, x[i], got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
					checkGuards(t, "NT twin", buf, off, n)
					// In place, dst = x.
					copy(got, x)
					nt(got, got)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%v op %d n=%d offset %d in place: element %d: NT twin %v, kernel %v", l, op, n, off, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestUnaryLarge checks Unary on an output long enough for the NT twins
// (ntMin and an odd number more, at an odd offset) against the Generic
// kernels: bit for bit for the correctly rounded functions, within the
// stated error (as in TestKernels) for Exp and Log.
func TestUnaryLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 3×16 MB")
	}
	n := ntMin + 37
	r := rand.New(rand.NewPCG(5, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
		if i%97 == 0 {
			x[i] = specials[i%len(specials)]
		}
	}
	want := make([]float32, n)
	buf := make([]float32, n+3)
	got := buf[3:]
	g := For(isa.Generic)
	for _, l := range isa.Supported() {
		k := For(l)
		for op := range numUnOps {
			g.Unary(op, want, x)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			k.Unary(op, got, x)
			for i := range got {
				w, v := want[i], got[i]
				ok := sameBits(v, w)
				if !ok && (op == Exp || op == Log) {
					ok = math.Abs(float64(v)-float64(w)) <= 4e-7*math.Abs(float64(w))
				}
				if !ok {
					t.Fatalf("%v op %d n=%d: element %d of x=%v: got %v, generic %v", l, op, n, i, x[i], v, w)
				}
			}
		}
	}
}
