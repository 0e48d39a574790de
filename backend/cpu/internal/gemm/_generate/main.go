// Command _generate writes the SGEMM micro-kernels of package gemm in Go
// assembly: one for AVX-512F and one for AVX2 with FMA3, and the AVX
// transpose that packs operands read across their rows. Run it through go
// generate in package gemm.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// signature is the Go signature every micro-kernel shares with the generic
// one in package gemm; signatureAt that of the micro-kernels that read the
// rows of B at offsets.
const (
	signature   = "func(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32, mr, nr int)"
	signatureAt = "func(k int, a, b []float32, off []int, c []float32, ldc int, beta float32, mr, nr int)"
)

// unroll is the number of steps along k that one pass of a kernel's main
// loop takes.
const unroll = 4

// doc is the doc comment of a micro-kernel with an mr×nr tile and the given
// vector width in floats; it matches that of the generic kernel.
func doc(name string, mr, nr int) []string {
	return []string{
		fmt.Sprintf("%s computes the %d×%d tile C = A·B + beta·C from a panel A of", name, mr, nr),
		fmt.Sprintf("%d-float columns (a[p·%d+i] is A[i, p]) and rows of B %d floats", mr, mr, nr),
		"wide, ldb apart (b[p·ldb+j] is B[p, j]), for p < k. Only the first mr",
		"rows and nr columns of the tile are written to c (ldc apart); with beta",
		"0, C is not read. k may be 0. Each element of A·B is summed in order of p.",
	}
}

// docAt is the doc comment of the micro-kernel name that reads the rows of
// B at offsets and otherwise computes what base does; it matches that of
// the generic one.
func docAt(name, base string, nr int) []string {
	return []string{
		fmt.Sprintf("%s computes the tile that %s computes, from rows of", name, base),
		fmt.Sprintf("B %d floats wide at offsets of b: row p starts at off[p] (b[off[p]+j]", nr),
		"is B[p, j]), for p < k; off holds at least k offsets.",
	}
}

func main() {
	ConstraintExpr("!purego,!noasm")
	avx512(false)
	avx512(true)
	avx2(false)
	avx2(true)
	transpose()
	dots()
	rowsKernel()
	Generate()
}

// bRows is where a kernel finds the rows of B: ldb bytes apart from b, or,
// when tab is set, at b plus the offsets (in floats) that the table at tab
// holds, one per row.
type bRows struct {
	b, ldb, tab Register
	idx         Register // the current row's offset, when tab is set
}

// args loads the arguments shared by the kernels: the pointers to a, b and
// c, ldb (or the offset table, when at is set) and ldc in bytes, and k.
func args(at bool) (k, a Register, src bRows, c, ldc Register) {
	k = Load(Param("k"), GP64())
	a = Load(Param("a").Base(), GP64())
	src.b = Load(Param("b").Base(), GP64())
	if at {
		src.tab = Load(Param("off").Base(), GP64())
		src.idx = GP64()
	} else {
		src.ldb = Load(Param("ldb"), GP64())
		SHLQ(U8(2), src.ldb)
	}
	c = Load(Param("c").Base(), GP64())
	ldc = Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	return
}

// row returns the address disp bytes into the current row of B, loading
// that row's offset first when the rows are at offsets.
func (s bRows) row(disp int) Mem {
	if s.tab == nil {
		return Mem{Base: s.b, Disp: disp}
	}
	return Mem{Base: s.b, Index: s.idx, Scale: 4, Disp: disp}
}

// start readies step u of an unrolled pass (or of the tail, u = 0) to read
// its row of B.
func (s bRows) start(u int) {
	if s.tab != nil {
		MOVQ(Mem{Base: s.tab, Disp: 8 * u}, s.idx)
	}
}

// advance moves past steps rows of B.
func (s bRows) advance(steps int) {
	if s.tab != nil {
		ADDQ(U32(8*steps), s.tab)
		return
	}
	for range steps {
		ADDQ(s.ldb, s.b)
	}
}

