package main

import (
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The row kernels move blocks of rows of one width between a strided
// layout (rows ld apart, as in an image plane) and a packed one (rows one
// after another, as in a column matrix): block by block, row by row, whole
// vectors and then the row's last width mod lanes floats under a mask
// computed once; rows narrower than a vector go four at a time, and on
// AVX-512 rows of half a vector two to a vector.

var (
	copyRowsDoc = []string{
		"copyRows copies blocks of rows rows of width floats from src, where",
		"the rows of a block are ld apart, to dst, where they lie one after",
		"another: dst[b·db+r·width+j] = src[b·sb+r·ld+j].",
	}
	addRowsDoc = []string{
		"addRows is copyRows' adjoint: it adds blocks of rows rows of width",
		"floats, lying one after another in src, to rows ld apart in dst:",
		"dst[b·db+r·ld+j] += src[b·sb+r·width+j].",
	}
)

// emitRows writes copyRows, or addRows when add is set, for level l.
func emitRows(l *level, add bool) {
	base, doc := "copyRows", copyRowsDoc
	if add {
		base, doc = "addRows", addRowsDoc
	}
	name := base + l.suffix
	TEXT(name, NOSPLIT, "func(dst, src []float32, blocks, rows, width, ld, db, sb int)")
	Doc(append([]string{name + strings.TrimPrefix(doc[0], base)}, doc[1:]...)...)
	dst, src := GP64(), GP64()
	Load(Param("dst").Base(), dst)
	Load(Param("src").Base(), src)
	blocks, width := GP64(), GP64()
	Load(Param("blocks"), blocks)
	Load(Param("width"), width)

	// Byte strides: the strided side advances ld floats a row, the packed
	// side width; db and sb a block.
	dstStep, srcStep, db, sb := GP64(), GP64(), GP64(), GP64()
	strided, packed := srcStep, dstStep
	if add {
		strided, packed = dstStep, srcStep
	}
	Load(Param("ld"), strided)
	MOVQ(width, packed)
	Load(Param("db"), db)
	Load(Param("sb"), sb)
	for _, r := range []reg.GPVirtual{dstStep, srcStep, db, sb} {
		SHLQ(U8(2), r)
	}
	full, rem := GP64(), GP64()
	MOVQ(width, full)
	SHRQ(U8(log2(l.lanes)), full)
	MOVQ(width, rem)
	ANDQ(U32(l.lanes-1), rem)
	m := l.tailMask(rem)

	// move does one vector at d and s, under m unless it is nil.
	move := func(d, s reg.GPVirtual, m mask) {
		v := l.vec()
		l.load(Mem{Base: s}, v, m)
		if add {
			t := l.vec()
			l.load(Mem{Base: d}, t, m)
			VADDPS(t, v, v)
		}
		l.store(v, Mem{Base: d}, m)
	}

	Label("block_" + name)
	CMPQ(blocks, U8(0))
	JE(LabelRef("done_" + name))
	rows, d, s := GP64(), GP64(), GP64()
	Load(Param("rows"), rows)
	MOVQ(dst, d)
	MOVQ(src, s)
	CMPQ(full, U8(0))
	JNE(LabelRef("row_" + name))
	if l.avx512 {
		// Rows of half a vector go two to a vector on the packed side,
		// which then stores (or loads) whole cache lines.
		CMPQ(rem, U8(l.lanes/2))
		JNE(LabelRef("quad_" + name))
		Label("pair_" + name)
		CMPQ(rows, U8(2))
		JL(LabelRef("row_" + name))
		v := l.vec()
		if add {
			p := l.vec()
			VMOVUPS(Mem{Base: d}, v.AsY())
			VINSERTF32X8(U8(1), Mem{Base: d, Index: dstStep, Scale: 1}, v, v)
			VADDPS(Mem{Base: s}, v, v)
			VMOVUPS(v.AsY(), Mem{Base: d})
			VEXTRACTF32X8(U8(1), v, p.AsY())
			VMOVUPS(p.AsY(), Mem{Base: d, Index: dstStep, Scale: 1})
			LEAQ(Mem{Base: d, Index: dstStep, Scale: 2}, d)
			ADDQ(U32(l.bytes()), s)
		} else {
			VMOVUPS(Mem{Base: s}, v.AsY())
			VINSERTF32X8(U8(1), Mem{Base: s, Index: srcStep, Scale: 1}, v, v)
			VMOVUPS(v, Mem{Base: d})
			LEAQ(Mem{Base: s, Index: srcStep, Scale: 2}, s)
			ADDQ(U32(l.bytes()), d)
		}
		SUBQ(U8(2), rows)
		JMP(LabelRef("pair_" + name))
	}

	// Narrow rows, one masked vector each, four at a time.
	Label("quad_" + name)
	CMPQ(rows, U8(4))
	JL(LabelRef("row_" + name))
	for range 4 {
		move(d, s, m)
		ADDQ(dstStep, d)
		ADDQ(srcStep, s)
	}
	SUBQ(U8(4), rows)
	JMP(LabelRef("quad_" + name))

	Label("row_" + name)
	CMPQ(rows, U8(0))
	JE(LabelRef("next_" + name))
	rd, rs, n := GP64(), GP64(), GP64()
	MOVQ(d, rd)
	MOVQ(s, rs)
	MOVQ(full, n)
	Label("vec_" + name)
	CMPQ(n, U8(0))
	JE(LabelRef("tail_" + name))
	move(rd, rs, nil)
	ADDQ(U32(l.bytes()), rd)
	ADDQ(U32(l.bytes()), rs)
	DECQ(n)
	JMP(LabelRef("vec_" + name))
	Label("tail_" + name)
	CMPQ(rem, U8(0))
	JE(LabelRef("rowdone_" + name))
	move(rd, rs, m)
	Label("rowdone_" + name)
	ADDQ(dstStep, d)
	ADDQ(srcStep, s)
	DECQ(rows)
	JMP(LabelRef("row_" + name))

	Label("next_" + name)
	ADDQ(db, dst)
	ADDQ(sb, src)
	DECQ(blocks)
	JMP(LabelRef("block_" + name))
	Label("done_" + name)
	VZEROUPPER()
	RET()
}

// log2 returns the base-2 logarithm of a power of two.
func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}
