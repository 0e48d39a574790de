package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// rawFile returns a file with the given JSON header (unpadded) and data.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// readBytes reads a file held in memory.
func readBytes(b []byte) (map[string]Tensor, map[string]string, error) {
	return Read(bytes.NewReader(b), int64(len(b)))
}

// randFloats returns n values drawn uniformly from [-1, 1).
func randFloats(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(2*rng.Float64() - 1)
	}
	return v
}

func TestWriteExactBytes(t *testing.T) {
	tensors := map[string]Tensor{
		"b": FromFloat32([]int{2}, []float32{1, -2}),
		"a": FromInt64(nil, []int64{7}),
	}
	var buf bytes.Buffer
	if err := Write(&buf, tensors, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	// a (8-byte elements) comes first in the data, then b; the header is
	// 106 bytes of JSON padded with 6 spaces to 112.
	header := `{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`
	want := binary.LittleEndian.AppendUint64(nil, 144)
	want = append(want, header...)
	want = append(want, strings.Repeat(" ", 144-len(header))...)
	want = append(want, 7, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0) // 1.0, -2.0
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("Write wrote\n%q\nwant\n%q", buf.Bytes(), want)
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	tensors := map[string]Tensor{
		"0.weight":              FromFloat32([]int{4, 3, 2, 2}, randFloats(rng, 48)),
		"0.bias":                FromFloat32([]int{4}, randFloats(rng, 4)),
		"1.num_batches_tracked": FromInt64([]int{}, []int64{-3}),
		"2.steps":               FromInt64([]int{3}, []int64{1, math.MaxInt64, math.MinInt64}),
		"empty":                 FromFloat32([]int{0, 5}, nil),
		"odd":                   {DType: U8, Shape: []int{3}, Data: []byte{1, 2, 3}},
		"half":                  {DType: F16, Shape: []int{1}, Data: []byte{0x00, 0x3c}},
	}
	meta := map[string]string{"epoch": "3", "extra": `{"a": "<b>"}`}
	var buf, again bytes.Buffer
	if err := Write(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if err := Write(&again, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("two writes of the same tensors differ")
	}
	n := binary.LittleEndian.Uint64(buf.Bytes())
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	got, gotMeta, err := readBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("metadata %v, want %v", gotMeta, meta)
	}
	if len(got) != len(tensors) {
		t.Fatalf("read %d tensors, want %d", len(got), len(tensors))
	}
	for name, w := range tensors {
		g, ok := got[name]
		if !ok {
			t.Fatalf("tensor %q missing", name)
		}
		if g.DType != w.DType || !reflect.DeepEqual(g.Shape, w.Shape) || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("tensor %q = %s %v %v, want %s %v %v", name, g.DType, g.Shape, g.Data, w.DType, w.Shape, w.Data)
		}
		// Each tensor starts at a multiple of its element size in the file.
		off := int64(len(buf.Bytes())) - int64(len(buf.Bytes()[bytes.Index(buf.Bytes(), g.Data):]))
		if size := dtypeSizes[g.DType]; len(g.Data) > 0 && off%int64(size) != 0 {
			t.Errorf("tensor %q at file offset %d, not aligned to %d", name, off, size)
		}
	}
	steps, err := got["2.steps"].Int64()
	if err != nil || !reflect.DeepEqual(steps, []int64{1, math.MaxInt64, math.MinInt64}) {
		t.Errorf("Int64() = %v, %v", steps, err)
	}
	half, err := got["half"].Float32()
	if err != nil || half[0] != 1 {
		t.Errorf("F16 Float32() = %v, %v, want [1]", half, err)
	}
}

func TestNoMetadata(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, map[string]Tensor{}, nil); err != nil {
		t.Fatal(err)
	}
	want := rawFile("{}      ", nil)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("empty file %q, want %q", buf.Bytes(), want)
	}
	tensors, meta, err := readBytes(want)
	if err != nil || len(tensors) != 0 || meta != nil {
		t.Fatalf("Read = %v, %v, %v; want no tensors, nil metadata", tensors, meta, err)
	}
}

