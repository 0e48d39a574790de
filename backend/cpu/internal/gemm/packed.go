package gemm

import (
	"fmt"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// PackedA is alpha·op(A) packed once by PackA for several products
// SgemmPacked computes with it, as a convolution's filters multiply image
// after image.
type PackedA struct {
	kn   *kernel
	m, k int
	data []float32
}

// PackedSize returns the number of floats PackA writes for an m×k op(A) at
// kernel level l.
func PackedSize(l isa.Level, m, k int) int {
	kn := kernelFor(l)
	size := 0
	kn.blocksA(m, k, func(_, _, mc, kc int) { size += roundUp(mc, kn.mr) * kc })
	return size
}

// PackA packs alpha·op(A), m×k with leading dimension lda, for SgemmPacked
// at level l into buf, which must hold PackedSize(l, m, k) floats; op(A)
// is A, or Aᵀ when transA is set; unlike Sgemm's, SgemmPacked's products
// read B even when alpha is 0. It panics on the conditions Sgemm does, and
// when m or k is 0.
func PackA(l isa.Level, transA bool, m, k int, alpha float32, a []float32, lda int, buf []float32) PackedA {
	if l > isa.Best() {
		panic(fmt.Sprintf("gemm: PackA: kernel level %v is not available here (best %v)", l, isa.Best()))
	}
	if m <= 0 || k <= 0 {
		panic(fmt.Sprintf("gemm: PackA: dimension m=%d k=%d is not positive", m, k))
	}
	if transA {
		checkMatrix("A", k, m, a, lda)
	} else {
		checkMatrix("A", m, k, a, lda)
	}
	kn := kernelFor(l)
	if size := PackedSize(l, m, k); len(buf) < size {
		panic(fmt.Sprintf("gemm: PackA: buffer of %d floats, %d×%d needs %d", len(buf), m, k, size))
	}
	off := 0
	kn.blocksA(m, k, func(i0, p0, mc, kc int) {
		size := roundUp(mc, kn.mr) * kc
		kn.packA(buf[off:off+size], transA, a, lda, i0, p0, mc, kc, alpha)
		off += size
	})
	return PackedA{kn: kn, m: m, k: k, data: buf[:off]}
}

// SgemmPacked computes C = P·op(B) + beta·C for the m×k matrix P that pa
// holds (alpha·op(A) of PackA), as Sgemm(l, transA, transB, m, n, k, alpha,
// a, lda, b, ldb, beta, c, ldc) would, and with the same result when n is
// more than half the micro-kernel's tile width (see Tile). It panics on
// the conditions Sgemm does.
func SgemmPacked(pa *PackedA, transB bool, n int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	m, k := pa.m, pa.k
	if n < 0 {
		panic(fmt.Sprintf("gemm: SgemmPacked: negative dimension n=%d", n))
	}
	if n == 0 {
		return
	}
	checkMatrix("C", m, n, c, ldc)
	if transB {
		checkMatrix("B", n, k, b, ldb)
	} else {
		checkMatrix("B", k, n, b, ldb)
	}
	ws := workspaces.Get()
	defer workspaces.Put(ws)
	pa.kn.gemm(ws, false, transB, m, n, k, 1, nil, 0, pa.data, b, ldb, beta, c, ldc)
}

// blocksA calls f(i0, p0, mc, kc) for the blocks of op(A) that gemm packs,
// in the order it packs them.
func (kn *kernel) blocksA(m, k int, f func(i0, p0, mc, kc int)) {
	kb, mb := balance(k, kn.kc, 1), balance(m, kn.mc, kn.mr)
	for i0 := 0; i0 < m; i0 += mb {
		for p0 := 0; p0 < k; p0 += kb {
			f(i0, p0, min(mb, m-i0), min(kb, k-p0))
		}
	}
}

// packedBlocks calls block(i0, mc, p0, kc, pa, bt) for the blocks of op(A)
// that PackA packed into packed, in that order: rows [i0, i0+mc) and steps
// [p0, p0+kc) along k, pa the block's panels, and bt the beta with which
// the block's products update C: beta for the first block along k, 1 for
// the others.
func (kn *kernel) packedBlocks(m, k int, packed []float32, beta float32, block func(i0, mc, p0, kc int, pa []float32, bt float32)) {
	off := 0
	kn.blocksA(m, k, func(i0, p0, mc, kc int) {
		size := roundUp(mc, kn.mr) * kc
		bt := beta
		if p0 > 0 {
			bt = 1
		}
		block(i0, mc, p0, kc, packed[off:off+size], bt)
		off += size
	})
}
