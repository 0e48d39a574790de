package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// positive draws inputs for the functions defined on x > 0.
func positive(r *rand.Rand, _ int) float32 { return float32(math.Exp(r.NormFloat64() * 4)) }

// nonzero draws normal inputs away from 0, for the divisions.
func nonzero(r *rand.Rand, j int) float32 {
	v := normal(r, j)
	if math.Abs(float64(v)) < 1e-3 {
		return 1
	}
	return v
}

const scalarArg = -0.7 // the scalar operand of the slice-scalar cases

func init() {
	binRef := [numBinOps]func(a, b float64) float64{
		Add: func(a, b float64) float64 { return a + b },
		Sub: func(a, b float64) float64 { return a - b },
		Mul: func(a, b float64) float64 { return a * b },
		Div: func(a, b float64) float64 { return a / b },
		Max: math.Max,
		Min: math.Min,
	}
	names := [numBinOps]string{"Add", "Sub", "Mul", "Div", "Max", "Min"}
	s := float64(float32(scalarArg))
	for op := range numBinOps {
		ref := binRef[op]
		ewCases = append(ewCases,
			ewCase{name: "Binary" + names[op], in: 2, out: 1, gen: nonzero, rel: exact,
				run: func(k *Kernels, o, i [][]float32) float64 { k.Binary(op, o[0], i[0], i[1]); return 0 },
				ref: func(x []float64) ([]float64, float64) { return []float64{ref(x[0], x[1])}, 0 }},
			ewCase{name: "BinaryScalar" + names[op], in: 1, out: 1, gen: nonzero, rel: exact,
				run: func(k *Kernels, o, i [][]float32) float64 { k.BinaryScalar(op, o[0], i[0], scalarArg); return 0 },
				ref: func(x []float64) ([]float64, float64) { return []float64{ref(x[0], s)}, 0 }},
			ewCase{name: "ScalarBinary" + names[op], in: 1, out: 1, gen: nonzero, rel: exact,
				run: func(k *Kernels, o, i [][]float32) float64 { k.ScalarBinary(op, o[0], scalarArg, i[0]); return 0 },
				ref: func(x []float64) ([]float64, float64) { return []float64{ref(s, x[0])}, 0 }},
		)
	}
	unary := []struct {
		name string
		op   UnOp
		gen  func(*rand.Rand, int) float32
		rel  float64
		ref  func(float64) float64
	}{
		{"UnaryExp", Exp, normal, trans, math.Exp},
		{"UnaryLog", Log, positive, trans, math.Log},
		{"UnarySqrt", Sqrt, positive, exact, math.Sqrt},
		{"UnaryRsqrt", Rsqrt, positive, ulp2, func(x float64) float64 { return 1 / math.Sqrt(x) }},
		{"UnaryAbs", Abs, normal, exact, math.Abs},
		{"UnarySquare", Square, normal, exact, func(x float64) float64 { return x * x }},
		{"UnaryRecip", Recip, nonzero, exact, func(x float64) float64 { return 1 / x }},
		{"UnaryNeg", Neg, normal, exact, func(x float64) float64 { return -x }},
	}
	for _, u := range unary {
		ewCases = append(ewCases, ewCase{name: u.name, in: 1, out: 1, gen: u.gen, rel: u.rel,
			run: func(k *Kernels, o, i [][]float32) float64 { k.Unary(u.op, o[0], i[0]); return 0 },
			ref: func(x []float64) ([]float64, float64) { return []float64{u.ref(x[0])}, 0 }})
	}
	ewCases = append(ewCases, ewCase{name: "Clamp", in: 1, out: 1, gen: normal, rel: exact,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Clamp(o[0], i[0], -1.5, 2); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{math.Min(math.Max(x[0], -1.5), 2)}, 0 }})
}

// specials are the awkward values mixed into the bit-for-bit comparisons.
var specials = []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	quietNaN, math.Float32frombits(0xffc00001), math.MaxFloat32, -math.MaxFloat32,
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 0x1p-126, 1e-40, 3e-39}

// mixed returns n values, normal draws with specials mixed in.
func mixed(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		if r.IntN(4) == 0 {
			x[i] = specials[r.IntN(len(specials))]
		} else {
			x[i] = float32(r.NormFloat64() * 3)
		}
	}
	return x
}