// loop emits the kernel's main loop over k, unrolled, calling step for
// each step with the offset of its column of A in bytes; step reads its
// row of B through src.row, which loop moves along after each step.
func loop(k, a Register, src bRows, colBytes int, step func(aoff int)) {
	n := GP64()
	MOVQ(k, n)
	SHRQ(U8(2), n)
	JZ(LabelRef("tail"))
	Label("main")
	for u := 0; u < unroll; u++ {
		src.start(u)
		step(u * colBytes)
		if src.tab == nil {
			src.advance(1)
		}
	}
	if src.tab != nil {
		src.advance(unroll)
	}
	ADDQ(U32(unroll*colBytes), a)
	DECQ(n)
	JNZ(LabelRef("main"))
	Label("tail")
	ANDQ(U32(unroll-1), k)
	JZ(LabelRef("store"))
	Label("tailloop")
	src.start(0)
	step(0)
	src.advance(1)
	ADDQ(U32(colBytes), a)
	DECQ(k)
	JNZ(LabelRef("tailloop"))
	Label("store")
}

// betaAddr returns the address of the argument beta.
func betaAddr() Mem { return paramAddr("beta") }

// paramAddr returns the address of the named argument.
func paramAddr(name string) Mem {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return p.Addr
}

// sliceAddr returns the address of the pointer of the named slice argument.
func sliceAddr(name string) Mem {
	p, err := Param(name).Base().Resolve()
	if err != nil {
		panic(err)
	}
	return p.Addr
}

// betaIsZero jumps to label when beta is +0 or −0.
func betaIsZero(label string) {
	bits := GP32()
	MOVL(betaAddr(), bits)
	SHLL(U8(1), bits)
	JZ(LabelRef(label))
}

// rows emits the store of mr rows, at most max: row(i, row) stores row i at
// row, and the rows stop at the first i ≥ mr.
func rows(mr Register, max int, c, ldc Register, done string, row func(i int, at Mem)) {
	p := GP64()
	MOVQ(c, p)
	for i := 0; i < max; i++ {
		if i > 0 {
			CMPQ(mr, U32(i))
			JLE(LabelRef(done))
			ADDQ(ldc, p)
		}
		row(i, Mem{Base: p})
	}
}

// avx512 writes kernelAVX512: an 8×32 tile in 16 ZMM accumulators, columns
// masked with K1 and K2; with at, kernelAVX512At, which reads the rows of
// B at offsets.
func avx512(at bool) {
	const mr, nr = 8, 32
	if at {
		TEXT("kernelAVX512At", NOSPLIT, signatureAt)
		Doc(docAt("kernelAVX512At", "kernelAVX512", nr)...)
	} else {
		TEXT("kernelAVX512", NOSPLIT, signature)
		Doc(doc("kernelAVX512", mr, nr)...)
	}
	k, a, src, c, ldc := args(at)
	zs := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21}
	accOf := func(i, h int) VecPhysical { return zs[2*i+h] }
	b0, b1, bc := zs[16], zs[17], zs[18]
	for i := 0; i < 2*mr; i++ {
		VXORPS(zs[i], zs[i], zs[i])
	}
	// Bring the tile of C towards the core while A·B is computed.
	pf := GP64()
	MOVQ(c, pf)
	for i := 0; i < mr; i++ {
		PREFETCHT0(Mem{Base: pf})
		PREFETCHT0(Mem{Base: pf, Disp: 64})
		ADDQ(ldc, pf)
	}
	loop(k, a, src, 4*mr, func(aoff int) {
		VMOVUPS(src.row(0), b0)
		VMOVUPS(src.row(64), b1)
		for i := 0; i < mr; i++ {
			VBROADCASTSS(Mem{Base: a, Disp: aoff + 4*i}, bc)
			VFMADD231PS(bc, b0, accOf(i, 0))
			VFMADD231PS(bc, b1, accOf(i, 1))
		}
	})

	// Column masks: bit j of K1 (K2) is set when column j (16+j) is in nr.
	nrq := Load(Param("nr"), GP64())
	mask := GP64()
	MOVQ(U32(1), mask)
	SHLXQ(nrq, mask, mask)
	DECQ(mask)
	KMOVW(mask.As32(), K1)
	SHRQ(U8(16), mask)
	KMOVW(mask.As32(), K2)
	mrq := Load(Param("mr"), GP64())

	betaIsZero("overwrite")
	beta, t0, t1 := zs[18], zs[19], zs[20]
	VBROADCASTSS(betaAddr(), beta)
	rows(mrq, mr, c, ldc, "done", func(i int, at Mem) {
		VMOVUPS_Z(at, K1, t0)
		VMOVUPS_Z(at.Offset(64), K2, t1)
		VFMADD231PS(beta, t0, accOf(i, 0))
		VFMADD231PS(beta, t1, accOf(i, 1))
		VMOVUPS(accOf(i, 0), K1, at)
		VMOVUPS(accOf(i, 1), K2, at.Offset(64))
	})
	JMP(LabelRef("done"))

	Label("overwrite")
	rows(mrq, mr, c, ldc, "done", func(i int, at Mem) {
		VMOVUPS(accOf(i, 0), K1, at)
		VMOVUPS(accOf(i, 1), K2, at.Offset(64))
	})
	Label("done")
	VZEROUPPER()
	RET()
}

