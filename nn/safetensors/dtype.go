package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The element types of the format, by the names its headers use. Every
// type is little-endian. Read accepts all of them; Tensor.Float32 converts
// F32, F64, F16 and BF16, and Tensor.Int64 reads I64.
const (
	BOOL   = "BOOL"
	U8     = "U8"
	I8     = "I8"
	F8E5M2 = "F8_E5M2"
	F8E4M3 = "F8_E4M3"
	I16    = "I16"
	U16    = "U16"
	F16    = "F16" // IEEE 754 binary16
	BF16   = "BF16"
	I32    = "I32"
	U32    = "U32"
	F32    = "F32"
	F64    = "F64"
	I64    = "I64"
	U64    = "U64"
)

// dtypeSizes maps each element type to its size in bytes.
var dtypeSizes = map[string]int{
	BOOL: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	F64: 8, I64: 8, U64: 8,
}

// DTypeSize returns the size in bytes of one element of type dtype, or an
// error naming dtype when the format has no such type.
func DTypeSize(dtype string) (int, error) {
	n, ok := dtypeSizes[dtype]
	if !ok {
		return 0, fmt.Errorf("unknown dtype %q", dtype)
	}
	return n, nil
}

// float16 returns the float32 value of the IEEE 754 binary16 number h
// (1 sign bit, 5 exponent bits with bias 15, 10 fraction bits): for
// exponent e and fraction f, (−1)^s·2^(e−15)·(1 + f/2¹⁰) when 0 < e < 31,
// (−1)^s·2^(−14)·f/2¹⁰ when e = 0, and ±Inf or NaN when e = 31. Every
// binary16 value is exact in float32.
func float16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN, payload kept
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	default: // zero or subnormal: f·2^−24, exact in float32
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
}

// bfloat16 returns the float32 value of the bfloat16 number h, which is the
// upper half of a float32's bits.
func bfloat16(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// decodeFloat32 converts little-endian elements of type dtype in data to
// float32 (F64 rounded to nearest).
func decodeFloat32(dtype string, data []byte) ([]float32, error) {
	size, err := DTypeSize(dtype)
	if err != nil {
		return nil, err
	}
	v := make([]float32, len(data)/size)
	switch dtype {
	case F32:
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case F64:
		for i := range v {
			v[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		}
	case F16:
		for i := range v {
			v[i] = float16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case BF16:
		for i := range v {
			v[i] = bfloat16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	default:
		return nil, fmt.Errorf("dtype %s does not convert to float32 (want F32, F64, F16 or BF16)", dtype)
	}
	return v, nil
}
