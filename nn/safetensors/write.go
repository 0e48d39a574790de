package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/myelin-go/myelin/internal/atomicfile"
)

// Write writes tensors and the metadata meta (nil for none) to w in the
// safetensors format. The output depends only on its arguments: the JSON
// header lists the names in sorted order and is padded with spaces to a
// multiple of 8 bytes, and the data holds the tensors ordered by element
// size, largest first, then by name, as the reference implementation does,
// so that every tensor starts at a multiple of its element size within the
// file. Tensors with an unknown dtype, a negative dimension or data of the
// wrong length, and the reserved name "__metadata__", are errors, reported
// before anything is written.
func Write(w io.Writer, tensors map[string]Tensor, meta map[string]string) error {
	header, order, err := encodeHeader(tensors, meta)
	if err != nil {
		return err
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, name := range order {
		if _, err := w.Write(tensors[name].Data); err != nil {
			return err
		}
	}
	return nil
}

// headerEntry is one tensor's description in the JSON header.
type headerEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int   `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// encodeHeader checks the tensors and returns the padded JSON header and
// the names in data order.
func encodeHeader(tensors map[string]Tensor, meta map[string]string) ([]byte, []string, error) {
	order := make([]string, 0, len(tensors))
	for name, t := range tensors {
		if name == metadataKey {
			return nil, nil, fmt.Errorf("safetensors: the tensor name %q is reserved", metadataKey)
		}
		if err := t.check(); err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		order = append(order, name)
	}
	sort.Slice(order, func(i, j int) bool {
		si, sj := dtypeSizes[tensors[order[i]].DType], dtypeSizes[tensors[order[j]].DType]
		if si != sj {
			return si > sj
		}
		return order[i] < order[j]
	})
	obj := make(map[string]any, len(tensors)+1)
	var pos int64
	for _, name := range order {
		t := tensors[name]
		end := pos + int64(len(t.Data))
		obj[name] = headerEntry{DType: t.DType, Shape: append([]int{}, t.Shape...), DataOffsets: []int64{pos, end}}
		pos = end
	}
	if meta != nil {
		obj[metadataKey] = meta
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, nil, fmt.Errorf("safetensors: encoding the header: %w", err)
	}
	header := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	for len(header)%8 != 0 {
		header = append(header, ' ')
	}
	return header, order, nil
}

// WriteFile writes tensors and meta to the file at path (see Write)
// atomically: it writes a temporary file in the same directory, flushes it
// to stable storage, renames it over path and syncs the directory, so that
// path holds either its old contents or the complete new file, never part
// of one. On error the temporary file is removed. A new file gets mode
// 0644; an existing one keeps its mode.
func WriteFile(path string, tensors map[string]Tensor, meta map[string]string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := Write(w, tensors, meta); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	})
}
