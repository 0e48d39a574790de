package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// lengths are the slice lengths every kernel is tested at: all of 0..67,
// then each side of the unroll boundaries (4 vectors of 16 or 8 lanes).
func lengths() []int {
	var ls []int
	for n := 0; n <= 67; n++ {
		ls = append(ls, n)
	}
	for _, b := range []int{96, 128, 192, 256, 512} {
		ls = append(ls, b-1, b, b+1)
	}
	return append(ls, 1000, 4099)
}

// guard is the number of sentinel elements each side of an output.
const guard = 19

// sentinel is the value guard elements hold; an overrun changes it.
const sentinel = -12345.678

// guarded returns a slice of n elements at offset off into a buffer whose
// other elements are sentinels, and the buffer.
func guarded(n, off int) (s, buf []float32) {
	buf = make([]float32, guard+off+n+guard)
	for i := range buf {
		buf[i] = sentinel
	}
	return buf[guard+off : guard+off+n], buf
}

// checkGuards fails t if a sentinel of buf outside s changed.
func checkGuards(t *testing.T, what string, buf []float32, off, n int) {
	t.Helper()
	for i, v := range buf {
		if (i < guard+off || i >= guard+off+n) && v != sentinel {
			t.Errorf("%s: element %d of the guard band (output [%d, %d)) is %v", what, i, guard+off, guard+off+n, v)
			return
		}
	}
}

// ewCase is a kernel checked elementwise against a float64 reference.
type ewCase struct {
	name  string
	in    int                               // input slices
	out   int                               // output slices
	state []int                             // inputs whose values the outputs start from (updated in place), by output
	gen   func(r *rand.Rand, j int) float32 // value of input j
	run   func(k *Kernels, out, in [][]float32) float64
	// ref returns the outputs and the summed term for one element.
	ref func(in []float64) (out []float64, term float64)
	// rel is the tolerance relative to |want| plus the largest input of the
	// element (the scale of cancellation in differences), or exact: the
	// kernel must round the float64 result correctly.
	rel float64
	sum bool // run returns a sum to check
}

func normal(r *rand.Rand, _ int) float32 { return float32(r.NormFloat64() * 3) }

