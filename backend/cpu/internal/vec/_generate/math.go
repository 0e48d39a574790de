package main

import (
	"math"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The general elementwise math kernels: binary operations between two
// slices and between a slice and a scalar, unary functions, clamping, and
// the widening accumulation of the axis reductions.

// More comparison predicates of VCMPPS.
const (
	cmpEQ    = 0x00 // equal, ordered, quiet
	cmpUnord = 0x03 // either is NaN
	cmpNGE   = 0x19 // not greater or equal, unordered (true for NaN), quiet
)

// maxProp returns max(a, b) with a NaN in either operand propagated
// (torch.maximum): VMAXPS returns its second source when either is NaN,
// which propagates b's NaN; a's is restored by a blend.
func (l *level) maxProp(a, b Op) reg.VecVirtual {
	return l.propagate(VMAXPS, a, b)
}

// minProp is maxProp for the minimum.
func (l *level) minProp(a, b Op) reg.VecVirtual {
	return l.propagate(VMINPS, a, b)
}

// propagate returns f(a, b) (VMAXPS or VMINPS, a its first source) with a
// NaN in a kept.
func (l *level) propagate(f func(...Op), a, b Op) reg.VecVirtual {
	ar, ok := a.(reg.VecVirtual)
	if !ok {
		ar = l.vec()
		VMOVUPS(a, ar)
	}
	r := l.op3(f, b, ar)
	return l.blend(l.cmp(cmpUnord, ar, ar), ar, r)
}

// logFixup is VFIXUPIMMPS's table for log, a response per class of x:
// a NaN quieted (QNaN and SNaN), −Inf at ±0, the computed value at 1 and
// at positive x, the default NaN at −Inf and negative x, +Inf at +Inf.
const logFixup = 0x03530422

// log returns ln x: x = 2^e·m with m in [¾, 3/2), t = 2(m−1)/(m+1) (as
// f/(½f + 1) with f = m − 1, exact), ln m = t + t³·P(t²) with P = logPoly,
// and ln x = ln m + e·ln2 in one FMA. AVX-512 takes m and e from VGETMANTPS
// and VGETEXPPS, which normalise subnormals, and sets the special cases
// with VFIXUPIMMPS: −Inf at ±0, +Inf at +Inf, a NaN below 0 and for NaN.
// AVX2 reads m and e from the bits after scaling subnormals by 2²³ and
// blends in −Inf, +Inf and the quiet NaN 0x7fc00000.
func (l *level) log(x reg.VecVirtual) reg.VecVirtual {
	var e, m reg.VecVirtual
	if l.avx512 {
		m, e = l.vec(), l.vec()
		VGETMANTPS(U8(0x03), x, m) // m in [¾, 3/2)
		VGETEXPPS(x, e)            // ⌊log₂ x⌋, one less than e where m < 1
		VADDPS(c(1), e, l.cmp(cmpLT, m, c(1)), e)
	} else {
		sub := l.cmp(cmpLT, x, c(0x1p-126))
		xs := l.blend(sub, l.mul(x, c(0x1p23)), x)
		adj := l.blend(sub, c(23), l.zero())
		ix := l.vec()
		VPADDD(cbits(0x3f800000-0x3f400000), xs, ix)
		e = l.vec()
		VPSRLD(U8(23), ix, e)
		VPSUBD(cbits(127), e, e)
		VCVTDQ2PS(e, e)
		VSUBPS(adj, e, e)
		m = l.op3(VANDPS, cbits(0x007fffff), ix)
		VPADDD(cbits(0x3f400000), m, m)
	}
	f := l.sub(m, c(1))
	t := l.div(f, l.fma(f, c(0.5), c(1)))
	v := l.mul(t, t)
	p := l.horner(logPoly.c, v)
	tv := l.mul(t, v)
	VFMADD213PS(t, tv, p)
	VFMADD231PS(c(math.Ln2), e, p)
	if l.avx512 {
		VFIXUPIMMPS(U8(0), cbits(logFixup), x, p)
		return p
	}
	z := l.zero()
	p = l.blend(l.cmp(cmpEQ, x, z), cbits(0xff800000), p)
	p = l.blend(l.cmp(cmpEQ, x, cbits(0x7f800000)), cbits(0x7f800000), p)
	return l.blend(l.cmp(cmpNGE, x, z), cbits(0x7fc00000), p)
}

// binaryOps are the slice-slice kernels beyond add and mul, with their
// bodies and doc comments.
var binaryOps = []struct {
	name, doc string
	body      func(l *level, a, b Op) reg.VecVirtual
}{
	{"sub", "sub sets dst[i] = a[i] − b[i].", func(l *level, a, b Op) reg.VecVirtual { return l.sub(a, b) }},
	{"div", "div sets dst[i] = a[i]/b[i].", func(l *level, a, b Op) reg.VecVirtual { return l.div(a, b) }},
	{"max", "max sets dst[i] = max(a[i], b[i]), NaN if either is NaN (a's NaN if both).", func(l *level, a, b Op) reg.VecVirtual { return l.maxProp(a, b) }},
	{"min", "min sets dst[i] = min(a[i], b[i]), NaN if either is NaN (a's NaN if both).", func(l *level, a, b Op) reg.VecVirtual { return l.minProp(a, b) }},
}

// scalarOps are the slice-scalar kernels dst[i] = x[i] op s (or s op x[i]
// for rsub and rdiv).
var scalarOps = []struct {
	name, doc string
	body      func(l *level, x, s reg.VecVirtual) reg.VecVirtual
}{
	{"addScalar", "addScalar sets dst[i] = x[i] + s.", func(l *level, x, s reg.VecVirtual) reg.VecVirtual { return l.add(x, s) }},
	{"subScalar", "subScalar sets dst[i] = x[i] − s.", func(l *level, x, s reg.VecVirtual) reg.VecVirtual { return l.sub(x, s) }},
	{"rsubScalar", "rsubScalar sets dst[i] = s − x[i].", func(l *level, x, s reg.VecVirtual) reg.VecVirtual { return l.sub(s, x) }},
	{"mulScalar", "mulScalar sets dst[i] = x[i]·s.", func(l *level, x, s reg.VecVirtual) reg.VecVirtual { return l.mul(x, s) }},
	{"divScalar", "divScalar sets dst[i] = x[i]/s.", func(l *level, x, s reg.VecVirtual) reg.VecVirtual { return l.div(x, s) }},
	{"rdivScalar", "rdivScalar sets dst[i] = s/x[i].", func(l *level, x, s reg.VecVirtual) reg.VecVirtual { return l.div(s, x) }},
	{"maxScalar", "maxScalar sets dst[i] = max(x[i], s), NaN if either is NaN (x's NaN if both).", func(l *level, x, s reg.VecVirtual) reg.VecVirtual { return l.maxProp(x, s) }},
	{"minScalar", "minScalar sets dst[i] = min(x[i], s), NaN if either is NaN (x's NaN if both).", func(l *level, x, s reg.VecVirtual) reg.VecVirtual { return l.minProp(x, s) }},
}

// unrollLog is log's unroll: one vector a step, its seven constants kept
// in registers on AVX-512 (see kernel.hoist), already streams at the speed
// of copy.
var unrollLog = map[string]int{"AVX512": 1, "AVX2": 1}

// unaryOps are the unary function kernels dst[i] = f(x[i]) beyond exp.
var unaryOps = []struct {
	name   string
	doc    []string
	unroll map[string]int
	hoist  int // kernel.hoist
	body   func(l *level, x reg.VecVirtual) reg.VecVirtual
}{
	{"log", []string{
		"log sets dst[i] = ln x[i]: x = 2^e·m with m in [¾, 3/2) (subnormals",
		"normalised), ln m = t + t³·P(t²) with t = 2(m−1)/(m+1) and P = logPoly,",
		"plus e·ln2. Relative error at most 2·10⁻⁷ (absolute 10⁻⁷ near x = 1);",
		"−Inf at ±0, +Inf at +Inf, NaN below 0 and for NaN.",
	}, unrollLog, 7, func(l *level, x reg.VecVirtual) reg.VecVirtual { return l.log(x) }},
	{"sqrt", []string{"sqrt sets dst[i] = √x[i], correctly rounded; NaN below −0."}, unrollMem, 0,
		func(l *level, x reg.VecVirtual) reg.VecVirtual { r := l.vec(); VSQRTPS(x, r); return r }},
	{"rsqrt", []string{"rsqrt sets dst[i] = 1/√x[i], the square root and the quotient each", "correctly rounded."}, unrollMem, 0,
		func(l *level, x reg.VecVirtual) reg.VecVirtual {
			r := l.vec()
			VSQRTPS(x, r)
			return l.div(l.creg(1), r)
		}},
	{"abs", []string{"abs sets dst[i] = |x[i]| (the sign bit cleared)."}, unrollMem, 0,
		func(l *level, x reg.VecVirtual) reg.VecVirtual { return l.abs(x) }},
	{"neg", []string{"neg sets dst[i] = −x[i] (the sign bit flipped)."}, unrollMem, 0,
		func(l *level, x reg.VecVirtual) reg.VecVirtual { return l.neg(x) }},
	{"square", []string{"square sets dst[i] = x[i]²."}, unrollMem, 0,
		func(l *level, x reg.VecVirtual) reg.VecVirtual { return l.mul(x, x) }},
	{"recip", []string{"recip sets dst[i] = 1/x[i], correctly rounded."}, unrollMem, 0,
		func(l *level, x reg.VecVirtual) reg.VecVirtual { return l.div(l.creg(1), x) }},
}

func init() {
	for _, o := range binaryOps {
		o := o
		kernels = append(kernels, &kernel{
			name: o.name, sig: "dst, a, b []float32", reads: []string{"a", "b"}, writes: []string{"dst"}, unroll: unrollMem,
			doc: []string{o.doc},
			body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
				return one(o.body(l, in[0], in[1])), nil
			},
		})
	}
	for _, o := range scalarOps {
		o := o
		kernels = append(kernels, &kernel{
			name: o.name, sig: "dst, x []float32, s float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMem,
			doc: []string{o.doc},
			body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
				return one(o.body(l, in[0], l.sv("s"))), nil
			},
		})
	}
	for _, o := range unaryOps {
		o := o
		kernels = append(kernels, &kernel{
			name: o.name, sig: "dst, x []float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: o.unroll,
			doc: o.doc, nt: true,
			hoist: o.hoist,
			body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
				return one(o.body(l, in[0])), nil
			},
		})
	}
	kernels = append(kernels, &kernel{
		name: "clamp", sig: "dst, x []float32, lo, hi float32", reads: []string{"x"}, writes: []string{"dst"}, unroll: unrollMem,
		doc: []string{
			"clamp sets dst[i] = min(max(x[i], lo), hi), a NaN in x kept",
			"(torch.clamp); hi where lo > hi.",
		},
		body: func(l *level, in []reg.VecVirtual) ([]reg.VecVirtual, reg.VecVirtual) {
			m := l.op3(VMAXPS, in[0], l.sv("lo"))
			return one(l.op3(VMINPS, m, l.sv("hi"))), nil
		},
	})
}

