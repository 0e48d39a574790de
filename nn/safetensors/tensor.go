package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tensor is one tensor of a safetensors file: its element type, its shape
// (row-major; an empty shape is a scalar with one element) and its elements
// as little-endian bytes, len(Data) = DTypeSize(DType)·∏Shape.
type Tensor struct {
	DType string
	Shape []int
	Data  []byte
}

// FromFloat32 returns an F32 tensor of the given shape holding v. It panics
// when len(v) is not the product of shape.
func FromFloat32(shape []int, v []float32) Tensor {
	checkLen("FromFloat32", shape, len(v))
	data := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(x))
	}
	return Tensor{DType: F32, Shape: append([]int{}, shape...), Data: data}
}

// FromInt64 returns an I64 tensor of the given shape holding v. It panics
// when len(v) is not the product of shape.
func FromInt64(shape []int, v []int64) Tensor {
	checkLen("FromInt64", shape, len(v))
	data := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(data[8*i:], uint64(x))
	}
	return Tensor{DType: I64, Shape: append([]int{}, shape...), Data: data}
}

// checkLen panics with a message naming the caller unless n is the product
// of the non-negative dimensions of shape.
func checkLen(caller string, shape []int, n int) {
	want := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("safetensors: %s: shape %v has a negative dimension", caller, shape))
		}
		want *= d
	}
	if want != n {
		panic(fmt.Sprintf("safetensors: %s: %d values for shape %v (want %d)", caller, n, shape, want))
	}
}

// Len returns the number of elements, the product of Shape (1 for a scalar).
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32 returns the elements as float32. F32 is read exactly, F16 and
// BF16 are widened exactly, and F64 is rounded to the nearest float32 (out
// of range becomes ±Inf). Other types, and data whose length does not match
// the shape, are errors.
func (t Tensor) Float32() ([]float32, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return decodeFloat32(t.DType, t.Data)
}

// Int64 returns the elements of an I64 tensor; other types, and data whose
// length does not match the shape, are errors.
func (t Tensor) Int64() ([]int64, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if t.DType != I64 {
		return nil, fmt.Errorf("dtype %s is not I64", t.DType)
	}
	v := make([]int64, len(t.Data)/8)
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return v, nil
}

// check returns an error unless t's type is known, its dimensions are not
// negative and len(t.Data) is the size its type and shape give.
func (t Tensor) check() error {
	size, err := DTypeSize(t.DType)
	if err != nil {
		return err
	}
	n, err := byteLen(t.Shape, size)
	if err != nil {
		return err
	}
	if n != int64(len(t.Data)) {
		return fmt.Errorf("%s shape %v takes %d bytes, data has %d", t.DType, t.Shape, n, len(t.Data))
	}
	return nil
}

// byteLen returns size·∏shape, the bytes a tensor of that shape takes,
// or an error when a dimension is negative or the product exceeds the
// largest int64.
func byteLen(shape []int, size int) (int64, error) {
	n := int64(size)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d == 0 {
			return 0, nil
		}
	}
	for _, d := range shape {
		if int64(d) > math.MaxInt64/n {
			return 0, fmt.Errorf("shape %v with %d-byte elements overflows int64", shape, size)
		}
		n *= int64(d)
	}
	return n, nil
}
