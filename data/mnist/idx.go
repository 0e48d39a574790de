package mnist

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
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
// the MNIST training images. A header that declares more is refused before
// anything is read or set aside; the bound also keeps every size within an
// int on 32-bit platforms.
const maxBody = 1 << 30

// idx is a decoded IDX file, or its first samples.
type idx struct {
	header []byte // magic and dimensions, as stored
	dims   []int  // as declared, each at least 1
	n      int    // samples read: dims[0], or fewer under a limit
	body   []byte // the n samples read, n·dims[1]·… bytes
	whole  bool   // the file was read and checked to its end
	size   int64  // the decompressed length of the file, when whole
	sum    []byte // the SHA-256 of the decompressed file, when whole and asked for
}

// ReadImages reads an IDX image file (magic 0x00000803), raw or
// gzip-compressed, and returns its n images of rows×cols pixels, image after
// image and row-major within an image, so pixel (r, c) of image i is
// images[(i·rows+r)·cols+c]. Any well-formed file is read, whatever its name;
// see Verify to check for the published MNIST files.
func ReadImages(path string) (images []byte, n, rows, cols int, err error) {
	d, err := readIDXFile(path, imagesMagic, 0, false)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	return d.body, d.n, d.dims[1], d.dims[2], nil
}

// ReadLabels reads an IDX label file (magic 0x00000801), raw or
// gzip-compressed, and returns its labels, each of which must be less than
// classes (1 to 256).
func ReadLabels(path string, classes int) ([]byte, error) {
	if classes < 1 || classes > 256 {
		return nil, fmt.Errorf("mnist: ReadLabels(%q): classes is %d, want 1 to 256", path, classes)
	}
	d, err := readIDXFile(path, labelsMagic, 0, false)
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

// readIDXFile opens path and decodes it as an IDX file with the given magic
// (see decodeIDX for limit and hash).
func readIDXFile(path string, magic uint32, limit int, hash bool) (*idx, error) {
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
	return decodeIDX(path, f, fi.Size(), magic, limit, hash)
}

// decodeIDX decodes an IDX file of size bytes, raw or gzip-compressed (told
// by its first two bytes), read from r; name names it in errors.
//
// With limit > 0 it keeps at most the first limit samples and, unless hash
// is set, reads no further: the rest of the file is neither decompressed nor
// checked. Otherwise it reads the file to its end, checks that the data end
// where the header says, and with hash set records the SHA-256 of the
// decompressed bytes.
//
// Memory: the header may declare at most maxBody bytes of data. A raw file's
// length is checked against its header before anything is set aside, and
// then exactly the kept samples are allocated. Decompressed data are read
// into a buffer that doubles as they arrive, up to the size of the kept
// samples, so whatever its header declares, a gzip file costs less than
// twice the samples kept and at most three times the data it really holds.
func decodeIDX(name string, r io.Reader, size int64, magic uint32, limit int, hash bool) (*idx, error) {
	br := bufio.NewReader(r)
	s := &stream{r: br}
	compressed := isGzip(br)
	if compressed {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, streamError(name, true, "gzip header", err, nil)
		}
		s.r = zr
	}
	if hash {
		s.h = sha256.New()
	}

	ndims := int(magic & 0xff)
	header := make([]byte, 4+4*ndims)
	if _, err := io.ReadFull(s, header[:4]); err != nil {
		return nil, streamError(name, compressed, "IDX header", err, s)
	}
	if got := binary.BigEndian.Uint32(header); got != magic {
		return nil, errorf(name, "not an IDX %s file: magic 0x%08x, want 0x%08x%s", kind(magic), got, magic, magicHint(got))
	}
	if _, err := io.ReadFull(s, header[4:]); err != nil {
		return nil, streamError(name, compressed, "IDX header", err, s)
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
			return nil, errorf(name, "header declares %s, more than the %d-byte limit on an IDX file's data (1 GiB); refusing it", dimsString(header[4:]), int64(maxBody))
		}
		dims[i] = int(d)
	}
	if !compressed {
		avail := size - int64(len(header))
		switch {
		case need > avail:
			return nil, errorf(name, "truncated: header declares %s, %d bytes of data, but only %d follow", dimsString(header[4:]), need, avail)
		case need < avail:
			return nil, errorf(name, "trailing garbage: %d bytes after the %d bytes of data that the header declares %s", avail-need, need, dimsString(header[4:]))
		}
	}

	n := dims[0]
	if limit > 0 && limit < n {
		n = limit
	}
	keep := int64(n) * (need / int64(dims[0]))
	body, err := readBody(s, keep, !compressed)
	got := int64(len(body))
	// A gzip reader returns the last bytes of a stream together with the
	// error of what follows it; that error is judged below, with the rest.
	if err != nil && (got < keep || !compressed || !errors.Is(err, gzip.ErrHeader)) {
		return nil, streamError(name, compressed, "data", err, s)
	}
	d := &idx{header: header, dims: dims, n: n, body: body}
	if got < keep {
		return nil, errorf(name, "truncated: header declares %s, %d bytes of data, but the data ends after %d", dimsString(header[4:]), need, got)
	}
	if n < dims[0] && !hash {
		return d, nil
	}

	// Read the rest, if any, and one byte more, to find where the data end.
	rest, more := need-keep, int64(0)
	if err == nil {
		more, err = io.Copy(io.Discard, io.LimitReader(s, rest+1))
	}
	switch {
	case err != nil && more == rest && compressed && errors.Is(s.err, gzip.ErrHeader):
		return nil, errorf(name, "trailing garbage after the gzip stream")
	case err != nil:
		return nil, streamError(name, compressed, "data", err, s)
	case more < rest:
		return nil, errorf(name, "truncated: header declares %s, %d bytes of data, but the data ends after %d", dimsString(header[4:]), need, keep+more)
	case more > rest:
		if compressed {
			// A damaged stream can decompress to too much before its
			// checksum is reached: read on to tell the two apart.
			if _, err := io.Copy(io.Discard, io.LimitReader(s, maxBody)); err != nil && !errors.Is(s.err, gzip.ErrHeader) {
				return nil, streamError(name, compressed, "data", err, s)
			}
		}
		return nil, errorf(name, "trailing garbage after the %d bytes of data that the header declares %s", need, dimsString(header[4:]))
	}
	d.whole, d.size = true, s.n
	if s.h != nil {
		d.sum = s.h.Sum(nil)
	}
	return d, nil
}