var addWideRowsDoc = []string{
	"addWideRows adds rows rows of len(acc) floats, ld apart in x, to the",
	"float64 accumulator acc, in row order for every column:",
	"acc[i] = (…(acc[i] + x[i]) + x[ld+i]) + … + x[(rows−1)·ld+i], each",
	"addition in float64 (exact in its operands): the accumulation of the",
	"axis reductions, which reads each acc vector once per call.",
}

// emitAddWideRows writes addWideRows for level l: for each block of two
// vectors of columns (then one, then single columns), the accumulators are
// loaded into registers, the rows added in order and the sums stored.
func emitAddWideRows(l *level) {
	name := "addWideRows" + l.suffix
	TEXT(name, NOSPLIT, "func(acc []float64, x []float32, ld, rows int)")
	Doc(append([]string{name + strings.TrimPrefix(addWideRowsDoc[0], "addWideRows")}, addWideRowsDoc[1:]...)...)
	acc, x, n, ld, rows := GP64(), GP64(), GP64(), GP64(), GP64()
	Load(Param("acc").Base(), acc)
	Load(Param("x").Base(), x)
	Load(Param("acc").Len(), n)
	Load(Param("ld"), ld)
	Load(Param("rows"), rows)
	SHLQ(U8(2), ld)
	half := l.bytes() / 2 // bytes of x widened into one float64 vector

	// block adds the rows to cols columns at acc and x, vectors of them
	// when vectors is set, else one column.
	block := func(label string, cols int, vectors bool) {
		Label(label + "_" + name)
		CMPQ(n, U32(cols))
		JL(LabelRef(label + "_done_" + name))
		var a []reg.VecVirtual
		if vectors {
			for j := range 2 * cols / l.lanes {
				r := l.vec()
				VMOVUPD(Mem{Base: acc, Disp: j * l.bytes()}, r)
				a = append(a, r)
			}
		} else {
			r := XMM()
			VMOVSD(Mem{Base: acc}, r)
			a = append(a, r)
		}
		p, r := GP64(), GP64()
		MOVQ(x, p)
		MOVQ(rows, r)
		Label(label + "_rows_" + name)
		for j, v := range a {
			if vectors {
				w := l.vec()
				VCVTPS2PD(Mem{Base: p, Disp: j * half}, w)
				VADDPD(w, v, v)
			} else {
				w := XMM()
				VCVTSS2SD(Mem{Base: p}, w, w)
				VADDSD(w, v, v)
			}
		}
		ADDQ(ld, p)
		DECQ(r)
		JNZ(LabelRef(label + "_rows_" + name))
		for j, v := range a {
			if vectors {
				VMOVUPD(v, Mem{Base: acc, Disp: j * l.bytes()})
			} else {
				VMOVSD(v, Mem{Base: acc})
			}
		}
		ADDQ(U32(4*cols), x)
		ADDQ(U32(8*cols), acc)
		SUBQ(U32(cols), n)
		JMP(LabelRef(label + "_" + name))
		Label(label + "_done_" + name)
	}
	CMPQ(rows, U32(0))
	JE(LabelRef("end_" + name))
	block("pair", 2*l.lanes, true)
	block("single", l.lanes, true)
	block("column", 1, false)
	Label("end_" + name)
	VZEROUPPER()
	RET()
}

