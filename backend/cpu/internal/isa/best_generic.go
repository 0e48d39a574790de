//go:build !amd64 || purego || noasm

package isa

// best is Generic: this build has no assembly kernels.
const best = Generic
