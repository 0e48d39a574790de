package mnist

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzReadIDX feeds arbitrary bytes to the IDX decoder as an image file and
// as a label file: it must never panic, and what it accepts must be
// consistent with its header.
func FuzzReadIDX(f *testing.F) {
	images := idxFile([]uint32{2, 3, 2}, randomImages(11, 2, 3, 2))
	labels := idxFile([]uint32{3}, []byte{0, 9, 4})
	f.Add(images)
	f.Add(labels)
	f.Add(gz(f, images))
	f.Add(gz(f, labels))
	f.Add(images[:len(images)-1])
	f.Add(images[:7])
	f.Add(labels[:9])
	gzLabels := gz(f, labels)
	f.Add(gzLabels[:len(gzLabels)-4])
	f.Add(gz(f, idxFile([]uint32{1 << 29}, []byte{1, 2})))
	f.Add(idxFile([]uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, magic := range []uint32{imagesMagic, labelsMagic} {
			for _, limit := range []int{0, 1, 2} {
				d, err := decodeIDX("fuzz", bytes.NewReader(data), int64(len(data)), magic, limit, limit == 1)
				if err != nil {
					continue
				}
				if got := binary.BigEndian.Uint32(d.header); got != magic {
					t.Fatalf("accepted magic 0x%08x, want 0x%08x", got, magic)
				}
				sample := 1
				for _, n := range d.dims {
					if n < 1 {
						t.Fatalf("accepted dimensions %v", d.dims)
					}
					sample *= n
				}
				sample /= d.dims[0]
				if want := d.dims[0]; limit > 0 && limit < want && d.n != limit || (limit == 0 || limit >= want) && d.n != want {
					t.Fatalf("kept %d samples of %d under limit %d", d.n, want, limit)
				}
				if len(d.body) != d.n*sample {
					t.Fatalf("body of %d bytes for %d samples of dimensions %v", len(d.body), d.n, d.dims)
				}
				if d.whole != (d.n == d.dims[0] || limit == 1) {
					t.Fatalf("whole %v for %d of %d samples, limit %d", d.whole, d.n, d.dims[0], limit)
				}
				gzipped := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
				if !gzipped && d.n == d.dims[0] && !bytes.Equal(data, append(d.header[:len(d.header):len(d.header)], d.body...)) {
					t.Fatal("raw file accepted but not reproduced by header and body")
				}
				if magic == labelsMagic {
					_ = checkLabels("fuzz", d.body, Classes)
				}
			}
		}
	})
}
