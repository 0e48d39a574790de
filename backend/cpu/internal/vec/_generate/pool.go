package main

import (
	"math"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The 2×2, stride-2 max-pooling kernels walk one plane output row by
// output row. A vector of outputs covers two vectors of each of the two
// input rows: the even and odd columns are split apart (VPERMT2PS on
// AVX-512, VSHUFPS and VPERMPD on AVX2), the four candidates of each window
// are compared in row-major order with strict greater-than (so ties and
// later NaNs never win), and the window offset of the winner (0, 1, w or
// w+1) is blended alongside. The last vector of a row is masked.

var (
	maxPool2Doc = []string{
		"maxPool2 sets, for each of the oh×ow outputs of 2×2 max pooling with",
		"stride 2 over the plane x of rows w floats apart, y[r·ow+j] to the",
		"first greatest of x[2r·w+2j], x[2r·w+2j+1], x[(2r+1)·w+2j] and",
		"x[(2r+1)·w+2j+1] in that order (a later element wins only if it",
		"compares greater, so a NaN wins only in first place) and arg[r·ow+j]",
		"to its index as a float32 in a plane of rows of width aw: 2r·aw+2j,",
		"plus 1 for the second column, plus aw for the second row.",
	}
	maxPool2GradDoc = []string{
		"maxPool2Grad is maxPool2's gradient: for each output it sets the four",
		"elements of its window in dx (rows w floats apart) to 0 but the one",
		"arg names (as an index in rows of width aw), which gets dy. It",
		"returns false, leaving dx partly written, as soon as an arg names no",
		"element of its own window.",
	}
)

// words returns a read-only table of 32-bit values.
func words(name string, vs []uint32) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i, v := range vs {
		DATA(4*i, U32(v))
	}
	return m
}

// Tables shared by the pooling kernels, made on first use.
var poolTabs struct {
	made                       bool
	iota2, even, odd, ilo, ihi Mem
	mask8                      Mem
}

func makePoolTabs() {
	if poolTabs.made {
		return
	}
	poolTabs.made = true
	var iota2, even, odd, ilo, ihi, mask8 []uint32
	for i := range 16 {
		iota2 = append(iota2, math.Float32bits(float32(2*i)))
		even = append(even, uint32(2*i))
		odd = append(odd, uint32(2*i+1))
		ilo = append(ilo, uint32(i/2+16*(i%2)))
		ihi = append(ihi, uint32(8+i/2+16*(i%2)))
	}
	for i := range 32 {
		v := uint32(0)
		if i < 16 {
			v = 0xffffffff
		}
		mask8 = append(mask8, v)
	}
	poolTabs.iota2 = words("pooliota2", iota2)
	poolTabs.even = words("pooleven", even)
	poolTabs.odd = words("poolodd", odd)
	poolTabs.ilo = words("poolilo", ilo)
	poolTabs.ihi = words("poolihi", ihi)
	// mask8 is sixteen all-ones lanes then sixteen zero ones: the eight
	// lanes read at index 16−m have their first m set, for −8 ≤ m ≤ 16.
	poolTabs.mask8 = words("poolmask8", mask8)
}

// poolMasks are the lane masks of the last, partial vector of a row: the
// two vectors read from (or written to) each input row and the outputs.
// All are nil for a full vector.
type poolMasks struct{ lo, hi, out mask }

// pool2 is the state of a 2×2 pooling kernel being emitted.
type pool2 struct {
	l          *level
	r0, r1     reg.GPVirtual // the two input rows at the current column
	y, a       reg.GPVirtual // the outputs (dy and arg in the gradient)
	pos        reg.GPVirtual // index in the plane of r0's current element
	wf, w1f    reg.VecVirtual
	one, iota2 reg.VecVirtual
	// idx holds, on AVX-512, the VPERMT2PS indices of split (even, odd)
	// in the forward kernel and of join (first, second vector) in the
	// gradient.
	idx [2]reg.VecVirtual
}

// masks returns the masks of a row's last n outputs, 0 < n < lanes.
func (p *pool2) masks(n reg.GPVirtual) poolMasks {
	l := p.l
	if l.avx512 {
		all, t := GP32(), GP32()
		MOVL(U32(0xffffffff), all)
		cnt := GP64()
		LEAQ(Mem{Base: n, Index: n, Scale: 1}, cnt)
		BZHIL(cnt.As32(), all, t)
		lo, hi, out := K(), K(), K()
		KMOVD(t, lo)
		KSHIFTRD(U8(16), lo, hi)
		BZHIL(n.As32(), all, t)
		KMOVW(t, out)
		return poolMasks{lo, hi, out}
	}
	tab := GP64()
	LEAQ(poolTabs.mask8, tab)
	load := func(off int, times int) mask {
		i := GP64()
		MOVQ(U32(off), i)
		for range times {
			SUBQ(n, i)
		}
		m := l.vec()
		VMOVUPS(Mem{Base: tab, Index: i, Scale: 4}, m)
		return m
	}
	return poolMasks{lo: load(16, 2), hi: load(24, 2), out: load(16, 1)}
}