// sigmoid64, softplus64 are the float64 references.
func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func softplus64(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

func pos64(x float64) bool { return x > 0 }

const (
	exact = 0    // the kernel does one rounding the reference matches
	ulp2  = 3e-7 // two or three float32 roundings
	trans = 1e-6 // transcendental kernels: a few ulps
	optim = 2e-6 // optimizer steps: a dozen roundings
	sumT  = 1e-6 // sums of float32 terms in float64
	alpha = 0.3
)

var ewCases = []ewCase{
	{name: "Relu", in: 1, out: 1, gen: normal, rel: exact,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Relu(o[0], i[0]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{math.Max(x[0], 0)}, 0 }},
	{name: "ReluGrad", in: 2, out: 1, gen: normal, rel: exact,
		run: func(k *Kernels, o, i [][]float32) float64 { k.ReluGrad(o[0], i[0], i[1]); return 0 },
		ref: func(x []float64) ([]float64, float64) {
			if pos64(x[0]) {
				return []float64{x[1]}, 0
			}
			return []float64{0}, 0
		}},
	{name: "LeakyRelu", in: 1, out: 1, gen: normal, rel: ulp2,
		run: func(k *Kernels, o, i [][]float32) float64 { k.LeakyRelu(o[0], i[0], alpha); return 0 },
		ref: func(x []float64) ([]float64, float64) {
			if pos64(x[0]) {
				return []float64{x[0]}, 0
			}
			return []float64{float64(float32(alpha)) * x[0]}, 0
		}},
	{name: "LeakyReluGrad", in: 2, out: 1, gen: normal, rel: ulp2,
		run: func(k *Kernels, o, i [][]float32) float64 { k.LeakyReluGrad(o[0], i[0], i[1], alpha); return 0 },
		ref: func(x []float64) ([]float64, float64) {
			if pos64(x[0]) {
				return []float64{x[1]}, 0
			}
			return []float64{float64(float32(alpha)) * x[1]}, 0
		}},
	{name: "ELU", in: 1, out: 1, gen: normal, rel: trans,
		run: func(k *Kernels, o, i [][]float32) float64 { k.ELU(o[0], i[0], alpha); return 0 },
		ref: func(x []float64) ([]float64, float64) {
			if pos64(x[0]) {
				return []float64{x[0]}, 0
			}
			return []float64{float64(float32(alpha)) * math.Expm1(x[0])}, 0
		}},
	{name: "ELUGrad", in: 3, out: 1, gen: normal, rel: ulp2,
		run: func(k *Kernels, o, i [][]float32) float64 { k.ELUGrad(o[0], i[0], i[1], i[2], alpha); return 0 },
		ref: func(x []float64) ([]float64, float64) {
			if pos64(x[0]) {
				return []float64{x[2]}, 0
			}
			return []float64{x[2] * (x[1] + float64(float32(alpha)))}, 0
		}},
	{name: "Exp", in: 1, out: 1, gen: normal, rel: trans,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Exp(o[0], i[0]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{math.Exp(x[0])}, 0 }},
	{name: "Sigmoid", in: 1, out: 1, gen: normal, rel: trans,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Sigmoid(o[0], i[0]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{sigmoid64(x[0])}, 0 }},
	{name: "SigmoidGrad", in: 2, out: 1, gen: normal, rel: ulp2,
		run: func(k *Kernels, o, i [][]float32) float64 { k.SigmoidGrad(o[0], i[0], i[1]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{x[1] * x[0] * (1 - x[0])}, 0 }},
	{name: "Tanh", in: 1, out: 1, gen: normal, rel: trans,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Tanh(o[0], i[0]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{math.Tanh(x[0])}, 0 }},
	{name: "TanhGrad", in: 2, out: 1, gen: normal, rel: ulp2,
		run: func(k *Kernels, o, i [][]float32) float64 { k.TanhGrad(o[0], i[0], i[1]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{x[1] * (1 - x[0]*x[0])}, 0 }},
	{name: "Softplus", in: 1, out: 1, gen: normal, rel: trans,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Softplus(o[0], i[0]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{softplus64(x[0])}, 0 }},
	{name: "SoftplusGrad", in: 2, out: 1, gen: normal, rel: trans,
		run: func(k *Kernels, o, i [][]float32) float64 { k.SoftplusGrad(o[0], i[0], i[1]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{x[1] * sigmoid64(x[0])}, 0 }},
	{name: "Add", in: 2, out: 1, gen: normal, rel: exact,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Add(o[0], i[0], i[1]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{x[0] + x[1]}, 0 }},
	{name: "Mul", in: 2, out: 1, gen: normal, rel: exact,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Mul(o[0], i[0], i[1]); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{x[0] * x[1]}, 0 }},
	{name: "Scale", in: 1, out: 1, state: []int{0}, gen: normal, rel: exact,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Scale(o[0], alpha); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{float64(float32(alpha)) * x[0]}, 0 }},
	{name: "Axpy", in: 2, out: 1, state: []int{0}, gen: normal, rel: ulp2,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Axpy(o[0], i[1], alpha); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{x[0] + float64(float32(alpha))*x[1]}, 0 }},
	{name: "Fill", in: 0, out: 1, gen: normal, rel: exact,
		run: func(k *Kernels, o, i [][]float32) float64 { k.Fill(o[0], alpha); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{float64(float32(alpha))}, 0 }},
	{name: "AddConst", in: 1, out: 1, state: []int{0}, gen: normal, rel: exact,
		run: func(k *Kernels, o, i [][]float32) float64 { k.AddConst(o[0], alpha); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{x[0] + float64(float32(alpha))}, 0 }},
	{name: "ScaleShift", in: 1, out: 1, gen: normal, rel: ulp2,
		run: func(k *Kernels, o, i [][]float32) float64 { k.ScaleShift(o[0], i[0], alpha, -1.5); return 0 },
		ref: func(x []float64) ([]float64, float64) { return []float64{x[0]*float64(float32(alpha)) - 1.5}, 0 }},
	{name: "Sum", in: 1, gen: normal, rel: sumT, sum: true,
		run: func(k *Kernels, o, i [][]float32) float64 { return k.Sum(i[0]) },
		ref: func(x []float64) ([]float64, float64) { return nil, x[0] }},
	{name: "Dot", in: 2, gen: normal, rel: sumT, sum: true,
		run: func(k *Kernels, o, i [][]float32) float64 { return k.Dot(i[0], i[1]) },
		ref: func(x []float64) ([]float64, float64) { return nil, x[0] * x[1] }},
	{name: "SumSqDev", in: 1, gen: normal, rel: sumT, sum: true,
		run: func(k *Kernels, o, i [][]float32) float64 { return k.SumSqDev(i[0], alpha) },
		ref: func(x []float64) ([]float64, float64) {
			d := x[0] - float64(float32(alpha))
			return nil, d * d
		}},
	{name: "DotDev", in: 2, gen: normal, rel: sumT, sum: true,
		run: func(k *Kernels, o, i [][]float32) float64 { return k.DotDev(i[0], i[1], alpha) },
		ref: func(x []float64) ([]float64, float64) { return nil, x[0] * (x[1] - float64(float32(alpha))) }},
	{name: "ExpShift", in: 1, out: 1, gen: normal, rel: trans, sum: true,
		run: func(k *Kernels, o, i [][]float32) float64 { return k.ExpShift(o[0], i[0], 2) },
		ref: func(x []float64) ([]float64, float64) { e := math.Exp(x[0] - 2); return []float64{e}, e }},
	{name: "SoftmaxXent", in: 2, out: 1, rel: trans, sum: true,
		gen: func(r *rand.Rand, j int) float32 {
			if j == 1 && r.IntN(3) == 0 {
				return 0
			}
			return float32(r.NormFloat64())
		},
		run: func(k *Kernels, o, i [][]float32) float64 { return k.SoftmaxXent(o[0], i[0], i[1], 1, 0.5, 0.25) },
		ref: func(x []float64) ([]float64, float64) {
			lp := x[0] - 1.5
			t := 0.0
			if x[1] != 0 {
				t = x[1] * lp
			}
			return []float64{(math.Exp(lp) - x[1]) * 0.25}, t
		}},
	{name: "SigmoidXent", in: 2, out: 1, rel: trans, sum: true,
		gen: func(r *rand.Rand, j int) float32 {
			if j == 1 {
				return r.Float32()
			}
			return float32(r.NormFloat64() * 4)
		},
		run: func(k *Kernels, o, i [][]float32) float64 { return k.SigmoidXent(o[0], i[0], i[1], 0.25) },
		ref: func(x []float64) ([]float64, float64) {
			z, t := x[0], x[1]
			return []float64{(sigmoid64(z) - t) * 0.25}, math.Max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z)))
		}},
	{name: "AbsDiff", in: 2, out: 1, rel: exact, sum: true,
		gen: func(r *rand.Rand, j int) float32 { return float32(r.IntN(5)) / 4 },
		run: func(k *Kernels, o, i [][]float32) float64 { return k.AbsDiff(o[0], i[0], i[1], 0.25) },
		ref: func(x []float64) ([]float64, float64) {
			d := x[0] - x[1]
			s := 0.0
			if d > 0 {
				s = 0.25
			} else if d < 0 {
				s = -0.25
			}
			return []float64{s}, math.Abs(d)
		}},
}

