package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header Read accepts, in bytes (the
// reference implementation's limit).
const MaxHeaderSize = 100_000_000

// metadataKey is the header entry that holds the free-form string metadata.
const metadataKey = "__metadata__"

// Read parses a safetensors file of size bytes from r (size is the length
// of what r holds, e.g. the file's size from Stat) and returns its tensors
// by name and its metadata (nil when the file has none).
//
// The file must be well formed: an 8-byte little-endian header length N
// with N ≤ MaxHeaderSize and 8 + N ≤ size; N bytes of UTF-8 JSON holding one
// object whose keys are all distinct (optional trailing spaces pad it); an
// optional "__metadata__" object of strings; for every other key an object
// with exactly "dtype" (a known type), "shape" (non-negative integers) and
// "data_offsets" ([begin, end], relative to the end of the header) whose
// span is the size the dtype and shape give; and spans that tile the rest
// of the file exactly, without gaps or overlaps. Anything else is an error
// saying what is wrong; no allocation is larger than size. The tensors'
// Data share one buffer.
func Read(r io.ReaderAt, size int64) (map[string]Tensor, map[string]string, error) {
	entries, meta, dataStart, err := readHeader(r, size)
	if err != nil {
		return nil, nil, err
	}
	dataLen := size - dataStart
	data := make([]byte, dataLen)
	if err := readAt(r, data, dataStart); err != nil {
		return nil, nil, fmt.Errorf("safetensors: reading %d bytes of tensor data: %w", dataLen, err)
	}
	tensors := make(map[string]Tensor, len(entries))
	for _, e := range entries {
		e.t.Data = data[e.begin:e.end:e.end]
		tensors[e.name] = e.t
	}
	return tensors, meta, nil
}

// ReadMetadata reads and checks the header of a safetensors file of size
// bytes, as Read does, and returns its metadata without reading the
// tensors' data.
func ReadMetadata(r io.ReaderAt, size int64) (map[string]string, error) {
	_, meta, _, err := readHeader(r, size)
	return meta, err
}

// readHeader reads and checks the header of a file of size bytes and
// returns its tensors (without data), its metadata and the offset of the
// data buffer.
func readHeader(r io.ReaderAt, size int64) (entries []entry, meta map[string]string, dataStart int64, err error) {
	if size < 8 {
		return nil, nil, 0, fmt.Errorf("safetensors: file of %d bytes is shorter than the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if err := readAt(r, lenBuf[:], 0); err != nil {
		return nil, nil, 0, fmt.Errorf("safetensors: reading the header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, nil, 0, fmt.Errorf("safetensors: header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, nil, 0, fmt.Errorf("safetensors: header length %d exceeds the %d bytes after the length", n, size-8)
	}
	header := make([]byte, n)
	if err := readAt(r, header, 8); err != nil {
		return nil, nil, 0, fmt.Errorf("safetensors: reading the %d-byte header: %w", n, err)
	}
	dataStart = 8 + int64(n)
	entries, meta, err = parseHeader(header, size-dataStart)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("safetensors: %w", err)
	}
	return entries, meta, dataStart, nil
}

// readAt fills p from r at offset off. io.ReaderAt may report io.EOF with
// a full read at the end of the input, which is success here.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// ReadFile reads the safetensors file at path (see Read).
func ReadFile(path string) (map[string]Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	tensors, meta, err := Read(f, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return tensors, meta, nil
}

// ReadMetadataFile reads the metadata of the safetensors file at path (see
// ReadMetadata).
func ReadMetadataFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	meta, err := ReadMetadata(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return meta, nil
}

// entry is one tensor of a header: its name, its description (Data not yet
// set) and its span [begin, end) in the data buffer.
type entry struct {
	name       string
	t          Tensor
	begin, end int64
}

// parseHeader parses and checks the JSON header of a file whose data
// buffer has dataLen bytes, returning the tensors sorted by span and the
// metadata.
func parseHeader(header []byte, dataLen int64) ([]entry, map[string]string, error) {
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	var entries []entry
	var meta map[string]string
	err := decodeObject(header, func(key string, val json.RawMessage) error {
		if key == metadataKey {
			m, err := parseMetadata(val)
			if err != nil {
				return fmt.Errorf("%s: %w", metadataKey, err)
			}
			meta = m
			return nil
		}
		e, err := parseEntry(val, dataLen)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", key, err)
		}
		e.name = key
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].begin != entries[j].begin {
			return entries[i].begin < entries[j].begin
		}
		return entries[i].end < entries[j].end
	})
	var pos int64
	for _, e := range entries {
		if e.begin != pos {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap or overlap at byte %d of the data", e.name, e.begin, e.end, pos)
		}
		pos = e.end
	}
	if pos != dataLen {
		return nil, nil, fmt.Errorf("tensors cover %d bytes of data, the file has %d", pos, dataLen)
	}
	return entries, meta, nil
}

// parseEntry parses one tensor's description and checks it against a data
// buffer of dataLen bytes.
func parseEntry(val json.RawMessage, dataLen int64) (entry, error) {
	var e entry
	var dtype, shape, offsets json.RawMessage
	err := decodeObject(val, func(key string, v json.RawMessage) error {
		switch key {
		case "dtype":
			dtype = v
		case "shape":
			shape = v
		case "data_offsets":
			offsets = v
		default:
			return fmt.Errorf("unknown field %q", key)
		}
		return nil
	})
	if err != nil {
		return e, err
	}
	if dtype == nil || shape == nil || offsets == nil {
		return e, errors.New(`want the fields "dtype", "shape" and "data_offsets"`)
	}
	if err := json.Unmarshal(dtype, &e.t.DType); err != nil || !isKind(dtype, '"') {
		return e, fmt.Errorf("dtype %s is not a string", dtype)
	}
	size, err := DTypeSize(e.t.DType)
	if err != nil {
		return e, err
	}
	var dims []int64
	if err := json.Unmarshal(shape, &dims); err != nil || !isKind(shape, '[') {
		return e, fmt.Errorf("shape %s is not an array of integers", shape)
	}
	e.t.Shape = make([]int, len(dims))
	for i, d := range dims {
		if d < 0 || int64(int(d)) != d {
			return e, fmt.Errorf("shape %s has the invalid dimension %d", shape, d)
		}
		e.t.Shape[i] = int(d)
	}
	var span []int64
	if err := json.Unmarshal(offsets, &span); err != nil || !isKind(offsets, '[') || len(span) != 2 {
		return e, fmt.Errorf("data_offsets %s is not a pair of integers", offsets)
	}
	e.begin, e.end = span[0], span[1]
	if e.begin < 0 || e.begin > e.end || e.end > dataLen {
		return e, fmt.Errorf("data_offsets [%d, %d] outside the %d bytes of data", e.begin, e.end, dataLen)
	}
	n, err := byteLen(e.t.Shape, size)
	if err != nil {
		return e, err
	}
	if n != e.end-e.begin {
		return e, fmt.Errorf("%s shape %v takes %d bytes, data_offsets [%d, %d] span %d", e.t.DType, e.t.Shape, n, e.begin, e.end, e.end-e.begin)
	}
	return e, nil
}

// parseMetadata parses the metadata object, whose values must be strings.
func parseMetadata(val json.RawMessage) (map[string]string, error) {
	meta := map[string]string{}
	err := decodeObject(val, func(key string, v json.RawMessage) error {
		var s string
		if err := json.Unmarshal(v, &s); err != nil || !isKind(v, '"') {
			return fmt.Errorf("value of %q is not a string", key)
		}
		meta[key] = s
		return nil
	})
	return meta, err
}

// isKind reports whether the JSON value v starts with c ('"' for a string,
// '[' for an array): json.Unmarshal accepts null for both.
func isKind(v json.RawMessage, c byte) bool {
	v = bytes.TrimLeft(v, " \t\r\n")
	return len(v) > 0 && v[0] == c
}

// decodeObject parses data as one JSON object followed by nothing but
// white space, calling f for each member in order. Duplicate keys are an
// error.
func decodeObject(data []byte, f func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("invalid JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return errors.New("invalid JSON: object key is not a string")
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return fmt.Errorf("invalid JSON at %q: %w", key, err)
		}
		if err := f(key, val); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid JSON: data after the object")
	}
	return nil
}