// loadPair reads the two vectors of an input row at ptr.
func (p *pool2) loadPair(ptr reg.GPVirtual, m poolMasks) (a, b reg.VecVirtual) {
	l := p.l
	a, b = l.vec(), l.vec()
	l.load(Mem{Base: ptr}, a, m.lo)
	l.load(Mem{Base: ptr, Disp: l.bytes()}, b, m.hi)
	return a, b
}

// split returns the even and odd lanes of the pair a, b (a's first).
func (p *pool2) split(a, b reg.VecVirtual) (even, odd reg.VecVirtual) {
	l := p.l
	even, odd = l.vec(), l.vec()
	if l.avx512 {
		VMOVAPS(a, even)
		VPERMT2PS(b, p.idx[0], even)
		VMOVAPS(a, odd)
		VPERMT2PS(b, p.idx[1], odd)
		return even, odd
	}
	VSHUFPS(U8(0x88), b, a, even)
	VPERMPD(U8(0xd8), even, even)
	VSHUFPS(U8(0xdd), b, a, odd)
	VPERMPD(U8(0xd8), odd, odd)
	return even, odd
}

// join returns the pair of vectors whose even lanes are even's and odd
// lanes odd's: split's inverse.
func (p *pool2) join(even, odd reg.VecVirtual) (a, b reg.VecVirtual) {
	l := p.l
	a, b = l.vec(), l.vec()
	if l.avx512 {
		VMOVAPS(even, a)
		VPERMT2PS(odd, p.idx[0], a)
		VMOVAPS(even, b)
		VPERMT2PS(odd, p.idx[1], b)
		return a, b
	}
	u, v := l.vec(), l.vec()
	VUNPCKLPS(odd, even, u)
	VUNPCKHPS(odd, even, v)
	VPERM2F128(U8(0x20), v, u, a)
	VPERM2F128(U8(0x31), v, u, b)
	return a, b
}

// positions returns the plane index of r0's element of each output's
// window, as floats.
func (p *pool2) positions() reg.VecVirtual {
	x := XMM()
	VXORPS(x, x, x)
	VCVTSI2SSQ(p.pos, x, x)
	v := p.l.vec()
	VBROADCASTSS(x, v)
	VADDPS(p.iota2, v, v)
	return v
}

// forward emits one vector of maxPool2.
func (p *pool2) forward(m poolMasks) {
	l := p.l
	a0, a1 := p.loadPair(p.r0, m)
	b0, b1 := p.loadPair(p.r1, m)
	e0, o0 := p.split(a0, a1)
	e1, o1 := p.split(b0, b1)
	best, off := e0, l.zero()
	for i, cand := range []reg.VecVirtual{o0, e1, o1} {
		gt := l.cmp(cmpGT, cand, best)
		best = l.blend(gt, cand, best)
		off = l.blend(gt, []reg.VecVirtual{p.one, p.wf, p.w1f}[i], off)
	}
	VADDPS(p.positions(), off, off)
	l.store(best, Mem{Base: p.y}, m.out)
	l.store(off, Mem{Base: p.a}, m.out)
}

// gradient emits one vector of maxPool2Grad, jumping to fail if an arg
// names no element of its window.
func (p *pool2) gradient(m poolMasks, fail string) {
	l := p.l
	dy, arg := l.vec(), l.vec()
	l.load(Mem{Base: p.y}, dy, m.out)
	l.load(Mem{Base: p.a}, arg, m.out)
	d := l.sub(arg, p.positions())
	const cmpEQ = 0x00 // equal, ordered, quiet
	// g holds dy in the lanes whose arg names the window's i-th element
	// and 0 elsewhere; ok collects the lanes named by some element.
	var g [4]reg.VecVirtual
	var ok mask
	for i, v := range []reg.VecVirtual{l.zero(), p.one, p.wf, p.w1f} {
		hit := l.cmp(cmpEQ, d, v)
		g[i] = l.keep(hit, dy)
		switch {
		case i == 0:
			ok = hit
		case l.avx512:
			KORW(hit, ok, ok)
		default:
			VORPS(hit, ok, ok)
		}
	}
	if l.avx512 {
		bad := K()
		if m.out == nil {
			KNOTW(ok, bad)
		} else {
			KANDNW(m.out, ok, bad)
		}
		KORTESTW(bad, bad)
		JNZ(LabelRef(fail))
	} else {
		bits := GP32()
		if m.out == nil {
			VMOVMSKPS(ok, bits)
			CMPL(bits, U32(0xff))
		} else {
			bad := l.vec()
			VANDNPS(m.out, ok, bad)
			VMOVMSKPS(bad, bits)
			TESTL(bits, bits)
		}
		JNE(LabelRef(fail))
	}
	for i, row := range []reg.GPVirtual{p.r0, p.r1} {
		a, b := p.join(g[2*i], g[2*i+1])
		l.store(a, Mem{Base: row}, m.lo)
		l.store(b, Mem{Base: row, Disp: l.bytes()}, m.hi)
	}
}

