package gemm

import (
	"fmt"

	"github.com/klauspost/cpuid/v2"

	"github.com/myelin-go/myelin/backend/cpu/internal/isa"
)

// kernelFunc is the signature of the micro-kernels; kernelGeneric
// documents what they compute.
type kernelFunc func(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32, mr, nr int)

// kernelAtFunc is the signature of the micro-kernels that read the rows of
// B at offsets: row p of B starts at b[off[p]], and otherwise they compute
// what a kernelFunc does.
type kernelAtFunc func(k int, a, b []float32, off []int, c []float32, ldc int, beta float32, mr, nr int)

// transposeFunc is the signature of the vector transposes that pack
// operands read across their rows; transposeAVX documents what they
// compute.
type transposeFunc func(blocks int, alpha float32, src []float32, ld int, dst []float32, ldd int)

// kernel is a micro-kernel with its tile and the block sizes that suit it.
type kernel struct {
	level      isa.Level
	mr, nr     int // rows and columns of the tile
	run        kernelFunc
	runAt      kernelAtFunc  // nil where B read at row offsets is packed first
	transpose8 transposeFunc // nil where packing transposes in Go alone
	dots       dotsFunc      // nil where narrow products with transposed B are packed
	rows       rowsFunc      // nil where products with short k are packed
	kc         int           // most steps along k per packed panel: a panel of A fills a fraction of L1
	nc         int           // most columns of B per packed block: the block fills half of L2
	mc         int           // most rows of A per packed block: the block fills a quarter of L3
}

// kernels holds the kernel of each level, or nil where this build has
// none and the level below is used.
var kernels = [...]*kernel{
	isa.Generic: newKernel(isa.Generic, 4, 4, kernelGeneric),
	isa.AVX2:    asmKernel(isa.AVX2),
	isa.AVX512:  asmKernel(isa.AVX512),
}

// kernelFor returns the kernel of level l, or of the highest level below.
func kernelFor(l isa.Level) *kernel {
	for ; l > isa.Generic; l-- {
		if int(l) < len(kernels) && kernels[l] != nil {
			return kernels[l]
		}
	}
	return kernels[isa.Generic]
}

// Tile returns the rows and columns of the tile of C that the micro-kernel
// of level l computes: splitting C along rows at multiples of mr, or along
// columns at multiples of nr into parts wider than nr/2, leaves Sgemm's
// work on each part unchanged.
func Tile(l isa.Level) (mr, nr int) {
	kn := kernelFor(l)
	return kn.mr, kn.nr
}

// Name describes the micro-kernel of level l, as in "8×32 avx512".
func Name(l isa.Level) string {
	kn := kernelFor(l)
	return fmt.Sprintf("%d×%d %v", kn.mr, kn.nr, kn.level)
}

// Cache sizes assumed where cpuid reports none.
const (
	defaultL1D = 32 << 10
	defaultL2  = 512 << 10
	defaultL3  = 8 << 20
)

// newKernel returns the kernel run with an mr×nr tile and block sizes from
// the cache sizes of this processor.
func newKernel(l isa.Level, mr, nr int, run kernelFunc) *kernel {
	size := func(bytes, fallback int) int {
		if bytes <= 0 {
			return fallback
		}
		return bytes
	}
	c := cpuid.CPU.Cache
	l1, l2, l3 := size(c.L1D, defaultL1D), size(c.L2, defaultL2), size(c.L3, defaultL3)
	kc := min(max(l1/(16*mr), 128), 512)
	return &kernel{
		level: l, mr: mr, nr: nr, run: run, kc: kc,
		nc: max(l2/(8*kc)/nr, 1) * nr,
		mc: max(l3/(16*kc)/mr, 1) * mr,
	}
}

// kernelGeneric computes the 4×4 tile C = A·B + beta·C from a panel A of
// 4-float columns (a[p·4+i] is A[i, p]) and rows of B 4 floats wide, ldb
// apart (b[p·ldb+j] is B[p, j]), for p < k. Only the first mr rows and nr
// columns of the tile are written to c (ldc apart); with beta 0, C is not
// read. k may be 0. Each element of A·B is summed in order of p.
func kernelGeneric(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32, mr, nr int) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		ap := a[p*4 : p*4+4 : p*4+4]
		bp := b[p*ldb : p*ldb+4 : p*ldb+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	tile := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		if beta == 0 {
			copy(row, tile[i][:nr])
			continue
		}
		for j := range row {
			row[j] = tile[i][j] + beta*row[j]
		}
	}
}
