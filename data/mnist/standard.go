package mnist

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// File describes one IDX file by its name and the length and SHA-256 of its
// uncompressed bytes.
type File struct {
	Name   string // file name, e.g. "train-images-idx3-ubyte"
	Size   int64  // length in bytes, uncompressed
	SHA256 string // SHA-256 of the uncompressed bytes, in hex
}

// The names of the four standard files.
const (
	trainImagesName = "train-images-idx3-ubyte"
	trainLabelsName = "train-labels-idx1-ubyte"
	testImagesName  = "t10k-images-idx3-ubyte"
	testLabelsName  = "t10k-labels-idx1-ubyte"
)

// sha256sums is the published SHA-256 of each standard file, in the format
// of sha256sum; scripts/get-mnist.sh checks against the same file.
//
//go:embed SHA256SUMS
var sha256sums string

// standardFiles is the data set as published by LeCun, Cortes and Burges:
// the lengths follow from the IDX headers (16 bytes for images, 8 for
// labels, then one byte per pixel or label), the sums from SHA256SUMS.
var standardFiles = [...]File{
	{trainImagesName, 16 + 60000*28*28, publishedSum(trainImagesName)},
	{trainLabelsName, 8 + 60000, publishedSum(trainLabelsName)},
	{testImagesName, 16 + 10000*28*28, publishedSum(testImagesName)},
	{testLabelsName, 8 + 10000, publishedSum(testLabelsName)},
}

// publishedSum returns the SHA-256 that SHA256SUMS gives for name. It
// panics when there is none, which the package's tests rule out.
func publishedSum(name string) string {
	for line := range strings.Lines(sha256sums) {
		sum, file, ok := strings.Cut(strings.TrimSpace(line), "  ")
		if ok && file == name && !strings.HasPrefix(sum, "#") {
			return sum
		}
	}
	panic("mnist: SHA256SUMS has no sum for " + name)
}

// StandardFiles returns the four MNIST files as published: training images
// and labels, then test images and labels, with their uncompressed lengths
// and SHA-256. The slice is a fresh copy on each call.
func StandardFiles() []File {
	s := standardFiles
	return s[:]
}

// standard returns the published file called name, if there is one.
func standard(name string) (File, bool) {
	for _, f := range standardFiles {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// errNotPublished marks an error saying that a file is not the one
// described by its File entry.
var errNotPublished = errors.New("not the published file")

// Verify checks that dir holds the published MNIST files (StandardFiles),
// each raw or gzip-compressed, found as Load finds them: it returns nil when
// each decompresses to the published length and SHA-256, an error wrapping
// ErrNotFound when a file is absent, and otherwise an error naming the
// first file that differs. Load itself reads any well-formed IDX files
// under the standard names; Verify, or LoadOptions.Verify, is for a caller
// that wants MNIST itself.
func Verify(dir string) error {
	for _, f := range standardFiles {
		p, err := find(dir, f.Name)
		if err != nil {
			return err
		}
		if err := verifyFile(p, f); err != nil {
			return err
		}
	}
	return nil
}

// verifyFile checks that the file at path, raw or gzip-compressed (told by
// content), holds f: the error wraps errNotPublished when it is readable
// but differs, fs.ErrNotExist when it is absent.
func verifyFile(path string, f File) error {
	r, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("mnist: %w", err)
	}
	defer r.Close()
	br := bufio.NewReader(r)
	var src io.Reader = br
	if isGzip(br) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return streamError(path, true, "gzip header", err, nil)
		}
		src = zr
	}
	h := sha256.New()
	s := &stream{r: src}
	n, err := io.Copy(h, io.LimitReader(s, f.Size+1))
	if err != nil {
		return streamError(path, src != br, "data", err, s)
	}
	if n < f.Size {
		return fmt.Errorf("mnist: %s: %w (%d bytes, want %d)", path, errNotPublished, n, f.Size)
	}
	if n > f.Size {
		return fmt.Errorf("mnist: %s: %w (more than %d bytes)", path, errNotPublished, f.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(sum, f.SHA256) {
		return fmt.Errorf("mnist: %s: %w (SHA-256 %s, want %s)", path, errNotPublished, sum, f.SHA256)
	}
	return nil
}
