package mnist

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX magic numbers: two zero bytes, the element type (0x08, unsigned byte)
// and the number of dimensions.
const (
	imagesMagic = 0x00000803
	labelsMagic = 0x00000801
)

// maxBody bounds the data an IDX file may declare: 1 GiB, about twenty times
// the MNIST training images. It keeps a lying header from making the reader
// allocate or decompress without end, and keeps every size within an int on
// 32-bit platforms.
const maxBody = 1 << 30

// idx is a decoded IDX file.
type idx struct {
	header []byte // magic and dimensions, as stored
	dims   []int  // each at least 1
	body   []byte // the product of dims bytes
}

// ReadImages reads an IDX image file (magic 0x00000803), raw or
// gzip-compressed, and returns its n images of rows×cols pixels, image after
// image and row-major within an image, so pixel (r, c) of image i is
// images[(i·rows+r)·cols+c]. A file with a standard name and the standard
// length must also match the standard SHA-256 (see StandardFiles).
func ReadImages(path string) (images []byte, n, rows, cols int, err error) {
	d, err := readIDXFile(path, imagesMagic)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	return d.body, d.dims[0], d.dims[1], d.dims[2], nil
}

// ReadLabels reads an IDX label file (magic 0x00000801), raw or
// gzip-compressed, and returns its labels, each of which must be less than
// classes (1 to 256). A file with a standard name and the standard length
// must also match the standard SHA-256 (see StandardFiles).
func ReadLabels(path string, classes int) ([]byte, error) {
	if classes < 1 || classes > 256 {
		return nil, fmt.Errorf("mnist: ReadLabels(%q): classes is %d, want 1 to 256", path, classes)
	}
	d, err := readIDXFile(path, labelsMagic)
	if err != nil {
		return nil, err
	}
	if err := checkLabels(path, d.body, classes); err != nil {
		return nil, err
	}
	return d.body, nil
}

// checkLabels reports the first label that is not below classes.
func checkLabels(name string, labels []byte, classes int) error {
	for i, l := range labels {
		if int(l) >= classes {
			return errorf(name, "label %d is %d, outside the %d classes 0 to %d", i, l, classes, classes-1)
		}
	}
	return nil
}

// readIDXFile opens path, decodes it as an IDX file with the given magic and
// checks it against the standard files.
func readIDXFile(path string, magic uint32) (*idx, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errorf(path, "not a regular file")
	}
	d, err := decodeIDX(path, f, fi.Size(), magic)
	if err != nil {
		return nil, err
	}
	if err := checkStandard(path, d); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeIDX decodes an IDX file of size bytes, raw or gzip-compressed, read
// from r; name names it in errors. The size the header declares is checked
// against size (raw) or maxBody (gzip) before any memory is set aside for it,
// and compressed data is read in growing steps, so a lying header costs no
// more memory than the data that is really there.
func decodeIDX(name string, r io.Reader, size int64, magic uint32) (*idx, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	compressed := false
	if p, _ := br.Peek(2); len(p) == 2 && p[0] == 0x1f && p[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, readError(name, "gzip header", err)
		}
		src, compressed = zr, true
	}

	ndims := int(magic & 0xff)
	header := make([]byte, 4+4*ndims)
	if _, err := io.ReadFull(src, header[:4]); err != nil {
		return nil, readError(name, "IDX header", err)
	}
	if got := binary.BigEndian.Uint32(header); got != magic {
		return nil, errorf(name, "not an IDX %s file: magic 0x%08x, want 0x%08x%s", kind(magic), got, magic, magicHint(got))
	}
	if _, err := io.ReadFull(src, header[4:]); err != nil {
		return nil, readError(name, "IDX header", err)
	}

	dims := make([]int, ndims)
	need := int64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(header[4+4*i:])
		if d == 0 {
			return nil, errorf(name, "dimension %d of %d is zero %s", i+1, ndims, dimsString(header[4:]))
		}
		// need ≤ maxBody < 2³¹ before this step and d < 2³², so no overflow.
		need *= int64(d)
		if need > maxBody {
			return nil, errorf(name, "header declares %s, more than the %d-byte limit", dimsString(header[4:]), maxBody)
		}
		dims[i] = int(d)
	}

	grow := 0
	if !compressed {
		avail := size - int64(len(header))
		switch {
		case need > avail:
			return nil, errorf(name, "truncated: header declares %s, %d bytes of data, but only %d follow", dimsString(header[4:]), need, avail)
		case need < avail:
			return nil, errorf(name, "trailing garbage: %d bytes after the %d bytes of data that the header declares %s", avail-need, need, dimsString(header[4:]))
		}
		grow = int(need) + bytes.MinRead // checked against the file size above
	}
	var buf bytes.Buffer
	buf.Grow(grow)
	got, err := buf.ReadFrom(io.LimitReader(src, need+1))
	switch {
	case err != nil && got == need && errors.Is(err, gzip.ErrHeader):
		return nil, errorf(name, "trailing garbage after the gzip stream")
	case err != nil:
		return nil, readError(name, "data", err)
	case got < need:
		return nil, errorf(name, "truncated: header declares %s, %d bytes of data, but the data ends after %d", dimsString(header[4:]), need, got)
	case got > need:
		return nil, errorf(name, "trailing garbage after the %d bytes of data that the header declares %s", need, dimsString(header[4:]))
	}
	return &idx{header: header, dims: dims, body: buf.Bytes()}, nil
}

// kind names the file that magic stands for.
func kind(magic uint32) string {
	if magic == imagesMagic {
		return "image"
	}
	return "label"
}

// magicHint says what a file with magic got is when it is a known IDX file.
func magicHint(got uint32) string {
	if got == imagesMagic || got == labelsMagic {
		return " (it is an IDX " + kind(got) + " file)"
	}
	return ""
}

// dimsString formats big-endian uint32 dimensions as "(60000×28×28)".
func dimsString(b []byte) string {
	s := "("
	for i := 0; i+4 <= len(b); i += 4 {
		if i > 0 {
			s += "×"
		}
		s += fmt.Sprint(binary.BigEndian.Uint32(b[i:]))
	}
	return s + ")"
}

// readError describes a failed read of part of file name: a stream that ends
// early is reported as truncated, anything else (a corrupt gzip stream, an
// I/O failure) as it is.
func readError(name, part string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(name, "truncated %s", part)
	}
	return fmt.Errorf("mnist: %s: reading %s: %w", name, part, err)
}

// errorf returns an error about file name.
func errorf(name, format string, args ...any) error {
	return fmt.Errorf("mnist: %s: %s", name, fmt.Sprintf(format, args...))
}
