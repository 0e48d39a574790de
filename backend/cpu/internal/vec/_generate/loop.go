package main

import (
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// kernel is an elementwise loop over float32 slices of equal length (the
// length of the first one is used): it loads the reads, computes the writes
// from them lane by lane, and optionally sums a per-lane term in float64
// and returns the sum.
type kernel struct {
	name   string   // Go name, to which the level's suffix is appended
	doc    []string // doc comment, shared with the pure-Go twin
	sig    string   // Go parameters, e.g. "dst, x []float32"
	reads  []string // slices loaded, in the order body receives them
	writes []string // slices stored, in the order body returns them
	sum    bool     // the kernel returns Σ term in float64
	// unroll is the number of vectors per main-loop iteration, per level.
	unroll map[string]int
	// body computes the writes (and the term, when sum is set) from the
	// reads. It may overwrite the read registers.
	body func(l *level, in []reg.VecVirtual) (out []reg.VecVirtual, term reg.VecVirtual)
	// hoist is the most constants the kernel keeps in registers on
	// AVX-512 (see emitLoop), 0 for all of them: fewer where the body
	// needs more registers than are left for them all.
	hoist int
	// nt asks for a second function, name + "NT" + suffix, for outputs
	// too large to stay in cache: the same computation with its single
	// write stored by non-temporal stores (see emit).
	nt bool
}

// emit writes the kernel's function for level l, and its NT twin when
// k.nt is set.
func (k *kernel) emit(l *level) {
	k.emitLoop(l, false)
	if k.nt {
		k.emitLoop(l, true)
	}
}

// ntDoc is the doc comment of the NT twins after their first line.
var ntDoc = []string{
	"It computes the same values, but stores them with non-temporal stores,",
	"which write whole cache lines to memory without reading them first and",
	"leave them out of the caches: for outputs larger than the caches that",
	"are not read again at once. The elements before dst's first address",
	"aligned to 64 bytes (32 for AVX2) and the last partial vector are",
	"stored as usual; an SFENCE orders the stores before it returns.",
}

// emitLoop writes the kernel's function for level l: an unrolled main
// loop, a loop over single vectors and a masked tail, so that it handles
// any length. With nt, the function is the NT twin: a masked head first
// stores the elements up to dst's next cache line (64 bytes, 32 for AVX2,
// whose non-temporal stores need only their own width of alignment), then
// the loops store aligned vectors with VMOVNTPS, the tail as usual, and
// an SFENCE ends it.
func (k *kernel) emitLoop(l *level, nt bool) {
	name := k.name + l.suffix
	if nt {
		if k.sum || len(k.writes) != 1 {
			panic("kernel " + k.name + ": an NT twin needs a single write and no sum")
		}
		name = k.name + "NT" + l.suffix
	}
	sig := "func(" + k.sig + ")"
	if k.sum {
		sig += " float64"
	}
	TEXT(name, NOSPLIT, sig)
	doc := append([]string{name + strings.TrimPrefix(k.doc[0], k.name)}, k.doc[1:]...)
	if nt {
		doc = append([]string{name + " is the NT twin of " + k.name + l.suffix + "."}, ntDoc...)
	}
	Doc(doc...)
	l.s = map[string]reg.VecVirtual{}
	if l.avx512 {
		for _, p := range k.params("float32") {
			l.param(p)
		}
	}
	names := append(append([]string{}, k.reads...), k.writes...)
	ptr := map[string]reg.GPVirtual{}
	var order []string
	for _, s := range names {
		if _, ok := ptr[s]; !ok {
			ptr[s] = GP64()
			Load(Param(s).Base(), ptr[s])
			order = append(order, s)
		}
	}
	n := GP64()
	Load(Param(strings.Fields(strings.Split(k.sig, ",")[0])[0]).Len(), n)
	// On AVX-512, the constants live in registers, loaded once by a block
	// after the body that the prologue jumps to and that jumps back:
	// memory operands would load each constant again for every vector,
	// loads that compete with those of the data (a streaming Exp runs
	// twice as fast without them).
	hoist := l.avx512
	if hoist {
		hoisted, hoistOrder, hoistMax = map[uint32]reg.VecVirtual{}, nil, k.hoist
		if hoistMax == 0 {
			hoistMax = 32
		}
		JMP(LabelRef("preload_" + name))
		Label("start_" + name)
	}

	u := k.unroll[l.suffix]
	var acc [][2]reg.VecVirtual
	if k.sum {
		acc = make([][2]reg.VecVirtual, u)
		for i := range acc {
			for h := range 2 {
				acc[i][h] = l.vec()
				VXORPD(acc[i][h], acc[i][h], acc[i][h])
			}
		}
	}
	// step computes vectors vectors at the pointers, only the lanes of m
	// when it is not nil, storing with VMOVNTPS when ntStore is set.
	step := func(vectors int, m mask, ntStore bool) {
		for j := range vectors {
			in := make([]reg.VecVirtual, len(k.reads))
			for i, s := range k.reads {
				in[i] = l.vec()
				l.load(Mem{Base: ptr[s], Disp: j * l.bytes()}, in[i], m)
			}
			out, term := k.body(l, in)
			for i, s := range k.writes {
				if ntStore {
					VMOVNTPS(out[i], Mem{Base: ptr[s], Disp: j * l.bytes()})
				} else {
					l.store(out[i], Mem{Base: ptr[s], Disp: j * l.bytes()}, m)
				}
			}
			if k.sum {
				if m != nil {
					term = l.keep(m, term)
				}
				l.accumulate(acc[j], term)
			}
		}
	}
	advance := func(vectors int) {
		for _, s := range order {
			ADDQ(U32(vectors*l.bytes()), ptr[s])
		}
		SUBQ(U32(vectors*l.lanes), n)
	}
	loop := func(label string, vectors int) {
		Label(label + "_" + name)
		CMPQ(n, U32(vectors*l.lanes))
		JL(LabelRef(label + "_done_" + name))
		step(vectors, nil, nt)
		advance(vectors)
		JMP(LabelRef(label + "_" + name))
		Label(label + "_done_" + name)
	}
	if nt {
		// h = min(n, the elements before dst's next aligned address).
		align := 64
		if !l.avx512 {
			align = 32
		}
		h := GP64()
		MOVQ(ptr[k.writes[0]], h)
		NEGQ(h)
		ANDQ(U32(align-1), h)
		SHRQ(U8(2), h)
		CMPQ(h, n)
		CMOVQGT(n, h)
		CMPQ(h, U32(0))
		JE(LabelRef("aligned_" + name))
		step(1, l.tailMask(h), false)
		for _, s := range order {
			LEAQ(Mem{Base: ptr[s], Index: h, Scale: 4}, ptr[s])
		}
		SUBQ(h, n)
		Label("aligned_" + name)
	}
	loop("block", u)
	if u > 1 {
		loop("single", 1)
	}
	CMPQ(n, U32(0))
	JE(LabelRef("end_" + name))
	step(1, l.tailMask(n), false)
	Label("end_" + name)
	if k.sum {
		Store(l.reduce(acc), ReturnIndex(0))
	}
	if nt {
		SFENCE()
	}
	VZEROUPPER()
	RET()
	if hoist {
		Label("preload_" + name)
		for _, b := range hoistOrder {
			VMOVUPS(cmem(b), hoisted[b])
		}
		hoisted, hoistOrder = nil, nil
		JMP(LabelRef("start_" + name))
	}
}

// tailMasks holds, for the AVX-512 tail, the opmask of the first n lanes
// at index n (16-bit entries), and for the AVX2 tail eight all-ones lanes
// followed by eight zero lanes, read from an offset that leaves n ones.
var tailMasks = map[bool]Mem{}

// tailMask returns the mask of the first n lanes, 0 < n < lanes.
func (l *level) tailMask(n reg.GPVirtual) mask {
	t, ok := tailMasks[l.avx512]
	if !ok {
		if l.avx512 {
			t = GLOBL("tailmask16", RODATA|NOPTR)
			for i := range 16 {
				DATA(2*i, U16(1<<i-1))
			}
		} else {
			t = GLOBL("tailmask8", RODATA|NOPTR)
			for i := range 16 {
				v := uint32(0)
				if i < 8 {
					v = 0xffffffff
				}
				DATA(4*i, U32(v))
			}
		}
		tailMasks[l.avx512] = t
	}
	base := GP64()
	LEAQ(t, base)
	if l.avx512 {
		k := K()
		KMOVW(Mem{Base: base, Index: n, Scale: 2}, k)
		return k
	}
	off := GP64()
	MOVQ(U32(8), off)
	SUBQ(n, off)
	m := l.vec()
	VMOVUPS(Mem{Base: base, Index: off, Scale: 4}, m)
	return m
}

// load reads a vector from mem, or only the lanes of m (zeroing the
// others) when m is not nil.
func (l *level) load(mem Mem, r reg.VecVirtual, m mask) {
	switch {
	case m == nil:
		VMOVUPS(mem, r)
	case l.avx512:
		VMOVUPS_Z(mem, m, r)
	default:
		VMASKMOVPS(mem, m, r)
	}
}

// store writes r to mem, or only its lanes in m when m is not nil.
func (l *level) store(r reg.VecVirtual, mem Mem, m mask) {
	switch {
	case m == nil:
		VMOVUPS(r, mem)
	case l.avx512:
		VMOVUPS(r, m, mem)
	default:
		VMASKMOVPS(r, m, mem)
	}
}

// accumulate adds the lanes of t, widened to float64, to acc.
func (l *level) accumulate(acc [2]reg.VecVirtual, t reg.VecVirtual) {
	lo, hi := l.vec(), l.vec()
	if l.avx512 {
		VCVTPS2PD(t.AsY(), lo)
		VEXTRACTF32X8(U8(1), t, hi.AsY())
		VCVTPS2PD(hi.AsY(), hi)
	} else {
		VCVTPS2PD(t.AsX(), lo)
		VEXTRACTF128(U8(1), t, hi.AsX())
		VCVTPS2PD(hi.AsX(), hi)
	}
	VADDPD(lo, acc[0], acc[0])
	VADDPD(hi, acc[1], acc[1])
}

// reduce returns the sum of all accumulators' lanes in a fixed order.
func (l *level) reduce(acc [][2]reg.VecVirtual) reg.VecVirtual {
	s := acc[0][0]
	VADDPD(acc[0][1], s, s)
	for _, a := range acc[1:] {
		VADDPD(a[0], s, s)
		VADDPD(a[1], s, s)
	}
	y := s
	if l.avx512 {
		h := YMM()
		VEXTRACTF64X4(U8(1), s, h)
		VADDPD(h, s.AsY(), h)
		y = h
	}
	x := XMM()
	VEXTRACTF128(U8(1), y, x)
	VADDPD(x, y.AsX(), x)
	h := XMM()
	VUNPCKHPD(x, x, h)
	VADDSD(h, x, x)
	return x
}

// params returns the names of the kernel's parameters of type typ.
func (k *kernel) params(typ string) []string {
	var names, pending []string
	for _, f := range strings.Split(k.sig, ",") {
		w := strings.Fields(f)
		pending = append(pending, w[0])
		if len(w) == 2 {
			if w[1] == typ {
				names = append(names, pending...)
			}
			pending = nil
		}
	}
	return names
}
