package vec

import (
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// sweep returns a dense sweep of [lo, hi] in steps of about 1e-3 plus
// extremes: ±0, ±Inf, the largest finite values and the smallest
// subnormal.
func sweep(lo, hi float64) []float32 {
	var xs []float32
	for x := lo; x <= hi; x += 1.0 / 1024 {
		xs = append(xs, float32(x))
	}
	return append(xs, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-30, -1e-30)
}

// TestTranscendentalErrors sweeps the transcendental kernels at every level
// and checks the maximum error their doc comments state: relative error
// where the float64 value is a normal float32, absolute error below
// 2⁻¹²⁶ where it is not, NaN in NaN out.
func TestTranscendentalErrors(t *testing.T) {
	cases := []struct {
		name   string
		run    func(k *Kernels, dst, x []float32)
		ref    func(x float64) float64
		lo, hi float64
		maxRel float64
	}{
		{"Exp", (*Kernels).Exp, math.Exp, -110, 95, 2e-7},
		{"Sigmoid", (*Kernels).Sigmoid, sigmoid64, -110, 110, 4e-7},
		{"Tanh", (*Kernels).Tanh, math.Tanh, -20, 20, 3e-7},
		{"Softplus", (*Kernels).Softplus, softplus64, -110, 110, 3e-7},
		{"ELU(1)", func(k *Kernels, dst, x []float32) { k.ELU(dst, x, 1) },
			func(x float64) float64 {
				if x > 0 {
					return x
				}
				return math.Expm1(x)
			}, -40, 10, 2e-7},
	}
	for _, l := range isa.Supported() {
		k := For(l)
		for _, c := range cases {
			xs := sweep(c.lo, c.hi)
			xs = append(xs, float32(math.NaN()))
			ys := make([]float32, len(xs))
			c.run(k, ys, xs)
			var worst, worstX float64
			for i, x := range xs {
				got, want := float64(ys[i]), c.ref(float64(x))
				if math.IsNaN(want) {
					if !math.IsNaN(got) {
						t.Errorf("%v %s(%v) = %v, want NaN", l, c.name, x, got)
					}
					continue
				}
				if math.IsInf(want, 0) || math.Abs(want) > math.MaxFloat32 {
					if got != want && !(math.IsInf(got, 0) && math.Signbit(got) == math.Signbit(want)) {
						t.Errorf("%v %s(%v) = %v, want %v", l, c.name, x, got, want)
					}
					continue
				}
				if math.Abs(want) < 0x1p-126 {
					if math.Abs(got-want) > 0x1p-126 {
						t.Errorf("%v %s(%v) = %v, want %v (absolute error above 2⁻¹²⁶)", l, c.name, x, got, want)
					}
					continue
				}
				if e := math.Abs(got-want) / math.Abs(want); e > worst {
					worst, worstX = e, float64(x)
				}
			}
			t.Logf("%v %s: max relative error %.3g at x = %v over %d inputs", l, c.name, worst, worstX, len(xs))
			if worst > c.maxRel {
				t.Errorf("%v %s: max relative error %.3g at x = %v, above the stated %.3g", l, c.name, worst, worstX, c.maxRel)
			}
		}
	}
}