// sameBits reports whether a and b are the same float32, any two NaNs
// counting as the same.
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// TestMathMatchesGeneric checks each assembly level's binary, scalar,
// unary (but Exp and Log, whose FMA steps round differently) and clamp
// kernels against their pure-Go twins bit for bit (NaN payloads aside), at
// every length of lengths, with specials (±0, ±Inf, NaN, subnormals) among
// the inputs, and scalars that are specials too.
func TestMathMatchesGeneric(t *testing.T) {
	g := For(isa.Generic)
	r := rand.New(rand.NewPCG(7, 12))
	type run func(k *Kernels, dst, a, b []float32, s float32)
	var runs []struct {
		name string
		f    run
	}
	add := func(name string, f run) {
		runs = append(runs, struct {
			name string
			f    run
		}{name, f})
	}
	for op := range numBinOps {
		add(fmt.Sprintf("Binary(%d)", op), func(k *Kernels, d, a, b []float32, _ float32) { k.Binary(op, d, a, b) })
		add(fmt.Sprintf("BinaryScalar(%d)", op), func(k *Kernels, d, a, _ []float32, s float32) { k.BinaryScalar(op, d, a, s) })
		add(fmt.Sprintf("ScalarBinary(%d)", op), func(k *Kernels, d, a, _ []float32, s float32) { k.ScalarBinary(op, d, s, a) })
	}
	for op := Sqrt; op < numUnOps; op++ {
		add(fmt.Sprintf("Unary(%d)", op), func(k *Kernels, d, a, _ []float32, _ float32) { k.Unary(op, d, a) })
	}
	add("Clamp", func(k *Kernels, d, a, _ []float32, s float32) { k.Clamp(d, a, s, s+2) })
	for _, l := range isa.Supported() {
		if l == isa.Generic {
			continue
		}
		k := For(l)
		for _, c := range runs {
			for _, n := range lengths() {
				a, b := mixed(r, n), mixed(r, n)
				s := specials[r.IntN(len(specials))]
				if r.IntN(2) == 0 {
					s = float32(r.NormFloat64())
				}
				want, got := make([]float32, n), make([]float32, n)
				c.f(g, want, a, b, s)
				c.f(k, got, a, b, s)
				for i := range got {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("%v %s n=%d s=%v: element %d with a=%v b=%v: got %v, generic %v", l, c.name, n, s, i, a[i], b[i], got[i], want[i])
					}
				}
			}
		}
	}
}

// TestLogErrors sweeps Log at every level over every binade of float32
// (32 points each, subnormals included) and the specials, and checks the
// error its doc comment states: relative 2·10⁻⁷, or absolute 10⁻⁷ where
// that is larger (near x = 1).
func TestLogErrors(t *testing.T) {
	var xs []float32
	for e := -149; e < 128; e++ {
		for j := range 32 {
			xs = append(xs, float32(math.Ldexp(1+float64(j)/32, e)))
		}
	}
	xs = append(xs, sweep(-2, 4)...)
	xs = append(xs, specials...)
	for _, l := range isa.Supported() {
		k := For(l)
		ys := make([]float32, len(xs))
		k.Unary(Log, ys, xs)
		var worst, worstX float64
		for i, x := range xs {
			got, want := float64(ys[i]), math.Log(float64(x))
			switch {
			case math.IsNaN(want) || math.IsInf(want, 0):
				if !sameBits(float32(got), float32(want)) {
					t.Errorf("%v log(%v) = %v, want %v", l, x, got, want)
				}
				continue
			}
			e := math.Abs(got-want) / max(math.Abs(want), 0.5)
			if e > worst {
				worst, worstX = e, float64(x)
			}
		}
		t.Logf("%v Log: max error %.3g at x = %v over %d inputs", l, worst, worstX, len(xs))
		if worst > 2e-7 {
			t.Errorf("%v Log: max error %.3g at x = %v, above the stated 2·10⁻⁷", l, worst, worstX)
		}
	}
}

