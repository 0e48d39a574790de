//go:build !amd64 || purego || noasm

package gemm

import "github.com/myelin-go/myelin/backend/cpu/internal/isa"

// asmKernel returns nil: this build has no assembly kernels.
func asmKernel(isa.Level) *kernel { return nil }
