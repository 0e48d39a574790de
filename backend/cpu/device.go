package cpu

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/myelin-go/myelin/backend/cpu/internal/gemm"
)

// simdFeatures lists the vector extensions Device reports when present,
// in the order it reports them.
var simdFeatures = []cpuid.FeatureID{
	cpuid.SSE2, cpuid.SSE42, cpuid.AVX, cpuid.AVX2, cpuid.FMA3,
	cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512VNNI,
	cpuid.ASIMD, cpuid.SVE,
}

// Device describes the processor in one line: brand, vendor, logical
// cores, cache sizes, SIMD extensions, GOMAXPROCS and the kernels in use
// (their level and the GEMM's micro-kernel, as in "avx512 kernels, GEMM
// 8×32 avx512").
func (b *Backend) Device() string {
	c := &cpuid.CPU
	brand := strings.TrimSpace(c.BrandName)
	if brand == "" {
		brand = "unknown " + runtime.GOARCH + " CPU"
	}
	var simd []string
	for _, f := range simdFeatures {
		if c.Supports(f) {
			simd = append(simd, f.String())
		}
	}
	if len(simd) == 0 {
		simd = []string{"none detected"}
	}
	return fmt.Sprintf("%s (%s), %d logical cores, cache L1d %s L2 %s L3 %s, SIMD %s; GOMAXPROCS %d; %s kernels, GEMM %s",
		brand, c.VendorString, c.LogicalCores,
		cacheSize(c.Cache.L1D), cacheSize(c.Cache.L2), cacheSize(c.Cache.L3),
		strings.Join(simd, " "), runtime.GOMAXPROCS(0), b.level, gemm.Name(b.level))
}

// cacheSize formats a cache size in bytes as KiB or MiB, or "?" when cpuid
// could not detect it.
func cacheSize(bytes int) string {
	switch {
	case bytes <= 0:
		return "?"
	case bytes%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", bytes>>20)
	default:
		return fmt.Sprintf("%d KiB", bytes>>10)
	}
}
