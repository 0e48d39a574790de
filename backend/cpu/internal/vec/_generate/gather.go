package main

import (
	"strconv"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// gatherAhead is how many rows ahead of the one it copies gatherRows
// prefetches: rows read at random from a large table each wait on memory,
// and the prefetches keep that many reads in flight beyond those of the
// copies themselves.
const gatherAhead = 64

var gatherRowsDoc = []string{
	"gatherRows copies row idx[i] of table to row i of dst, rows of d",
	"floats: dst[i·d+j] = table[idx[i]·d+j] for i < len(idx), j < d. It",
	"prefetches the first and last cache line of the row " + strconv.Itoa(gatherAhead),
	"positions ahead before each copy. d must be positive and the indices",
	"in range: the caller checks them.",
}

// emitGather writes gatherRows for level l: per row, the prefetch of a
// later row, whole vectors, then the last d mod lanes floats under a mask.
func emitGather(l *level) {
	name := "gatherRows" + l.suffix
	TEXT(name, NOSPLIT, "func(dst, table []float32, idx []int32, d int)")
	Doc(append([]string{name + strings.TrimPrefix(gatherRowsDoc[0], "gatherRows")}, gatherRowsDoc[1:]...)...)
	dst, tab, idx, n, row := GP64(), GP64(), GP64(), GP64(), GP64()
	Load(Param("dst").Base(), dst)
	Load(Param("table").Base(), tab)
	Load(Param("idx").Base(), idx)
	Load(Param("idx").Len(), n)
	Load(Param("d"), row)
	SHLQ(U8(2), row) // bytes per row
	i := GP64()
	XORQ(i, i)
	Label("row_" + name)
	CMPQ(i, n)
	JGE(LabelRef("end_" + name))

	j := GP64()
	LEAQ(Mem{Base: i, Disp: gatherAhead}, j)
	CMPQ(j, n)
	JGE(LabelRef("copy_" + name))
	MOVLQSX(Mem{Base: idx, Index: j, Scale: 4}, j)
	IMULQ(row, j)
	ADDQ(tab, j)
	PREFETCHT0(Mem{Base: j})
	PREFETCHT0(Mem{Base: j, Index: row, Scale: 1, Disp: -4})

	Label("copy_" + name)
	src, c := GP64(), GP64()
	MOVLQSX(Mem{Base: idx, Index: i, Scale: 4}, src)
	IMULQ(row, src)
	ADDQ(tab, src)
	MOVQ(row, c)
	SHRQ(U8(2), c) // floats left in the row
	Label("vec_" + name)
	CMPQ(c, U32(l.lanes))
	JL(LabelRef("tail_" + name))
	v := l.vec()
	VMOVUPS(Mem{Base: src}, v)
	VMOVUPS(v, Mem{Base: dst})
	ADDQ(U32(l.bytes()), src)
	ADDQ(U32(l.bytes()), dst)
	SUBQ(U32(l.lanes), c)
	JMP(LabelRef("vec_" + name))
	Label("tail_" + name)
	CMPQ(c, U32(0))
	JE(LabelRef("next_" + name))
	m := l.tailMask(c)
	t := l.vec()
	l.load(Mem{Base: src}, t, m)
	l.store(t, Mem{Base: dst}, m)
	LEAQ(Mem{Base: dst, Index: c, Scale: 4}, dst)
	Label("next_" + name)
	INCQ(i)
	JMP(LabelRef("row_" + name))
	Label("end_" + name)
	VZEROUPPER()
	RET()
}
