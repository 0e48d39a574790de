package mnist

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
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

// standardFiles is the data set as published by LeCun, Cortes and Burges.
var standardFiles = [...]File{
	{trainImagesName, 16 + 60000*28*28, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
	{trainLabelsName, 8 + 60000, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
	{testImagesName, 16 + 10000*28*28, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
	{testLabelsName, 8 + 10000, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
}

// StandardFiles returns the four MNIST files as published: training images
// and labels, then test images and labels, with their uncompressed lengths
// and SHA-256. The slice is a fresh copy on each call.
func StandardFiles() []File {
	s := standardFiles
	return s[:]
}

// checkStandard verifies the SHA-256 of d, read from path, when path carries
// a standard name (with or without ".gz") and d has that file's length, that
// is when the file claims to be the standard one.
func checkStandard(path string, d *idx) error {
	name := strings.TrimSuffix(filepath.Base(path), ".gz")
	for _, f := range standardFiles {
		if f.Name != name || int64(len(d.header)+len(d.body)) != f.Size {
			continue
		}
		h := sha256.New()
		h.Write(d.header)
		h.Write(d.body)
		if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
			return errorf(path, "corrupted: SHA-256 is %s, want %s; delete it and run scripts/get-mnist.sh", sum, f.SHA256)
		}
	}
	return nil
}