// colMasks is the table of lane masks of kernelAVX2's partial tiles,
// made on first use.
var colMasks *Mem

// avx2 writes kernelAVX2: a 6×16 tile in 12 YMM accumulators, columns
// masked with VMASKMOVPS when nr < 16; with at, kernelAVX2At, which reads
// the rows of B at offsets.
func avx2(at bool) {
	const mr, nr = 6, 16
	if colMasks == nil {
		m := GLOBL("colmasks", RODATA|NOPTR)
		for i := 0; i < 2*nr; i++ {
			v := uint32(0)
			if i < nr {
				v = 0xffffffff
			}
			DATA(4*i, U32(v))
		}
		colMasks = &m
	}
	masks := *colMasks

	if at {
		TEXT("kernelAVX2At", NOSPLIT, signatureAt)
		Doc(docAt("kernelAVX2At", "kernelAVX2", nr)...)
	} else {
		TEXT("kernelAVX2", NOSPLIT, signature)
		Doc(doc("kernelAVX2", mr, nr)...)
	}
	k, a, src, c, ldc := args(at)
	ys := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	accOf := func(i, h int) VecPhysical { return ys[2*i+h] }
	b0, b1, bc := ys[12], ys[13], ys[14]
	for i := 0; i < 2*mr; i++ {
		VXORPS(ys[i], ys[i], ys[i])
	}
	pf := GP64()
	MOVQ(c, pf)
	for i := 0; i < mr; i++ {
		PREFETCHT0(Mem{Base: pf})
		PREFETCHT0(Mem{Base: pf, Disp: 32})
		ADDQ(ldc, pf)
	}
	loop(k, a, src, 4*mr, func(aoff int) {
		VMOVUPS(src.row(0), b0)
		VMOVUPS(src.row(32), b1)
		for i := 0; i < mr; i++ {
			VBROADCASTSS(Mem{Base: a, Disp: aoff + 4*i}, bc)
			VFMADD231PS(bc, b0, accOf(i, 0))
			VFMADD231PS(bc, b1, accOf(i, 1))
		}
	})

	mrq := Load(Param("mr"), GP64())
	nrq := Load(Param("nr"), GP64())
	beta, t0, m0, m1 := ys[12], ys[13], ys[14], ys[15]
	CMPQ(nrq, U32(nr))
	JL(LabelRef("masked"))

	betaIsZero("overwrite")
	VBROADCASTSS(betaAddr(), beta)
	rows(mrq, mr, c, ldc, "done", func(i int, at Mem) {
		VFMADD231PS(at, beta, accOf(i, 0))
		VFMADD231PS(at.Offset(32), beta, accOf(i, 1))
		VMOVUPS(accOf(i, 0), at)
		VMOVUPS(accOf(i, 1), at.Offset(32))
	})
	JMP(LabelRef("done"))
	Label("overwrite")
	rows(mrq, mr, c, ldc, "done", func(i int, at Mem) {
		VMOVUPS(accOf(i, 0), at)
		VMOVUPS(accOf(i, 1), at.Offset(32))
	})
	JMP(LabelRef("done"))

	// Lane j of m0 (m1) is all ones when column j (8+j) is in nr: the
	// masks start 16−nr floats into colmasks.
	Label("masked")
	off := GP64()
	MOVQ(U32(nr), off)
	SUBQ(nrq, off)
	tab := GP64()
	LEAQ(masks, tab)
	VMOVDQU(Mem{Base: tab, Index: off, Scale: 4}, m0)
	VMOVDQU(Mem{Base: tab, Index: off, Scale: 4, Disp: 32}, m1)
	betaIsZero("overwritemasked")
	VBROADCASTSS(betaAddr(), beta)
	rows(mrq, mr, c, ldc, "done", func(i int, at Mem) {
		VMASKMOVPS(at, m0, t0)
		VFMADD231PS(t0, beta, accOf(i, 0))
		VMASKMOVPS(at.Offset(32), m1, t0)
		VFMADD231PS(t0, beta, accOf(i, 1))
		VMASKMOVPS(accOf(i, 0), m0, at)
		VMASKMOVPS(accOf(i, 1), m1, at.Offset(32))
	})
	JMP(LabelRef("done"))
	Label("overwritemasked")
	rows(mrq, mr, c, ldc, "done", func(i int, at Mem) {
		VMASKMOVPS(accOf(i, 0), m0, at)
		VMASKMOVPS(accOf(i, 1), m1, at.Offset(32))
	})
	Label("done")
	VZEROUPPER()
	RET()
}

