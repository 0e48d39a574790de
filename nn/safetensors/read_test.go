package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// entryJSON is a header entry for an F32 [2] tensor at [begin, end).
func entryJSON(name string, begin, end int) string {
	return `"` + name + `":{"dtype":"F32","shape":[2],"data_offsets":[` + strconv.Itoa(begin) + `,` + strconv.Itoa(end) + `]}`
}

// malformed are files Read must reject, with a fragment of the error each
// must give. Tensor "a" is F32 [2], 8 bytes.
var malformed = []struct {
	name string
	file []byte
	want string
}{
	{"empty file", nil, "shorter than the 8-byte header length"},
	{"short length", []byte{1, 0, 0}, "shorter than the 8-byte header length"},
	{"header past end", rawFile(`{}`, nil)[:9], "header length 2 exceeds the 1 bytes after the length"},
	{"huge header length", binary.LittleEndian.AppendUint64(nil, math.MaxUint64), "exceeds the limit"},
	{"header over the cap", append(binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1), "{}"...), "exceeds the limit"},
	{"empty header", rawFile(``, nil), "not a JSON object"},
	{"not an object", rawFile(`[1, 2]`, nil), "not a JSON object"},
	{"invalid JSON", rawFile(`{"a":{"dtype":"F32",}}`, make([]byte, 8)), "invalid JSON"},
	{"truncated JSON", rawFile(`{"a":{"dtype":"F32"`, nil), "invalid JSON"},
	{"data after the object", rawFile(`{} {}`, nil), "data after the object"},
	{"invalid UTF-8", rawFile("{\"\xff\":1}", nil), "not valid UTF-8"},
	{"entry not an object", rawFile(`{"a":[1]}`, nil), `tensor "a": not a JSON object`},
	{"unknown dtype", rawFile(`{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "a": unknown dtype "F31"`},
	{"dtype not a string", rawFile(`{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), "dtype 4 is not a string"},
	{"dtype null", rawFile(`{"a":{"dtype":null,"shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), "dtype null is not a string"},
	{"missing field", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, make([]byte, 8)), `want the fields "dtype", "shape" and "data_offsets"`},
	{"unknown field", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, make([]byte, 8)), `unknown field "x"`},
	{"field in other case", rawFile(`{"a":{"DTYPE":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), `unknown field "DTYPE"`},
	{"duplicate field", rawFile(`{"a":{"dtype":"F32","dtype":"I64","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), `duplicate key "dtype"`},
	{"duplicate name", rawFile(`{`+entryJSON("a", 0, 8)+`,`+entryJSON("a", 8, 16)+`}`, make([]byte, 16)), `duplicate key "a"`},
	{"shape null", rawFile(`{"a":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, make([]byte, 4)), "shape null is not an array"},
	{"shape of floats", rawFile(`{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}`, make([]byte, 8)), "not an array of integers"},
	{"negative dimension", rawFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, make([]byte, 8)), "invalid dimension -2"},
	{"dimension past int64", rawFile(`{"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]}}`, make([]byte, 8)), "not an array of integers"},
	{"product overflows", rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}`, make([]byte, 8)), "overflows int64"},
	{"shape does not match span", rawFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), "F32 shape [3] takes 12 bytes, data_offsets [0, 8] span 8"},
	{"dtype does not match span", rawFile(`{"a":{"dtype":"I64","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), "I64 shape [2] takes 16 bytes"},
	{"offsets not a pair", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, make([]byte, 8)), "not a pair of integers"},
	{"offsets null", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":null}}`, make([]byte, 8)), "not a pair of integers"},
	{"negative offset", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, make([]byte, 8)), "outside the 8 bytes of data"},
	{"begin after end", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, make([]byte, 8)), "outside the 8 bytes of data"},
	{"offsets past the data", rawFile(`{`+entryJSON("a", 0, 8)+`}`, make([]byte, 4)), "data_offsets [0, 8] outside the 4 bytes of data"},
	{"huge offsets", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551600,18446744073709551608]}}`, make([]byte, 8)), "not a pair of integers"},
	{"overlap", rawFile(`{`+entryJSON("a", 0, 8)+`,`+entryJSON("b", 4, 12)+`}`, make([]byte, 12)), `tensor "b": data_offsets [4, 12] leave a gap or overlap at byte 8`},
	{"gap", rawFile(`{`+entryJSON("a", 0, 8)+`,`+entryJSON("b", 12, 20)+`}`, make([]byte, 20)), `tensor "b": data_offsets [12, 20] leave a gap or overlap at byte 8`},
	{"data not at zero", rawFile(`{`+entryJSON("a", 4, 12)+`}`, make([]byte, 12)), "gap or overlap at byte 0"},
	{"trailing data", rawFile(`{`+entryJSON("a", 0, 8)+`}`, make([]byte, 9)), "tensors cover 8 bytes of data, the file has 9"},
	{"metadata not strings", rawFile(`{"__metadata__":{"epoch":3}}`, nil), `__metadata__: value of "epoch" is not a string`},
	{"metadata null value", rawFile(`{"__metadata__":{"epoch":null}}`, nil), `value of "epoch" is not a string`},
	{"metadata not an object", rawFile(`{"__metadata__":"x"}`, nil), "__metadata__: not a JSON object"},
	{"metadata duplicate", rawFile(`{"__metadata__":{"k":"1","k":"2"}}`, nil), `duplicate key "k"`},
}

func TestReadMalformed(t *testing.T) {
	for _, c := range malformed {
		tensors, meta, err := readBytes(c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if tensors != nil || meta != nil {
			t.Errorf("%s: returned tensors or metadata with the error", c.name)
		}
	}
}

func TestReadAccepts(t *testing.T) {
	for _, c := range []struct {
		name string
		file []byte
		n    int
	}{
		{"spaces around the header", rawFile(" { } \t\n", nil), 0},
		{"zero-size tensors share an offset", rawFile(`{"z":{"dtype":"F32","shape":[0,7],"data_offsets":[8,8]},`+entryJSON("a", 0, 8)+`,"y":{"dtype":"I64","shape":[3,0],"data_offsets":[8,8]}}`, make([]byte, 8)), 3},
		{"huge dimension times zero", rawFile(`{"z":{"dtype":"F32","shape":[9223372036854775807,0],"data_offsets":[0,0]}}`, nil), 1},
		{"unsorted entries", rawFile(`{`+entryJSON("b", 8, 16)+`,`+entryJSON("a", 0, 8)+`}`, make([]byte, 16)), 2},
	} {
		tensors, _, err := readBytes(c.file)
		if err != nil || len(tensors) != c.n {
			t.Errorf("%s: %d tensors, error %v; want %d tensors", c.name, len(tensors), err, c.n)
		}
	}
}

// failingReader fails every read at or past off.
type failingReader struct {
	b   []byte
	off int64
}

func (r failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.off {
		return 0, errors.New("disk on fire")
	}
	return copy(p, r.b[off:]), nil
}

func TestReadIOErrors(t *testing.T) {
	file := rawFile(`{`+entryJSON("a", 0, 8)+`}`, make([]byte, 8))
	for _, off := range []int64{0, 8, int64(len(file)) - 1} {
		_, _, err := Read(failingReader{file, off}, int64(len(file)))
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("failure at byte %d: error %v, want the reader's", off, err)
		}
	}
	// A size larger than what the reader holds is a short read.
	big := append(file, 0, 0, 0, 0)
	_, _, err := Read(io.NewSectionReader(failingReader{big, 1 << 30}, 0, int64(len(file))), int64(len(big)))
	if err == nil {
		t.Error("size past the reader's end: no error")
	}
}

// TestReadMetadata checks that ReadMetadata returns what Read returns as
// metadata, reports every malformed header as Read does, and reads none of
// the tensors' data (a reader that fails there does not matter).
func TestReadMetadata(t *testing.T) {
	file := rawFile(`{"__metadata__":{"epoch":"3"},`+entryJSON("a", 0, 8)+`}`, make([]byte, 8))
	header := int64(len(file) - 8)
	meta, err := ReadMetadata(failingReader{file, header}, int64(len(file)))
	if err != nil || len(meta) != 1 || meta["epoch"] != "3" {
		t.Errorf("ReadMetadata: %v, %v; want epoch 3", meta, err)
	}
	for _, c := range malformed {
		meta, err := ReadMetadata(bytes.NewReader(c.file), int64(len(c.file)))
		if err == nil || !strings.Contains(err.Error(), c.want) || meta != nil {
			t.Errorf("%s: %v, error %v; want no metadata and an error containing %q", c.name, meta, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if meta, err := ReadMetadataFile(path); err != nil || meta["epoch"] != "3" {
		t.Errorf("ReadMetadataFile: %v, %v; want epoch 3", meta, err)
	}
	if _, err := ReadMetadataFile(path + ".missing"); err == nil {
		t.Error("ReadMetadataFile of a missing file: no error")
	}
}