// Optimizer coefficients the cases use.
var (
	sgdH      = SGD{LR: 0.1, WD: 0.01, Mu: 0.9, Damp: 0.75}
	rmsH      = RMSprop{LR: 0.01, Rho: 0.9, Eps: 1e-3, WD: 0.01}
	adamH     = Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-3, WD: 0.01, Decay: 0.999, BC1: 0.19, BC2: 0.002997}
	adadeltaH = Adadelta{LR: 0.5, Rho: 0.9, Eps: 1e-3, WD: 0.01}
)

func f(x float32) float64 { return float64(x) }

// positiveState draws the non-negative optimizer buffers (inputs 2 and 3).
func optGen(r *rand.Rand, j int) float32 {
	if j >= 2 {
		return r.Float32() + 0.01
	}
	return float32(r.NormFloat64())
}

func init() {
	ewCases = append(ewCases,
		ewCase{name: "SGD", in: 2, out: 1, state: []int{0}, gen: optGen, rel: optim,
			run: func(k *Kernels, o, i [][]float32) float64 { k.SGD(o[0], i[1], sgdH); return 0 },
			ref: func(x []float64) ([]float64, float64) {
				return []float64{x[0] - f(sgdH.LR)*(x[1]+f(sgdH.WD)*x[0])}, 0
			}},
		ewCase{name: "SGDMomentum", in: 3, out: 2, state: []int{0, 2}, gen: optGen, rel: optim,
			run: func(k *Kernels, o, i [][]float32) float64 { k.SGDMomentum(o[0], i[1], o[1], sgdH, false); return 0 },
			ref: func(x []float64) ([]float64, float64) {
				g := x[1] + f(sgdH.WD)*x[0]
				v := f(sgdH.Mu)*x[2] + f(sgdH.Damp)*g
				return []float64{x[0] - f(sgdH.LR)*v, v}, 0
			}},
		ewCase{name: "SGDNesterov", in: 3, out: 2, state: []int{0, 2}, gen: optGen, rel: optim,
			run: func(k *Kernels, o, i [][]float32) float64 { k.SGDMomentum(o[0], i[1], o[1], sgdH, true); return 0 },
			ref: func(x []float64) ([]float64, float64) {
				g := x[1] + f(sgdH.WD)*x[0]
				v := f(sgdH.Mu)*x[2] + f(sgdH.Damp)*g
				return []float64{x[0] - f(sgdH.LR)*(g+f(sgdH.Mu)*v), v}, 0
			}},
		ewCase{name: "RMSprop", in: 3, out: 2, state: []int{0, 2}, gen: optGen, rel: optim,
			run: func(k *Kernels, o, i [][]float32) float64 { k.RMSprop(o[0], i[1], o[1], rmsH); return 0 },
			ref: func(x []float64) ([]float64, float64) {
				g := x[1] + f(rmsH.WD)*x[0]
				s := f(rmsH.Rho)*x[2] + (1-f(rmsH.Rho))*g*g
				return []float64{x[0] - f(rmsH.LR)*g/(math.Sqrt(s)+f(rmsH.Eps)), s}, 0
			}},
		ewCase{name: "Adam", in: 4, out: 3, state: []int{0, 2, 3}, gen: optGen, rel: optim,
			run: func(k *Kernels, o, i [][]float32) float64 { k.Adam(o[0], i[1], o[1], o[2], adamH); return 0 },
			ref: func(x []float64) ([]float64, float64) {
				h := adamH
				g := x[1] + f(h.WD)*x[0]
				m := f(h.Beta1)*x[2] + (1-f(h.Beta1))*g
				v := f(h.Beta2)*x[3] + (1-f(h.Beta2))*g*g
				return []float64{f(h.Decay)*x[0] - f(h.LR)*(m/f(h.BC1))/(math.Sqrt(v/f(h.BC2))+f(h.Eps)), m, v}, 0
			}},
		ewCase{name: "Adadelta", in: 4, out: 3, state: []int{0, 2, 3}, gen: optGen, rel: optim,
			run: func(k *Kernels, o, i [][]float32) float64 { k.Adadelta(o[0], i[1], o[1], o[2], adadeltaH); return 0 },
			ref: func(x []float64) ([]float64, float64) {
				h := adadeltaH
				g := x[1] + f(h.WD)*x[0]
				s := f(h.Rho)*x[2] + (1-f(h.Rho))*g*g
				d := math.Sqrt(x[3]+f(h.Eps)) / math.Sqrt(s+f(h.Eps)) * g
				u := f(h.Rho)*x[3] + (1-f(h.Rho))*d*d
				return []float64{x[0] - f(h.LR)*d, s, u}, 0
			}},
	)
}