var maxRowDoc = []string{
	"maxRow returns the largest element of x, −Inf if x is empty, and the",
	"quiet NaN 0x7fc00000 if any element is NaN (torch.amax); which of +0",
	"and −0 it returns when they tie is unspecified.",
}

// emitMaxRow writes maxRow for level l: four running maxima and, for the
// NaN test, four running maxima of the elements' bits with the sign
// cleared (a NaN's exceed +Inf's 0x7f800000), over unrolled vectors, one
// vector at a time and a masked tail whose missing lanes count as −Inf;
// then both reduced across registers and lanes in a fixed order.
func emitMaxRow(l *level) {
	name := "maxRow" + l.suffix
	TEXT(name, NOSPLIT, "func(x []float32) float32")
	Doc(append([]string{name + strings.TrimPrefix(maxRowDoc[0], "maxRow")}, maxRowDoc[1:]...)...)
	p, n := GP64(), GP64()
	Load(Param("x").Base(), p)
	Load(Param("x").Len(), n)
	const u = 4
	var m, bits [u]reg.VecVirtual
	for j := range u {
		m[j] = l.creg(float32(math.Inf(-1)))
		bits[j] = l.zero()
	}
	// add folds the vector v into accumulator pair j.
	add := func(j int, v reg.VecVirtual) {
		VMAXPS(v, m[j], m[j])
		a := l.op3(VANDPS, cbits(0x7fffffff), v)
		VPMAXSD(a, bits[j], bits[j])
	}
	loop := func(label string, vectors int) {
		Label(label + "_" + name)
		CMPQ(n, U32(vectors*l.lanes))
		JL(LabelRef(label + "_done_" + name))
		for j := range vectors {
			v := l.vec()
			VMOVUPS(Mem{Base: p, Disp: j * l.bytes()}, v)
			add(j, v)
		}
		ADDQ(U32(vectors*l.bytes()), p)
		SUBQ(U32(vectors*l.lanes), n)
		JMP(LabelRef(label + "_" + name))
		Label(label + "_done_" + name)
	}
	loop("block", u)
	loop("single", 1)
	CMPQ(n, U32(0))
	JE(LabelRef("reduce_" + name))
	k := l.tailMask(n)
	v := l.vec()
	l.load(Mem{Base: p}, v, k)
	add(0, l.blend(k, v, l.creg(float32(math.Inf(-1)))))
	Label("reduce_" + name)
	for j := 1; j < u; j++ {
		VMAXPS(m[j], m[0], m[0])
		VPMAXSD(bits[j], bits[0], bits[0])
	}
	x, b := m[0], bits[0]
	if l.avx512 {
		hx, hb := YMM(), YMM()
		VEXTRACTF64X4(U8(1), x, hx)
		VMAXPS(hx, x.AsY(), hx)
		VEXTRACTI64X4(U8(1), b, hb)
		VPMAXSD(hb, b.AsY(), hb)
		x, b = hx, hb
	}
	xx, bx := XMM(), XMM()
	VEXTRACTF128(U8(1), x, xx)
	VMAXPS(xx, x.AsX(), xx)
	VEXTRACTI128(U8(1), b, bx)
	VPMAXSD(bx, b.AsX(), bx)
	for _, imm := range []uint8{0x0e, 0x01} { // lanes 2, 3 onto 0, 1; then lane 1 onto 0
		t, tb := XMM(), XMM()
		VPSHUFD(U8(imm), xx, t)
		VMAXPS(t, xx, xx)
		VPSHUFD(U8(imm), bx, tb)
		VPMAXSD(tb, bx, bx)
	}
	g := GP32()
	VMOVD(bx, g)
	CMPL(g, U32(0x7f800000))
	JBE(LabelRef("done_" + name))
	VMOVSS(cbits(0x7fc00000), xx)
	Label("done_" + name)
	Store(xx, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

var maxRowsDoc = []string{
	"maxRows sets m[i] = max(m[i], x[i], x[ld+i], …, x[(rows−1)·ld+i]) for",
	"every i < len(m), NaN where any of them is NaN (m's NaN first): the",
	"axis maxima, which read each m vector once per call.",
}

// emitMaxRows writes maxRows for level l: for each block of two vectors of
// columns (then one, then a masked vector of the last columns), the running
// maxima are loaded into registers, the rows folded in with maxProp in
// order and the maxima stored.
func emitMaxRows(l *level) {
	name := "maxRows" + l.suffix
	TEXT(name, NOSPLIT, "func(m []float32, x []float32, ld, rows int)")
	Doc(append([]string{name + strings.TrimPrefix(maxRowsDoc[0], "maxRows")}, maxRowsDoc[1:]...)...)
	mp, x, n, ld, rows := GP64(), GP64(), GP64(), GP64(), GP64()
	Load(Param("m").Base(), mp)
	Load(Param("x").Base(), x)
	Load(Param("m").Len(), n)
	Load(Param("ld"), ld)
	Load(Param("rows"), rows)
	SHLQ(U8(2), ld)
	CMPQ(rows, U32(0))
	JE(LabelRef("end_" + name))

	// block folds the rows into vectors vectors of columns at mp and x,
	// under the mask k unless it is nil.
	block := func(label string, vectors int, k mask) {
		acc := make([]reg.VecVirtual, vectors)
		for j := range acc {
			acc[j] = l.vec()
			l.load(Mem{Base: mp, Disp: j * l.bytes()}, acc[j], k)
		}
		p, r := GP64(), GP64()
		MOVQ(x, p)
		MOVQ(rows, r)
		Label(label + "_rows_" + name)
		for j := range acc {
			v := l.vec()
			l.load(Mem{Base: p, Disp: j * l.bytes()}, v, k)
			VMOVAPS(l.maxProp(acc[j], v), acc[j]) // the same register on every pass
		}
		ADDQ(ld, p)
		DECQ(r)
		JNZ(LabelRef(label + "_rows_" + name))
		for j := range acc {
			l.store(acc[j], Mem{Base: mp, Disp: j * l.bytes()}, k)
		}
	}
	loop := func(label string, vectors int) {
		Label(label + "_" + name)
		CMPQ(n, U32(vectors*l.lanes))
		JL(LabelRef(label + "_done_" + name))
		block(label, vectors, nil)
		ADDQ(U32(vectors*l.bytes()), x)
		ADDQ(U32(vectors*l.bytes()), mp)
		SUBQ(U32(vectors*l.lanes), n)
		JMP(LabelRef(label + "_" + name))
		Label(label + "_done_" + name)
	}
	loop("pair", 2)
	loop("single", 1)
	CMPQ(n, U32(0))
	JE(LabelRef("end_" + name))
	block("tail", 1, l.tailMask(n))
	Label("end_" + name)
	VZEROUPPER()
	RET()
}
