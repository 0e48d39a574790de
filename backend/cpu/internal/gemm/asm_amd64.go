//go:build !purego && !noasm

package gemm

import "github.com/myelin-go/myelin/backend/cpu/internal/isa"

// asmKernel returns the assembly kernel of level l, or nil when the
// processor cannot run it.
func asmKernel(l isa.Level) *kernel {
	if l > isa.Best() {
		return nil
	}
	var kn *kernel
	switch l {
	case isa.AVX512:
		kn = newKernel(l, 8, 32, kernelAVX512)
		kn.runAt = kernelAVX512At
		kn.dots = dotsAVX512
		kn.rows = rowsAVX512
	case isa.AVX2:
		kn = newKernel(l, 6, 16, kernelAVX2)
		kn.runAt = kernelAVX2At
	default:
		return nil
	}
	kn.transpose8 = transposeAVX
	return kn
}