// transpose writes transposeAVX: 8×8 blocks scaled as they are loaded into
// eight YMM registers, then transposed through two rounds of in-lane
// shuffles and one of lane swaps.
func transpose() {
	TEXT("transposeAVX", NOSPLIT, "func(blocks int, alpha float32, src []float32, ld int, dst []float32, ldd int)")
	Doc(
		"transposeAVX writes alpha times the transpose of the 8×blocks·8 matrix",
		"at src (rows ld apart) into the blocks·8×8 matrix at dst (rows ldd",
		"apart): dst[p·ldd+i] = alpha·src[i·ld+p] for i < 8 and p < 8·blocks.",
		"blocks must be positive and the slices long enough.",
	)
	n := Load(Param("blocks"), GP64())
	s0 := Load(Param("src").Base(), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	d0 := Load(Param("dst").Base(), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	// Rows 0–3 are at s0 + {0, 1, 2, 3}·ld and rows 4–7 at s4 + the same;
	// likewise for dst, which moves 8·ldd per block.
	ld3, s4 := GP64(), GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	LEAQ(Mem{Base: s0, Index: ld, Scale: 4}, s4)
	ldd3, d4, step := GP64(), GP64(), GP64()
	LEAQ(Mem{Base: ldd, Index: ldd, Scale: 2}, ldd3)
	LEAQ(Mem{Base: d0, Index: ldd, Scale: 4}, d4)
	MOVQ(ldd, step)
	SHLQ(U8(3), step)
	row := func(base, l, l3 Register, i int) Mem {
		switch i % 4 {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: l, Scale: 1}
		case 2:
			return Mem{Base: base, Index: l, Scale: 2}
		}
		return Mem{Base: base, Index: l3, Scale: 1}
	}
	ys := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	x, t := ys[:8], ys[8:]
	alpha := t[0]
	Label("block")
	VBROADCASTSS(paramAddr("alpha"), alpha)
	for i := 0; i < 8; i++ {
		base := s0
		if i >= 4 {
			base = s4
		}
		VMULPS(row(base, ld, ld3, i), alpha, x[i])
	}
	// t[2h], t[2h+1] interleave rows 2h and 2h+1: the low and high pairs
	// of each lane.
	for h := 0; h < 4; h++ {
		VUNPCKLPS(x[2*h+1], x[2*h], t[2*h])
		VUNPCKHPS(x[2*h+1], x[2*h], t[2*h+1])
	}
	// x[4g+c] holds, in each lane, column c (c < 4) of that lane's half of
	// rows 4g to 4g+3.
	for g := 0; g < 2; g++ {
		lo, hi := t[4*g:4*g+2], t[4*g+2:4*g+4]
		VSHUFPS(U8(0x44), hi[0], lo[0], x[4*g])
		VSHUFPS(U8(0xEE), hi[0], lo[0], x[4*g+1])
		VSHUFPS(U8(0x44), hi[1], lo[1], x[4*g+2])
		VSHUFPS(U8(0xEE), hi[1], lo[1], x[4*g+3])
	}
	// Column c joins the low lanes of x[c] and x[4+c]; column 4+c their
	// high lanes.
	for c := 0; c < 4; c++ {
		VPERM2F128(U8(0x20), x[4+c], x[c], t[c])
		VPERM2F128(U8(0x31), x[4+c], x[c], t[4+c])
	}
	for p := 0; p < 8; p++ {
		base := d0
		if p >= 4 {
			base = d4
		}
		VMOVUPS(t[p], row(base, ldd, ldd3, p))
	}
	ADDQ(U8(32), s0)
	ADDQ(U8(32), s4)
	ADDQ(step, d0)
	ADDQ(step, d4)
	DECQ(n)
	JNZ(LabelRef("block"))
	VZEROUPPER()
	RET()
}

// dots writes dotsAVX512: tiles of the dot products of four rows of A with
// one to four rows of B, 16 floats at a time in 16 ZMM accumulators, the last
// partial vector loaded under a mask, then summed across lanes into one
// vector that is scaled and stored into C under a mask; A and C move down
// four rows from one tile to the next.
func dots() {
	TEXT("dotsAVX512", NOSPLIT, "func(k int, a []float32, lda int, b []float32, ldb, cols int, alpha, beta float32, c []float32, ldc int, mask uint16, tiles int)")
	Doc(
		"dotsAVX512 computes tiles tiles of dot products one after another,",
		"as dotsGeneric does: for each, the dot products d(i, j) of rows 0",
		"to 3 of A (lda apart) with rows 0 to cols−1 of B (ldb apart), each k",
		"long, and C[i, j] = alpha·d(i, j) + beta·C[i, j] (c[i·ldc+j], C not",
		"read when beta is 0) where bit 4·i+j of mask is set; tile t reads A",
		"from a[4·t·lda:] and writes C from c[4·t·ldc:]. k and tiles must be",
		"positive, cols 1 to 4, mask clear at columns j ≥ cols, and the",
		"slices hold the rows of A, B and C that they use.",
	)
	abase := Load(Param("a").Base(), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	lda3, ldb3 := GP64(), GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	c := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	ldc3 := GP64()
	LEAQ(Mem{Base: ldc, Index: ldc, Scale: 2}, ldc3)
	tiles := Load(Param("tiles"), GP64())
	zs := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23}
	alpha, beta, old := Z24, Z25, Z26
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(betaAddr(), beta)
	// K5 selects the last k mod 16 floats of a row; K1 to K4 the lanes of
	// the summed vector that go to rows 0 to 3 of C: bits 4·i to 4·i+3 of
	// the mask.
	{
		k, tail := Load(Param("k"), GP64()), GP64()
		ANDQ(U8(15), k)
		MOVQ(U32(1), tail)
		SHLXQ(k, tail, tail)
		DECQ(tail)
		KMOVW(tail.As32(), K5)
	}
	ks := []OpmaskPhysical{K1, K2, K3, K4}
	{
		sel, bits := GP32(), GP32()
		MOVWLZX(paramAddr("mask"), sel)
		for i, k := range ks {
			MOVL(sel, bits)
			ANDL(U32(0xf<<(4*i)), bits)
			KMOVW(bits, k)
		}
	}
	// The accumulator of row i of A and row j of B is zs[4·j+i], for the
	// order of the lane sums.
	acc := func(i, j int) VecPhysical { return zs[4*j+i] }
	av, bv := zs[16:20], zs[20:24]
	row := func(base, l, l3 Register, i int) Mem {
		switch i {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: l, Scale: 1}
		case 2:
			return Mem{Base: base, Index: l, Scale: 2}
		}
		return Mem{Base: base, Index: l3, Scale: 1}
	}

	cols := Load(Param("cols"), GP64())
	Label("tile")
	a0, b0, n := GP64(), GP64(), GP64()
	MOVQ(abase, a0)
	Load(Param("b").Base(), b0)
	Load(Param("k"), n)
	SHRQ(U8(4), n)
	for i := 0; i < 16; i++ {
		VXORPS(zs[i], zs[i], zs[i])
	}
	// step multiplies 16 floats of each row of A by 16 of each of the
	// first cb rows of B; the accumulators of the other rows stay 0.
	step := func(cb int, masked bool) {
		for i := 0; i < 4; i++ {
			if masked {
				VMOVUPS_Z(row(a0, lda, lda3, i), K5, av[i])
			} else {
				VMOVUPS(row(a0, lda, lda3, i), av[i])
			}
		}
		for j := 0; j < cb; j++ {
			if masked {
				VMOVUPS_Z(row(b0, ldb, ldb3, j), K5, bv[j])
			} else {
				VMOVUPS(row(b0, ldb, ldb3, j), bv[j])
			}
		}
		for i := 0; i < 4; i++ {
			for j := 0; j < cb; j++ {
				VFMADD231PS(av[i], bv[j], acc(i, j))
			}
		}
	}
	// One loop per number of rows of B.
	for cb := 3; cb >= 1; cb-- {
		CMPQ(cols, U8(cb))
		JE(LabelRef(fmt.Sprintf("cols%d", cb)))
	}
	for cb := 4; cb >= 1; cb-- {
		label := func(name string) string { return fmt.Sprintf("%s%d", name, cb) }
		Label(label("cols"))
		TESTQ(n, n)
		JZ(LabelRef(label("tail")))
		Label(label("loop"))
		step(cb, false)
		ADDQ(U8(64), a0)
		ADDQ(U8(64), b0)
		DECQ(n)
		JNZ(LabelRef(label("loop")))
		Label(label("tail"))
		KORTESTW(K5, K5)
		JZ(LabelRef("sum"))
		step(cb, true)
		if cb > 1 {
			JMP(LabelRef("sum"))
		}
	}
	// The 16 accumulators are summed across lanes and transposed at once,
	// halving the vectors at each level: pairs of 256-bit halves (lanes l
	// and l+8), of 128-bit quarters (l and l+4), then of lanes 0 and 1 and
	// of 2 and 3, then of those pairs. Lane 4·i+j of the last vector is the
	// product of row i of A with row j of B.
	Label("sum")
	tmp := zs[16:24]
	halve := func(vecs int, lo, hi uint8, shuffle func(imm, x, y, dst Op)) {
		for q := 0; q < vecs/2; q++ {
			t0, t1 := tmp[2*(q%4)], tmp[2*(q%4)+1]
			shuffle(U8(lo), zs[2*q+1], zs[2*q], t0)
			shuffle(U8(hi), zs[2*q+1], zs[2*q], t1)
			VADDPS(t1, t0, zs[q])
		}
	}
	f32x4 := func(imm, x, y, dst Op) { VSHUFF32X4(imm, x, y, dst) }
	ps := func(imm, x, y, dst Op) { VSHUFPS(imm, x, y, dst) }
	halve(16, 0x44, 0xEE, f32x4)
	halve(8, 0x88, 0xDD, f32x4)
	halve(4, 0x88, 0xDD, ps)
	halve(2, 0x88, 0xDD, ps)
	// Lanes 4·i to 4·i+3 go to row i of C: its address less 16·i bytes,
	// under K1 to K4, so that masked-off rows are not touched.
	rowAt := func(i int) Mem {
		switch i {
		case 0:
			return Mem{Base: c}
		case 1:
			return Mem{Base: c, Index: ldc, Scale: 1, Disp: -16}
		case 2:
			return Mem{Base: c, Index: ldc, Scale: 2, Disp: -32}
		}
		return Mem{Base: c, Index: ldc3, Scale: 1, Disp: -48}
	}
	sum := zs[0]
	VMULPS(alpha, sum, sum)
	betaIsZero("store")
	VXORPS(old, old, old)
	for i, k := range ks {
		VMOVUPS(rowAt(i), k, old)
	}
	VFMADD231PS(beta, old, sum)
	Label("store")
	for i, k := range ks {
		VMOVUPS(sum, k, rowAt(i))
	}
	LEAQ(Mem{Base: abase, Index: lda, Scale: 4}, abase)
	LEAQ(Mem{Base: c, Index: ldc, Scale: 4}, c)
	DECQ(tiles)
	JNZ(LabelRef("tile"))
	VZEROUPPER()
	RET()
}

