package cuda

import (
	"fmt"
	"os"
	"strconv"
)

// The environment variables OptionsFromEnv reads.
const (
	DeviceEnv = "MYELIN_CUDA_DEVICE" // device number, 0 for the first GPU
	TF32Env   = "MYELIN_CUDA_TF32"   // 1 to allow TF32 GEMMs, 0 (default) for FP32
)

// Options configures a CUDA backend.
type Options struct {
	// Device is the CUDA device number, counting from 0 in the order the
	// driver lists them (CUDA_VISIBLE_DEVICES applies).
	Device int
	// TF32 lets cuBLAS round GEMM inputs to TF32 (10-bit mantissa) to use
	// tensor cores on Ampere and newer GPUs: up to 8× faster matrix
	// products and convolutions, with errors near 2⁻¹¹ relative instead of
	// float32's 2⁻²⁴. Off by default; the other ops are always FP32.
	TF32 bool
}

// OptionsFromEnv returns the options backend.Open("cuda") uses: the zero
// Options, changed by MYELIN_CUDA_DEVICE (a device number) and
// MYELIN_CUDA_TF32 (1 or 0) where they are set and not empty. An invalid
// value is an error that names the variable.
func OptionsFromEnv() (Options, error) {
	var o Options
	if s := os.Getenv(DeviceEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return o, fmt.Errorf("cuda: %s=%q: want a device number, 0 or more", DeviceEnv, s)
		}
		o.Device = n
	}
	switch s := os.Getenv(TF32Env); s {
	case "", "0":
	case "1":
		o.TF32 = true
	default:
		return o, fmt.Errorf("cuda: %s=%q: want 1 (TF32 GEMMs) or 0 (FP32)", TF32Env, s)
	}
	return o, nil
}
