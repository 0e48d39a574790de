package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/reg"
)

// sv returns the float32 parameter name broadcast to a vector: kept in a
// register for the whole AVX-512 kernel (32 registers leave room), loaded
// from the argument frame at each use on AVX2 (16 registers do not).
func (l *level) sv(name string) reg.VecVirtual {
	if r, ok := l.s[name]; ok {
		return r
	}
	if l.avx512 {
		l.param(name)
		return l.s[name]
	}
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	r := l.vec()
	VBROADCASTSS(b.Addr, r)
	return r
}

// Unroll factors: vectors per main-loop iteration.
var (
	unrollMem  = map[string]int{"AVX512": 4, "AVX2": 4} // memory-bound loops
	unrollMath = map[string]int{"AVX512": 2, "AVX2": 1} // transcendental bodies
	unrollOpt  = map[string]int{"AVX512": 2, "AVX2": 1} // optimizer steps
)

// one returns the single-element output list of a body.
func one(r reg.VecVirtual) []reg.VecVirtual { return []reg.VecVirtual{r} }

var kernels = []*kernel{
	{
		name: "relu", sig: "dst, x []float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMem,
		doc: []string{
			"relu sets dst[i] = max(x[i], 0): 0 where x[i] < 0, x[i] otherwise (so",
			"−0 and NaN pass through).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.maxNaN(in[0], 0)), nil
		},
	},
	{
		name: "reluGrad", sig: "dx, x, dy []float32", reads: []string{"x", "dy"}, writes: []string{"dx"}, unroll: unrollMem,
		doc: []string{
			"reluGrad sets dx[i] = dy[i] where x[i] > 0 and 0 elsewhere, deciding",
			"x[i] > 0 from its bits (sign clear, not zero), so a NaN with its sign",
			"clear counts as positive.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.keep(l.positive(in[0]), in[1])), nil
		},
	},
	{
		name: "leakyRelu", sig: "dst, x []float32, alpha float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMem,
		doc: []string{
			"leakyRelu sets dst[i] = x[i] where x[i] > 0 (by its bits, as in",
			"reluGrad) and alpha·x[i] elsewhere.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.blend(l.positive(in[0]), in[0], l.mul(in[0], l.sv("alpha")))), nil
		},
	},
	{
		name: "leakyReluGrad", sig: "dx, x, dy []float32, alpha float32", reads: []string{"x", "dy"}, writes: []string{"dx"}, unroll: unrollMem,
		doc: []string{
			"leakyReluGrad sets dx[i] = dy[i] where x[i] > 0 (by its bits, as in",
			"reluGrad) and alpha·dy[i] elsewhere.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.blend(l.positive(in[0]), in[1], l.mul(in[1], l.sv("alpha")))), nil
		},
	},
	{
		name: "elu", sig: "dst, x []float32, alpha float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMath,
		doc: []string{
			"elu sets dst[i] = x[i] where x[i] > 0 (by its bits, as in reluGrad)",
			"and alpha·(e^x[i] − 1) elsewhere, with e^x − 1 computed as",
			"(2^k − 1) + 2^k·q from expPoly so that it keeps its relative accuracy",
			"near 0: at most 2·10⁻⁷ relative error (absolute below 10⁻⁸·|alpha|",
			"where that is larger).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			e := l.mul(l.expm1Neg(in[0]), l.sv("alpha"))
			return one(l.blend(l.positive(in[0]), in[0], e)), nil
		},
	},
	{
		name: "eluGrad", sig: "dx, x, y, dy []float32, alpha float32", reads: []string{"x", "y", "dy"}, writes: []string{"dx"}, unroll: unrollMem,
		doc: []string{
			"eluGrad sets dx[i] = dy[i] where x[i] > 0 (by its bits, as in",
			"reluGrad) and dy[i]·(y[i] + alpha) elsewhere, y being elu's output.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			d := l.mul(in[2], l.add(in[1], l.sv("alpha")))
			return one(l.blend(l.positive(in[0]), in[2], d)), nil
		},
	},
	{
		name: "exp", sig: "dst, x []float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMath,
		nt: true,
		doc: []string{
			"exp sets dst[i] = e^x[i]: x is clamped to [−104, 89], split as",
			"k·ln2 + r with |r| ≤ ln2/2, and e^r = 1 + r + r²·P(r) (expPoly) is",
			"scaled by 2^k. Relative error at most 2·10⁻⁷ for normal results; +Inf",
			"above 88.72, 0 below −103.97, subnormals in between, NaN for NaN.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.exp(in[0])), nil
		},
	},
	{
		name: "sigmoid", sig: "dst, x []float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMath,
		doc: []string{
			"sigmoid sets dst[i] = 1/(1 + e^−x[i]) with exp's e^x: relative error",
			"at most 4·10⁻⁷; it saturates to 1 above 17 and underflows to 0 below",
			"−88.7 (absolute error below 10⁻³⁸), NaN for NaN.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.sigmoid(in[0])), nil
		},
	},
	{
		name: "sigmoidGrad", sig: "dx, y, dy []float32", reads: []string{"y", "dy"}, writes: []string{"dx"}, unroll: unrollMem,
		doc: []string{
			"sigmoidGrad sets dx[i] = dy[i]·y[i]·(1 − y[i]), y being sigmoid's",
			"output.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.mul(l.mul(in[1], in[0]), l.sub(l.creg(1), in[0]))), nil
		},
	},
	{
		name: "tanh", sig: "dst, x []float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMath,
		doc: []string{
			"tanh sets dst[i] = tanh x[i]: x + x³·P(x²) (tanhPoly) for |x| below",
			"tanhSmall, ±(1 − 2/(e^(2|x|) + 1)) with exp's e^x above. Relative",
			"error at most 3·10⁻⁷; ±1 beyond |x| = 9.1, NaN for NaN.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			x := in[0]
			a := l.abs(x)
			small := l.cmp(cmpLT, a, c(tanhSmall))
			u := l.mul(x, x)
			p := l.horner(tanhPoly.c, u)
			VFMADD213PS(x, l.mul(x, u), p)
			e := l.exp(l.add(a, a))
			VADDPS(c(1), e, e)
			big := l.sub(l.creg(1), l.div(l.creg(2), e))
			VORPS(l.op3(VANDPS, cbits(0x80000000), x), big, big)
			return one(l.blend(small, p, big)), nil
		},
	},
	{
		name: "tanhGrad", sig: "dx, y, dy []float32", reads: []string{"y", "dy"}, writes: []string{"dx"}, unroll: unrollMem,
		doc: []string{
			"tanhGrad sets dx[i] = dy[i]·(1 − y[i]²), y being tanh's output.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.mul(in[1], l.sub(l.creg(1), l.mul(in[0], in[0])))), nil
		},
	},
	{
		name: "softplus", sig: "dst, x []float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMath,
		doc: []string{
			"softplus sets dst[i] = log(1 + e^x[i]) as max(x, 0) + log(1 + t) with",
			"t = e^−|x| from exp and log(1 + t) = 2s + 2s³·P(s²) (log1pPoly),",
			"s = t/(2+t): relative error at most 3·10⁻⁷, never overflowing; x",
			"itself above 17, NaN for NaN.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			x := in[0]
			t := l.exp(l.neg(l.abs(x)))
			return one(l.add(l.maxNaN(x, 0), l.log1p01(t))), nil
		},
	},
	{
		name: "softplusGrad", sig: "dx, x, dy []float32", reads: []string{"x", "dy"}, writes: []string{"dx"}, unroll: unrollMath,
		doc: []string{
			"softplusGrad sets dx[i] = dy[i]·σ(x[i]), σ computed as in sigmoid.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.mul(in[1], l.sigmoid(in[0]))), nil
		},
	},
	{
		name: "add", sig: "dst, a, b []float32", reads: []string{"a", "b"}, writes: []string{"dst"}, unroll: unrollMem,
		doc: []string{"add sets dst[i] = a[i] + b[i]."},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.add(in[0], in[1])), nil
		},
	},
	{
		name: "mul", sig: "dst, a, b []float32", reads: []string{"a", "b"}, writes: []string{"dst"}, unroll: unrollMem,
		doc: []string{"mul sets dst[i] = a[i]·b[i]."},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.mul(in[0], in[1])), nil
		},
	},
	{
		name: "scale", sig: "x []float32, alpha float32", reads: []string{"x"}, writes: []string{"x"}, unroll: unrollMem,
		doc: []string{"scale sets x[i] = alpha·x[i]."},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.mul(in[0], l.sv("alpha"))), nil
		},
	},
	{
		name: "axpy", sig: "y, x []float32, alpha float32", reads: []string{"x", "y"}, writes: []string{"y"}, unroll: unrollMem,
		doc: []string{
			"axpy sets y[i] = alpha·x[i] + y[i] (one rounding where the level has",
			"FMA, two otherwise).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.fma(in[0], l.sv("alpha"), in[1])), nil
		},
	},
	{
		name: "fill", sig: "dst []float32, v float32", writes: []string{"dst"}, unroll: unrollMem,
		doc: []string{"fill sets every dst[i] to v."},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.sv("v")), nil
		},
	},
	{
		name: "addConst", sig: "x []float32, v float32", reads: []string{"x"}, writes: []string{"x"}, unroll: unrollMem,
		doc: []string{"addConst sets x[i] = x[i] + v."},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.add(in[0], l.sv("v"))), nil
		},
	},
	{
		name: "scaleShift", sig: "dst, x []float32, scale, shift float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMem,
		doc: []string{
			"scaleShift sets dst[i] = x[i]·scale + shift (one rounding where the",
			"level has FMA, two otherwise).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return one(l.fma(in[0], l.sv("scale"), l.sv("shift"))), nil
		},
	},
	{
		name: "sum", sig: "x []float32", reads: []string{"x"}, sum: true, unroll: unrollMem,
		doc: []string{
			"sum returns Σ x[i], accumulated in float64 in an order fixed by",
			"len(x) and the level.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return nil, in[0]
		},
	},
	{
		name: "dot", sig: "x, y []float32", reads: []string{"x", "y"}, sum: true, unroll: unrollMem,
		doc: []string{
			"dot returns Σ x[i]·y[i], the products rounded to float32 and",
			"accumulated in float64 in an order fixed by len(x) and the level.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return nil, l.mul(in[0], in[1])
		},
	},
	{
		name: "sumSqDev", sig: "x []float32, c float32", reads: []string{"x"}, sum: true, unroll: unrollMem,
		doc: []string{
			"sumSqDev returns Σ (x[i] − c)², each term in float32 and the sum in",
			"float64, in an order fixed by len(x) and the level.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			d := l.sub(in[0], l.sv("c"))
			return nil, l.mul(d, d)
		},
	},
	{
		name: "dotDev", sig: "x, y []float32, c float32", reads: []string{"x", "y"}, sum: true, unroll: unrollMem,
		doc: []string{
			"dotDev returns Σ x[i]·(y[i] − c), each term in float32 and the sum",
			"in float64, in an order fixed by len(x) and the level.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			return nil, l.mul(in[0], l.sub(in[1], l.sv("c")))
		},
	},
	{
		name: "expShift", sig: "dst, x []float32, m float32", reads: []string{"x"}, writes: []string{"dst"}, sum: true, unroll: unrollMath,
		doc: []string{
			"expShift sets dst[i] = e^(x[i] − m), computed as in exp, and returns",
			"Σ dst[i] accumulated in float64.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			e := l.exp(l.sub(in[0], l.sv("m")))
			return one(e), e
		},
	},
	{
		name: "softmaxXent", sig: "g, x, t []float32, m, ls, scale float32", reads: []string{"x", "t"}, writes: []string{"g"}, sum: true, unroll: unrollMath,
		doc: []string{
			"softmaxXent is one row of softmax cross-entropy given the row's",
			"maximum m and ls = log Σ e^(x[i] − m): with l[i] = (x[i] − m) − ls, the",
			"log-probability (exact in its first difference, so that large logits",
			"keep their accuracy), it sets g[i] = (e^l[i] − t[i])·scale, e^x as in",
			"exp, and returns Σ t[i]·l[i] over the i with t[i] ≠ 0, accumulated in",
			"float64.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			x, t := in[0], in[1]
			lp := l.sub(l.sub(x, l.sv("m")), l.sv("ls"))
			g := l.mul(l.sub(l.exp(lp), t), l.sv("scale"))
			nz := l.cmp(0x0c, t, l.zero()) // not equal, ordered
			return one(g), l.keep(nz, l.mul(t, lp))
		},
	},
	{
		name: "sigmoidXent", sig: "g, z, t []float32, scale float32", reads: []string{"z", "t"}, writes: []string{"g"}, sum: true, unroll: unrollMath,
		hoist: 8, // too few registers left for all its constants
		doc: []string{
			"sigmoidXent is binary cross-entropy on logits: with e = e^−|z[i]| from",
			"exp it sets g[i] = (σ(z[i]) − t[i])·scale, σ(z) = 1/(1+e) for z ≥ 0",
			"and e/(1+e) below, and returns Σ max(z, 0) − z·t + log(1 + e), the",
			"logarithm as in softplus, each term in float32 and the sum in float64.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			z, t := in[0], in[1]
			e := l.exp(l.neg(l.abs(z)))
			r := l.div(l.creg(1), l.add(e, c(1)))
			sig := l.blend(l.cmp(cmpLT, z, l.zero()), l.mul(e, r), r)
			g := l.mul(l.sub(sig, t), l.sv("scale"))
			term := l.sub(l.maxNaN(z, 0), l.mul(z, t))
			return one(g), l.add(term, l.log1p01(e))
		},
	},
	{
		name: "absDiff", sig: "g, p, t []float32, scale float32", reads: []string{"p", "t"}, writes: []string{"g"}, sum: true, unroll: unrollMem,
		doc: []string{
			"absDiff sets g[i] = sign(p[i] − t[i])·scale (0 where they are equal)",
			"and returns Σ |p[i] − t[i]|, each difference in float32 and the sum",
			"in float64.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			d := l.sub(in[0], in[1])
			z := l.zero()
			s := l.sv("scale")
			g := l.blend(l.cmp(cmpGT, d, z), s, l.blend(l.cmp(cmpLT, d, z), l.neg(s), z))
			return one(g), l.abs(d)
		},
	},
	{
		name: "sgd", sig: "p, g []float32, lr, wd float32", reads: []string{"p", "g"}, writes: []string{"p"}, unroll: unrollMem,
		doc: []string{"sgd sets p[i] = p[i] − lr·(g[i] + wd·p[i])."},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			p := in[0]
			gi := l.fma(p, l.sv("wd"), in[1])
			VFNMADD231PS(gi, l.sv("lr"), p)
			return one(p), nil
		},
	},
	{
		name: "sgdMomentum", sig: "p, g, v []float32, lr, wd, mu, damp float32", reads: []string{"p", "g", "v"}, writes: []string{"p", "v"}, unroll: unrollOpt,
		doc: []string{
			"sgdMomentum sets, with g′ = g[i] + wd·p[i], v[i] = mu·v[i] + damp·g′",
			"and p[i] = p[i] − lr·v[i] (damp is 1 − dampening).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			p := in[0]
			gi := l.fma(p, l.sv("wd"), in[1])
			v := l.fma(in[2], l.sv("mu"), l.mul(gi, l.sv("damp")))
			VFNMADD231PS(v, l.sv("lr"), p)
			return []reg.VecVirtual{p, v}, nil
		},
	},
	{
		name: "sgdNesterov", sig: "p, g, v []float32, lr, wd, mu, damp float32", reads: []string{"p", "g", "v"}, writes: []string{"p", "v"}, unroll: unrollOpt,
		doc: []string{
			"sgdNesterov sets, with g′ = g[i] + wd·p[i], v[i] = mu·v[i] + damp·g′",
			"and p[i] = p[i] − lr·(g′ + mu·v[i]) (damp is 1 − dampening).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			p := in[0]
			mu := l.sv("mu")
			gi := l.fma(p, l.sv("wd"), in[1])
			v := l.fma(in[2], mu, l.mul(gi, l.sv("damp")))
			d := l.fma(v, mu, gi)
			VFNMADD231PS(d, l.sv("lr"), p)
			return []reg.VecVirtual{p, v}, nil
		},
	},
	{
		name: "rmsprop", sig: "p, g, s []float32, lr, rho, rho1, eps, wd float32", reads: []string{"p", "g", "s"}, writes: []string{"p", "s"}, unroll: unrollOpt,
		doc: []string{
			"rmsprop sets, with g′ = g[i] + wd·p[i], s[i] = rho·s[i] + rho1·g′²",
			"and p[i] = p[i] − lr·g′/(√s[i] + eps) (rho1 is 1 − rho).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			p := in[0]
			gi := l.fma(p, l.sv("wd"), in[1])
			s := l.fma(in[2], l.sv("rho"), l.mul(l.mul(gi, gi), l.sv("rho1")))
			den := l.vec()
			VSQRTPS(s, den)
			VADDPS(l.sv("eps"), den, den)
			VFNMADD231PS(l.div(gi, den), l.sv("lr"), p)
			return []reg.VecVirtual{p, s}, nil
		},
	},
	{
		name: "adam", sig: "p, g, m, v []float32, lr, b1, b1c, b2, b2c, eps, wd, decay, bc1, bc2 float32",
		reads: []string{"p", "g", "m", "v"}, writes: []string{"p", "m", "v"}, unroll: unrollOpt,
		doc: []string{
			"adam sets, with g′ = g[i] + wd·p[i], m[i] = b1·m[i] + b1c·g′,",
			"v[i] = b2·v[i] + b2c·g′² and p[i] = decay·p[i] −",
			"lr·(m[i]/bc1)/(√(v[i]/bc2) + eps) (b1c = 1 − b1, b2c = 1 − b2, bc1",
			"and bc2 the bias corrections, decay the decoupled weight decay).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			p := in[0]
			gi := l.fma(p, l.sv("wd"), in[1])
			m := l.fma(in[2], l.sv("b1"), l.mul(gi, l.sv("b1c")))
			v := l.fma(in[3], l.sv("b2"), l.mul(l.mul(gi, gi), l.sv("b2c")))
			den := l.vec()
			VSQRTPS(l.div(v, l.sv("bc2")), den)
			VADDPS(l.sv("eps"), den, den)
			step := l.div(l.div(m, l.sv("bc1")), den)
			np := l.mul(p, l.sv("decay"))
			VFNMADD231PS(step, l.sv("lr"), np)
			return []reg.VecVirtual{np, m, v}, nil
		},
	},
	{
		name: "adadelta", sig: "p, g, s, u []float32, lr, rho, rho1, eps, wd float32",
		reads: []string{"p", "g", "s", "u"}, writes: []string{"p", "s", "u"}, unroll: unrollOpt,
		doc: []string{
			"adadelta sets, with g′ = g[i] + wd·p[i], s[i] = rho·s[i] + rho1·g′²,",
			"d = √(u[i] + eps)/√(s[i] + eps)·g′, u[i] = rho·u[i] + rho1·d² and",
			"p[i] = p[i] − lr·d (rho1 is 1 − rho).",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			p := in[0]
			eps := l.sv("eps")
			gi := l.fma(p, l.sv("wd"), in[1])
			s := l.fma(in[2], l.sv("rho"), l.mul(l.mul(gi, gi), l.sv("rho1")))
			nu, ds := l.vec(), l.vec()
			VSQRTPS(l.add(in[3], eps), nu)
			VSQRTPS(l.add(s, eps), ds)
			d := l.mul(l.div(nu, ds), gi)
			u := l.fma(in[3], l.sv("rho"), l.mul(l.mul(d, d), l.sv("rho1")))
			VFNMADD231PS(d, l.sv("lr"), p)
			return []reg.VecVirtual{p, s, u}, nil
		},
	},
}