// rowsKernel writes rowsAVX512: C in groups of up to five rows, 64 columns
// at a time in up to 20 ZMM accumulators (a row by four vectors each), from
// elements of A broadcast in place and rows of B loaded in place, the
// columns past n masked with K1 to K4. Each row count has its own loop.
func rowsKernel() {
	TEXT("rowsAVX512", NOSPLIT, "func(k, n int, alpha float32, a []float32, sai, sap int, b []float32, ldb int, beta float32, c []float32, ldc, m int)")
	Doc(
		"rowsAVX512 computes the m×n matrix C = (alpha·A)·B + beta·C, summed as",
		"rowsGeneric does, from A read in place (A[i, p] is a[i·sai+p·sap]) and",
		"rows of B ldb apart, five rows of C at a time. k, n and m must be",
		"positive and the slices hold the matrices.",
	)
	sai := Load(Param("sai"), GP64())
	SHLQ(U8(2), sai)
	s3 := GP64()
	LEAQ(Mem{Base: sai, Index: sai, Scale: 2}, s3)
	sap := Load(Param("sap"), GP64())
	SHLQ(U8(2), sap)
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	bcol := Load(Param("b").Base(), GP64())
	ccol := Load(Param("c").Base(), GP64())
	left := Load(Param("n"), GP64())
	zs := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27}
	acc := func(i, v int) VecPhysical { return zs[4*i+v] }
	bv, av, alpha, beta, t := zs[20:24], zs[24], zs[25], zs[26], zs[27]
	ks := []OpmaskPhysical{K1, K2, K3, K4}
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(betaAddr(), beta)
	// The rows left, and the first of them in A and C, are kept in the
	// arguments m, a and c, which move on by five rows after each group.
	dispatch := func() {
		for r := 1; r < 5; r++ {
			CMPQ(paramAddr("m"), U32(r))
			JE(LabelRef(fmt.Sprintf("rows%d", r)))
		}
	}
	dispatch()
	aRow := func(ap Register, i int) Mem {
		switch i {
		case 0:
			return Mem{Base: ap}
		case 1:
			return Mem{Base: ap, Index: sai, Scale: 1}
		case 2:
			return Mem{Base: ap, Index: sai, Scale: 2}
		case 3:
			return Mem{Base: ap, Index: s3, Scale: 1}
		}
		return Mem{Base: ap, Index: sai, Scale: 4}
	}
	for rows := 5; rows >= 1; rows-- {
		label := func(name string) string { return fmt.Sprintf("%s%d", name, rows) }
		Label(label("rows"))
		Label(label("chunk"))
		// Bit j of the masks, K1 to K4 in turn, is set when column j of
		// the chunk is below n.
		width, mask := GP64(), GP64()
		MOVQ(U32(64), width)
		CMPQ(left, width)
		CMOVQLT(left, width)
		MOVQ(I64(-1), mask)
		BZHIQ(width, mask, mask)
		for v := 0; v < 4; v++ {
			if v > 0 {
				SHRQ(U8(16), mask)
			}
			KMOVW(mask.As32(), ks[v])
		}
		for i := 0; i < 4*rows; i++ {
			VXORPS(zs[i], zs[i], zs[i])
		}
		ap := Load(Param("a").Base(), GP64())
		bp, p := GP64(), GP64()
		MOVQ(bcol, bp)
		Load(Param("k"), p)
		// With alpha 1, alpha·A[i, p] is A[i, p]: the multiplication is
		// left out.
		one := GP32()
		MOVL(paramAddr("alpha"), one)
		CMPL(one, U32(0x3f800000))
		JE(LabelRef(label("unscaled")))
		for _, scaled := range []bool{true, false} {
			loop := label("unscaled")
			if scaled {
				loop = label("scaled")
			}
			Label(loop)
			for v := 0; v < 4; v++ {
				VMOVUPS_Z(Mem{Base: bp, Disp: 64 * v}, ks[v], bv[v])
			}
			for i := 0; i < rows; i++ {
				VBROADCASTSS(aRow(ap, i), av)
				if scaled {
					VMULPS(alpha, av, av)
				}
				for v := 0; v < 4; v++ {
					VFMADD231PS(av, bv[v], acc(i, v))
				}
			}
			ADDQ(sap, ap)
			ADDQ(ldb, bp)
			DECQ(p)
			JNZ(LabelRef(loop))
			if scaled {
				JMP(LabelRef(label("summed")))
			}
		}
		Label(label("summed"))

		cp, ldc := GP64(), GP64()
		MOVQ(ccol, cp)
		Load(Param("ldc"), ldc)
		SHLQ(U8(2), ldc)
		store := func(zero bool) {
			for i := 0; i < rows; i++ {
				if i > 0 {
					ADDQ(ldc, cp)
				}
				for v := 0; v < 4; v++ {
					at := Mem{Base: cp, Disp: 64 * v}
					if !zero {
						VMOVUPS_Z(at, ks[v], t)
						VFMADD231PS(beta, t, acc(i, v))
					}
					VMOVUPS(acc(i, v), ks[v], at)
				}
			}
		}
		betaIsZero(label("overwrite"))
		store(false)
		JMP(LabelRef(label("next")))
		Label(label("overwrite"))
		store(true)

		Label(label("next"))
		ADDQ(U32(256), bcol)
		ADDQ(U32(256), ccol)
		SUBQ(U32(64), left)
		JG(LabelRef(label("chunk")))
		JMP(LabelRef("group"))
	}
	Label("group")
	SUBQ(U8(5), paramAddr("m"))
	JLE(LabelRef("done"))
	step := GP64()
	LEAQ(Mem{Base: sai, Index: sai, Scale: 4}, step)
	ADDQ(step, sliceAddr("a"))
	Load(Param("ldc"), step)
	IMUL3Q(U8(20), step, step) // five rows in bytes
	ADDQ(step, sliceAddr("c"))
	Load(Param("b").Base(), bcol)
	Load(Param("c").Base(), ccol)
	Load(Param("n"), left)
	dispatch()
	JMP(LabelRef("rows5"))
	Label("done")
	VZEROUPPER()
	RET()
}
