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

// Device describes the backend and the processor in one line: first the
// threads the backend uses (GOMAXPROCS, which bounds its goroutines) and
// the kernels in use (their level and the GEMM's micro-kernel, as in
// "avx512 kernels, GEMM 8×32 avx512"), then the CPU: brand, vendor, the
// logical CPUs this process may run on (runtime.NumCPU, which honours
// affinity masks and cgroup limits, unlike the processor's own count in a
// virtual machine), cache sizes and SIMD extensions.
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
	return fmt.Sprintf("%d threads (GOMAXPROCS), %s kernels, GEMM %s; CPU %s (%s), %d logical CPUs available, cache L1d %s L2 %s L3 %s, SIMD %s",
		runtime.GOMAXPROCS(0), b.level, gemm.Name(b.level),
		brand, c.VendorString, runtime.NumCPU(),
		cacheSize(c.Cache.L1D), cacheSize(c.Cache.L2), cacheSize(c.Cache.L3), strings.Join(simd, " "))
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