// emitPool2 writes maxPool2 for level l, or maxPool2Grad if grad: the
// row and column loops around forward or gradient, which emit one vector
// of outputs.
func emitPool2(l *level, grad bool) {
	base, doc, sig := "maxPool2", maxPool2Doc, "y, arg, x []float32, w, aw, oh, ow int"
	xName, yName := "x", "y"
	if grad {
		base, doc, sig = "maxPool2Grad", maxPool2GradDoc, "dx, dy, arg []float32, w, aw, oh, ow int"
		xName, yName = "dx", "dy"
	}
	makePoolTabs()
	name := base + l.suffix
	sig = "func(" + sig + ")"
	if grad {
		sig += " bool"
	}
	TEXT(name, NOSPLIT, sig)
	Doc(append([]string{name + strings.TrimPrefix(doc[0], base)}, doc[1:]...)...)
	p := &pool2{l: l, y: GP64(), a: GP64(), pos: GP64()}
	xp := GP64()
	Load(Param(xName).Base(), xp)
	Load(Param(yName).Base(), p.y)
	Load(Param("arg").Base(), p.a)
	w, aw, oh, ow := GP64(), GP64(), GP64(), GP64()
	Load(Param("w"), w)
	Load(Param("aw"), aw)
	Load(Param("oh"), oh)
	Load(Param("ow"), ow)

	wx := XMM()
	VXORPS(wx, wx, wx)
	VCVTSI2SSQ(aw, wx, wx)
	p.wf = l.vec()
	VBROADCASTSS(wx, p.wf)
	p.one = l.creg(1)
	p.w1f = l.add(p.wf, p.one)
	p.iota2 = l.vec()
	VMOVUPS(poolTabs.iota2, p.iota2)
	if l.avx512 {
		tabs := []Mem{poolTabs.even, poolTabs.odd}
		if grad {
			tabs = []Mem{poolTabs.ilo, poolTabs.ihi}
		}
		for i, t := range tabs {
			p.idx[i] = l.vec()
			VMOVUPS(t, p.idx[i])
		}
	}

	rowStart := GP64() // index in arg's plane of the current row pair
	XORQ(rowStart, rowStart)
	w4 := GP64() // bytes between rows in memory
	MOVQ(w, w4)
	SHLQ(U8(2), w4)
	fail := "fail_" + name

	Label("rows_" + name)
	CMPQ(oh, U8(0))
	JE(LabelRef("done_" + name))
	p.r0, p.r1 = GP64(), GP64()
	MOVQ(xp, p.r0)
	LEAQ(Mem{Base: p.r0, Index: w4, Scale: 1}, p.r1)
	MOVQ(rowStart, p.pos)
	n := GP64()
	MOVQ(ow, n)

	Label("cols_" + name)
	CMPQ(n, U32(l.lanes))
	JL(LabelRef("tail_" + name))
	p.body(grad, poolMasks{}, fail)
	ADDQ(U32(2*l.bytes()), p.r0)
	ADDQ(U32(2*l.bytes()), p.r1)
	ADDQ(U32(l.bytes()), p.y)
	ADDQ(U32(l.bytes()), p.a)
	ADDQ(U32(2*l.lanes), p.pos)
	SUBQ(U32(l.lanes), n)
	JMP(LabelRef("cols_" + name))

	Label("tail_" + name)
	CMPQ(n, U8(0))
	JE(LabelRef("next_" + name))
	p.body(grad, p.masks(n), fail)
	LEAQ(Mem{Base: p.y, Index: n, Scale: 4}, p.y)
	LEAQ(Mem{Base: p.a, Index: n, Scale: 4}, p.a)

	Label("next_" + name)
	LEAQ(Mem{Base: rowStart, Index: aw, Scale: 2}, rowStart)
	LEAQ(Mem{Base: xp, Index: w4, Scale: 2}, xp)
	DECQ(oh)
	JMP(LabelRef("rows_" + name))

	Label("done_" + name)
	if grad {
		ok := GP8()
		MOVB(U8(1), ok)
		Store(ok, ReturnIndex(0))
		VZEROUPPER()
		RET()
		Label(fail)
		bad := GP8()
		MOVB(U8(0), bad)
		Store(bad, ReturnIndex(0))
	}
	VZEROUPPER()
	RET()
}

// body emits one vector of outputs of maxPool2, or of maxPool2Grad if
// grad.
func (p *pool2) body(grad bool, m poolMasks, fail string) {
	if grad {
		p.gradient(m, fail)
	} else {
		p.forward(m)
	}
}

// emitPool writes the pooling kernels of level l.
func emitPool(l *level) {
	emitPool2(l, false)
	emitPool2(l, true)
}
