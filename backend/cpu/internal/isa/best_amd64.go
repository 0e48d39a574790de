//go:build !purego && !noasm

package isa

import "github.com/klauspost/cpuid/v2"

// best is the highest level the processor supports: AVX-512 needs F, BW,
// DQ and VL (and the OS saving the ZMM state, which cpuid checks); AVX2
// needs AVX2 and FMA3.
var best = detect(&cpuid.CPU)

func detect(c *cpuid.CPUInfo) Level {
	switch {
	case c.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512VL):
		return AVX512
	case c.Supports(cpuid.AVX2, cpuid.FMA3):
		return AVX2
	}
	return Generic
}