func TestFloat32Conversions(t *testing.T) {
	// Every binary16 and bfloat16 value against (−1)^s·2^(e−bias)·(1 + f/2^m),
	// or the subnormal 2^(1−bias)·f/2^m, computed in float64.
	for _, c := range []struct {
		dtype             string
		expBits, fracBits int
	}{{F16, 5, 10}, {BF16, 8, 7}} {
		data := make([]byte, 2<<16)
		for h := 0; h < 1<<16; h++ {
			binary.LittleEndian.PutUint16(data[2*h:], uint16(h))
		}
		got, err := Tensor{DType: c.dtype, Shape: []int{1 << 16}, Data: data}.Float32()
		if err != nil {
			t.Fatal(err)
		}
		bias := 1<<(c.expBits-1) - 1
		maxExp := 1<<c.expBits - 1
		for h := 0; h < 1<<16; h++ {
			s := h >> 15
			e := h >> c.fracBits & maxExp
			f := h & (1<<c.fracBits - 1)
			var want float64
			switch {
			case e == maxExp && f == 0:
				want = math.Inf(1)
			case e == maxExp:
				want = math.NaN()
			case e == 0:
				want = math.Ldexp(float64(f), 1-bias-c.fracBits)
			default:
				want = math.Ldexp(1+float64(f)/float64(int(1)<<c.fracBits), e-bias)
			}
			if s == 1 {
				want = -want
			}
			g := float64(got[h])
			if math.IsNaN(want) != math.IsNaN(g) || !math.IsNaN(want) && (g != want || math.Signbit(g) != math.Signbit(want)) {
				t.Fatalf("%s %#04x = %v, want %v", c.dtype, h, g, want)
			}
		}
	}
	f64 := binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.1))
	f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(1e300))
	got, err := Tensor{DType: F64, Shape: []int{2}, Data: f64}.Float32()
	if err != nil || got[0] != float32(0.1) || !math.IsInf(float64(got[1]), 1) {
		t.Errorf("F64 Float32() = %v, %v, want [0.1 +Inf]", got, err)
	}
}

func TestConversionErrors(t *testing.T) {
	for _, c := range []struct {
		t    Tensor
		f    func(Tensor) error
		want string
	}{
		{FromInt64([]int{1}, []int64{1}), func(t Tensor) error { _, err := t.Float32(); return err }, "does not convert to float32"},
		{FromFloat32([]int{1}, []float32{1}), func(t Tensor) error { _, err := t.Int64(); return err }, "is not I64"},
		{Tensor{DType: F32, Shape: []int{2}, Data: make([]byte, 4)}, func(t Tensor) error { _, err := t.Float32(); return err }, "takes 8 bytes, data has 4"},
		{Tensor{DType: "F33", Shape: []int{1}, Data: make([]byte, 4)}, func(t Tensor) error { _, err := t.Float32(); return err }, `unknown dtype "F33"`},
		{Tensor{DType: I64, Shape: []int{-1}}, func(t Tensor) error { _, err := t.Int64(); return err }, "negative dimension"},
	} {
		err := c.f(c.t)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want one containing %q", c.t.DType, c.t.Shape, err, c.want)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		t    Tensor
		want string
	}{
		{"x", Tensor{DType: "F31", Shape: []int{1}, Data: make([]byte, 4)}, `tensor "x": unknown dtype "F31"`},
		{"x", Tensor{DType: F32, Shape: []int{3}, Data: make([]byte, 8)}, `tensor "x": F32 shape [3] takes 12 bytes, data has 8`},
		{"x", Tensor{DType: F32, Shape: []int{2, -2}}, "negative dimension"},
		{"__metadata__", FromFloat32([]int{1}, []float32{1}), "reserved"},
	} {
		var buf bytes.Buffer
		err := Write(&buf, map[string]Tensor{c.name: c.t}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written before the error", c.name, buf.Len())
		}
	}
}

func TestFromPanics(t *testing.T) {
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { FromFloat32([]int{2, 2}, make([]float32, 3)) }, "FromFloat32: 3 values for shape [2 2] (want 4)"},
		{func() { FromInt64([]int{-1}, nil) }, "FromInt64: shape [-1] has a negative dimension"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("panic %v, want one containing %q", r, c.want)
				}
			}()
			c.f()
		}()
	}
}
