package safetensors

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzRead checks that Read never panics and that whatever it accepts is
// consistent: every tensor's data has the length its dtype and shape give,
// and writing the tensors back and reading them again gives them unchanged.
// The seed corpus is the malformed cases, a few valid files and the inputs
// kept under testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	for _, c := range malformed {
		f.Add(c.file)
	}
	var buf bytes.Buffer
	tensors := map[string]Tensor{
		"0.weight":              FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		"0.bias":                FromFloat32([]int{2}, []float32{-1, 1}),
		"1.num_batches_tracked": FromInt64(nil, []int64{12}),
		"2.empty":               FromFloat32([]int{0}, nil),
	}
	if err := Write(&buf, tensors, map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(rawFile(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, []byte{0, 0x3c}))
	f.Fuzz(func(t *testing.T, file []byte) {
		tensors, meta, err := readBytes(file)
		if err != nil {
			return
		}
		for name, tn := range tensors {
			if err := tn.check(); err != nil {
				t.Fatalf("Read accepted tensor %q that fails its own check: %v", name, err)
			}
		}
		var out bytes.Buffer
		if err := Write(&out, tensors, meta); err != nil {
			t.Fatalf("Write of what Read accepted: %v", err)
		}
		again, meta2, err := readBytes(out.Bytes())
		if err != nil {
			t.Fatalf("Read of what Write wrote: %v", err)
		}
		if !reflect.DeepEqual(meta, meta2) || len(again) != len(tensors) {
			t.Fatalf("round trip changed the metadata or the tensor count")
		}
		for name, tn := range tensors {
			g := again[name]
			if g.DType != tn.DType || !reflect.DeepEqual(g.Shape, tn.Shape) || !bytes.Equal(g.Data, tn.Data) {
				t.Fatalf("round trip changed tensor %q", name)
			}
		}
	})
}