// readBody reads want bytes from r, fewer if r ends first. With exact set
// (the length is known to be there) it allocates want bytes at once;
// otherwise its buffer starts small and doubles as data arrive, up to want.
func readBody(r io.Reader, want int64, exact bool) ([]byte, error) {
	c := want
	if !exact {
		c = min(want, 1<<16)
	}
	buf := make([]byte, 0, c)
	for int64(len(buf)) < want {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(want, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// stream passes reads through from r, counting the bytes, hashing them
// into h when h is not nil, and remembering the last error r returned
// (io.ReadFull turns a clean early end into io.ErrUnexpectedEOF; err tells
// it from a cut gzip stream).
type stream struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (s *stream) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.h != nil {
		s.h.Write(p[:n])
	}
	s.n += int64(n)
	if err != nil {
		s.err = err
	}
	return n, err
}

// isGzip reports whether br starts with the gzip magic bytes 1f 8b.
func isGzip(br *bufio.Reader) bool {
	p, _ := br.Peek(2)
	return len(p) == 2 && p[0] == 0x1f && p[1] == 0x8b
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

// streamError describes a failed read of part of file name, from s when not
// nil (whose recorded error is the cause), compressed or not. A gzip stream
// that is cut short or fails its checks is reported as a corrupted gzip
// stream; a clean early end as a truncated file; anything else (an I/O
// failure) as it is.
func streamError(name string, compressed bool, part string, err error, s *stream) error {
	if s != nil && s.err != nil {
		err = s.err
	}
	var corrupt flate.CorruptInputError
	switch {
	case compressed && errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(name, "corrupted gzip stream: truncated %s (the compressed data ends early)", part)
	case compressed && (errors.As(err, &corrupt) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)):
		return errorf(name, "corrupted gzip stream in the %s: %v", part, err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(name, "truncated %s", part)
	}
	return fmt.Errorf("mnist: %s: reading %s: %w", name, part, err)
}

// errorf returns an error about file name.
func errorf(name, format string, args ...any) error {
	return fmt.Errorf("mnist: %s: %s", name, fmt.Sprintf(format, args...))
}