// TestLogBitSweep runs Log at every level over every 1021st float32 bit
// pattern (all signs, binades, subnormals and NaN payloads; more than ntMin
// of them, so the assembly levels take their NT twins) and again in pieces
// of 4099 (the plain kernels), into outputs poisoned with a NaN, and checks
// the stated error against math.Log in float64, a NaN for negative x and
// NaN, −Inf at ±0 and +Inf at +Inf.
func TestLogBitSweep(t *testing.T) {
	const stride = 1021
	var xs []float32
	for b := uint64(0); b < 1<<32; b += stride {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	xs = append(xs, specials...)
	if len(xs) < ntMin {
		t.Fatalf("%d inputs, fewer than ntMin = %d", len(xs), ntMin)
	}
	poison := math.Float32frombits(0x7fa00bad)
	for _, l := range isa.Supported() {
		k := For(l)
		for _, piece := range []int{len(xs), 4099} {
			ys := make([]float32, len(xs))
			for i := range ys {
				ys[i] = poison
			}
			for i := 0; i < len(xs); i += piece {
				j := min(i+piece, len(xs))
				k.Unary(Log, ys[i:j], xs[i:j])
			}
			var worst, worstX float64
			bad := 0
			for i, x := range xs {
				got, want := float64(ys[i]), math.Log(float64(x))
				var ok bool
				switch {
				case math.IsNaN(want):
					ok = math.IsNaN(got) && math.Float32bits(ys[i]) != math.Float32bits(poison)
				case math.IsInf(want, 0):
					ok = got == want
				case math.IsNaN(got):
					ok = false
				default:
					e := math.Abs(got-want) / max(math.Abs(want), 0.5)
					if e > worst {
						worst, worstX = e, float64(x)
					}
					ok = true
				}
				if !ok {
					if bad++; bad <= 5 {
						t.Errorf("%v pieces of %d: log(%v) (bits %#08x) = %v (bits %#08x), want %v",
							l, piece, x, math.Float32bits(x), got, math.Float32bits(ys[i]), want)
					}
				}
			}
			t.Logf("%v pieces of %d: max error %.3g at x = %v over %d inputs", l, piece, worst, worstX, len(xs))
			if worst > 2e-7 {
				t.Errorf("%v pieces of %d: max error %.3g at x = %v, above the stated 2·10⁻⁷", l, piece, worst, worstX)
			}
		}
	}
}

// TestAddWideRows checks AddWideRows at every level against float64 sums
// taken row after row, bit for bit, for every length of lengths and 0 to
// 9 rows, with acc's guard elements (past len(acc)) and x's elements
// between rows left alone.
func TestAddWideRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, l := range isa.Supported() {
		k := For(l)
		for _, n := range lengths() {
			for rows := range 10 {
				ld := n + rows%3
				x := make([]float32, max(0, (rows-1)*ld+n))
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				buf := make([]float64, n+3)
				for i := range buf {
					buf[i] = r.NormFloat64()
				}
				want := append([]float64(nil), buf...)
				for j := range rows {
					for i := range n {
						want[i] += float64(x[j*ld+i])
					}
				}
				k.AddWideRows(buf[:n], x, ld, rows)
				for i := range buf {
					if buf[i] != want[i] {
						t.Fatalf("%v n=%d rows=%d: acc[%d] = %v, want %v", l, n, rows, i, buf[i], want[i])
					}
				}
			}
		}
	}
}

// TestMaxRow checks MaxRow at every level against a plain loop for every
// length of lengths, on random rows, rows of negative values only (the
// masked tail must not contribute a 0), rows with one NaN anywhere and
// rows with +Inf and −Inf.
func TestMaxRow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, l := range isa.Supported() {
		k := For(l)
		for _, n := range lengths() {
			for variant := range 4 {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64())
					if variant == 1 {
						x[i] = -1 - float32(math.Abs(float64(x[i])))
					}
				}
				if n > 0 && variant == 2 {
					x[r.IntN(n)] = float32(math.NaN())
				}
				if n > 0 && variant == 3 {
					x[r.IntN(n)] = float32(math.Inf(-1))
					x[r.IntN(n)] = float32(math.Inf(1))
				}
				want := float32(math.Inf(-1))
				for _, v := range x {
					want = max(want, v)
				}
				got := k.MaxRow(x)
				if !(got == want || (got != got && want != want)) {
					t.Fatalf("%v n=%d variant %d: MaxRow = %v, want %v", l, n, variant, got, want)
				}
			}
		}
	}
}

// TestMaxRows checks MaxRows at every level against the generic kernel bit
// for bit (NaN payloads aside), for every length of lengths and 0 to 9
// rows, with specials among the values, and with m's elements past len(m)
// left alone.
func TestMaxRows(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, l := range isa.Supported() {
		k := For(l)
		for _, n := range lengths() {
			for rows := range 10 {
				ld := n + rows%3
				x := mixed(r, max(0, (rows-1)*ld+n))
				m := mixed(r, n+3)
				want := append([]float32(nil), m...)
				for j := range rows {
					for i := range n {
						want[i] = maxProp(want[i], x[j*ld+i])
					}
				}
				k.MaxRows(m[:n], x, ld, rows)
				for i := range m {
					if !sameBits(m[i], want[i]) {
						t.Fatalf("%v n=%d rows=%d: m[%d] = %v, want %v", l, n, rows, i, m[i], want[i])
					}
				}
			}
		}
	}
}