// TestKernels checks every kernel at every level against its float64
// reference for many lengths and offsets, with NaN-poisoned outputs inside
// guard bands.
func TestKernels(t *testing.T) {
	for _, l := range isa.Supported() {
		k := For(l)
		if k.Level() != l {
			t.Fatalf("For(%v).Level() = %v", l, k.Level())
		}
		for _, c := range ewCases {
			t.Run(fmt.Sprintf("%v/%s", l, c.name), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(len(c.name)), uint64(l)))
				for _, n := range lengths() {
					checkCase(t, k, c, r, n, n%4)
				}
			})
		}
	}
}

// checkCase runs c once on slices of length n at offset off.
func checkCase(t *testing.T, k *Kernels, c ewCase, r *rand.Rand, n, off int) {
	t.Helper()
	in := make([][]float32, c.in)
	for j := range in {
		in[j], _ = guarded(n, off)
		for i := range in[j] {
			in[j][i] = c.gen(r, j)
		}
	}
	out := make([][]float32, c.out)
	bufs := make([][]float32, c.out)
	for j := range out {
		out[j], bufs[j] = guarded(n, (off+j)%4)
		for i := range out[j] {
			out[j][i] = float32(math.NaN())
		}
		if j < len(c.state) {
			copy(out[j], in[c.state[j]])
		}
	}
	got := c.run(k, out, in)
	x := make([]float64, c.in)
	var want, mag float64
	for i := range n {
		for j := range x {
			x[j] = float64(in[j][i])
		}
		var m float64 // the inputs' magnitude: the scale of cancellation errors
		for _, v := range x {
			m = max(m, math.Abs(v))
		}
		w, term := c.ref(x)
		want += term
		mag += math.Abs(term)
		for j, wj := range w {
			g := float64(out[j][i])
			tol := c.rel * (math.Abs(wj) + m)
			if c.rel == exact {
				tol = math.Abs(wj) * 0x1p-24
			}
			if !(math.Abs(g-wj) <= tol) {
				t.Fatalf("n=%d off=%d: output %d element %d with inputs %v: got %v, want %v (tolerance %.3g)", n, off, j, i, x, g, wj, tol)
			}
		}
	}
	if c.sum {
		tol := max(c.rel, 1e-6)*mag + 1e-12
		if !(math.Abs(got-want) <= tol) {
			t.Fatalf("n=%d off=%d: sum %v, want %v (tolerance %.3g)", n, off, got, want, tol)
		}
	}
	for j := range bufs {
		checkGuards(t, fmt.Sprintf("n=%d off=%d output %d", n, off, j), bufs[j], (off+j)%4, n)
	}
}
