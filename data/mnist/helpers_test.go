package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// idxFile returns an IDX file of unsigned bytes with the given dimensions
// and data, written plainly from the format's definition.
func idxFile(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

// randomImages returns n·rows·cols random pixels from a fixed seed.
func randomImages(seed uint64, n, rows, cols int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := make([]byte, n*rows*cols)
	for i := range p {
		p[i] = byte(rng.IntN(256))
	}
	return p
}

// randomLabels returns n random labels below classes from a fixed seed.
func randomLabels(seed uint64, n, classes int) []byte {
	rng := rand.New(rand.NewPCG(seed, 2))
	l := make([]byte, n)
	for i := range l {
		l[i] = byte(rng.IntN(classes))
	}
	return l
}

// gz returns b gzip-compressed.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
