package mnist

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/myelin-go/myelin/nn"
)

// Classes is the number of MNIST classes, the digits 0 to 9.
const Classes = 10

// Mean and Std are the mean and standard deviation of the MNIST training
// pixels scaled to [0, 1], the usual constants for Set.Float32.
const (
	Mean = 0.1307
	Std  = 0.3081
)

// ErrNotFound is returned, wrapped, by Load when a data file is absent, so
// that a caller can offer to download it (scripts/get-mnist.sh or Download).
var ErrNotFound = errors.New("mnist: data files not found")

// Set is a labelled set of grey images.
type Set struct {
	// Images holds N·Rows·Cols pixels, image after image and row-major
	// within an image, from 0 (background) to 255 (ink).
	Images []byte
	// Labels holds the N class labels.
	Labels []byte
	// N is the number of images; Rows and Cols are the size of each.
	N, Rows, Cols int
}

// ReadSet reads an IDX image file and its IDX label file (see ReadImages and
// ReadLabels), which must hold the same number of samples, with labels below
// Classes.
func ReadSet(imagesPath, labelsPath string) (*Set, error) {
	s, _, _, err := readSet(imagesPath, labelsPath, 0, false)
	return s, err
}

// readSet reads an image file and its label file, keeping at most limit
// samples when limit > 0 (see decodeIDX for limit and hash), and returns
// the set and the two decoded files.
func readSet(imagesPath, labelsPath string, limit int, hash bool) (*Set, *idx, *idx, error) {
	images, err := readIDXFile(imagesPath, imagesMagic, limit, hash)
	if err != nil {
		return nil, nil, nil, err
	}
	labels, err := readIDXFile(labelsPath, labelsMagic, limit, hash)
	if err != nil {
		return nil, nil, nil, err
	}
	if images.dims[0] != labels.dims[0] {
		return nil, nil, nil, fmt.Errorf("mnist: %s holds %d images but %s holds %d labels", imagesPath, images.dims[0], labelsPath, labels.dims[0])
	}
	if err := checkLabels(labelsPath, labels.body, Classes); err != nil {
		return nil, nil, nil, err
	}
	s := &Set{Images: images.body, Labels: labels.body, N: images.n, Rows: images.dims[1], Cols: images.dims[2]}
	return s, images, labels, nil
}

// Load reads the training and test sets from dir, which holds the four
// files under their standard names (StandardFiles), each raw or
// gzip-compressed with ".gz" appended; the raw file wins when both exist.
// Any well-formed IDX files are read: Fashion-MNIST and Kuzushiji-MNIST,
// published under MNIST's file names, load as they are. A missing file
// gives an error wrapping ErrNotFound. Load is LoadWith with the zero
// LoadOptions.
func Load(dir string) (train, test *Set, err error) {
	return LoadWith(dir, LoadOptions{})
}

// LoadOptions configures LoadWith. The zero value reads both sets whole and
// says nothing.
type LoadOptions struct {
	// Limit, when positive, keeps only the first Limit training samples:
	// the rest of the training files is neither read nor decompressed
	// (nor checked), so a large or hostile file costs only what is kept.
	Limit int
	// TestLimit does the same for the test set.
	TestLimit int
	// Verify asks for the published MNIST files: a file that differs from
	// them in length or SHA-256 is an error. Verify reads each file to its
	// end, limits or not (keeping only what the limits say).
	Verify bool
	// Notes, when not nil, receives one-line notes about the data. The one
	// note today: "mnist: DIR: not the published MNIST files; reading them
	// as an IDX data set", when a file read to its end (not cut short by a
	// limit) differs from the published one.
	Notes io.Writer
}

// LoadWith is Load with options: limits on the samples read, a check for
// the published MNIST files, and notes.
func LoadWith(dir string, opts LoadOptions) (train, test *Set, err error) {
	if opts.Limit < 0 || opts.TestLimit < 0 {
		return nil, nil, fmt.Errorf("mnist: LoadWith: Limit %d and TestLimit %d must not be negative (0 reads all samples)", opts.Limit, opts.TestLimit)
	}
	var paths [4]string
	for i, f := range standardFiles {
		if paths[i], err = find(dir, f.Name); err != nil {
			return nil, nil, err
		}
	}
	// A set is hashed when it is verified, or for the note when it is read
	// whole anyway: a limit means reading no further than the samples kept.
	hashTrain := opts.Verify || opts.Notes != nil && opts.Limit == 0
	hashTest := opts.Verify || opts.Notes != nil && opts.TestLimit == 0
	train, trainImages, trainLabels, err := readSet(paths[0], paths[1], opts.Limit, hashTrain)
	if err != nil {
		return nil, nil, err
	}
	test, testImages, testLabels, err := readSet(paths[2], paths[3], opts.TestLimit, hashTest)
	if err != nil {
		return nil, nil, err
	}
	if !hashTrain && !hashTest {
		return train, test, nil
	}
	for i, d := range []*idx{trainImages, trainLabels, testImages, testLabels} {
		if err := published(paths[i], d, standardFiles[i]); err != nil {
			if opts.Verify {
				return nil, nil, err
			}
			fmt.Fprintf(opts.Notes, "mnist: %s: not the published MNIST files; reading them as an IDX data set\n", dir)
			break
		}
	}
	return train, test, nil
}

// find returns the path of file name in dir, raw or with ".gz" appended.
func find(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
		_, err := os.Stat(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("mnist: %w", err)
		}
	}
	return "", fmt.Errorf("%w: %s (or %s.gz) is not in %s; run scripts/get-mnist.sh or call mnist.Download", ErrNotFound, name, name, dir)
}

// published returns an error wrapping errNotPublished when d, read from
// path, was read to its end and is not f. A file cut short by a limit is
// not judged.
func published(path string, d *idx, f File) error {
	if !d.whole {
		return nil
	}
	if d.size != f.Size {
		return fmt.Errorf("mnist: %s: %w (%d bytes, want %d)", path, errNotPublished, d.size, f.Size)
	}
	if sum := hex.EncodeToString(d.sum); sum != f.SHA256 {
		return fmt.Errorf("mnist: %s: %w (SHA-256 %s, want %s)", path, errNotPublished, sum, f.SHA256)
	}
	return nil
}

// Float32 returns the N·Rows·Cols pixels as (p/255 − mean)/std, in the
// order of Images; Float32(Mean, Std) gives the standardised inputs most
// MNIST models expect, Float32(0, 1) the pixels scaled to [0, 1]. The
// arithmetic is float32; std must not be zero.
func (s *Set) Float32(mean, std float32) []float32 {
	var table [256]float32
	for p := range table {
		table[p] = (float32(p)/255 - mean) / std
	}
	x := make([]float32, len(s.Images))
	for i, p := range s.Images {
		x[i] = table[p]
	}
	return x
}

// Dataset returns s as data for package nn: the pixels standardised as by
// Float32(Mean, Std), each sample of shape [1, Rows, Cols] (one grey
// channel), and one-hot targets of Classes values (nn.OneHot). It panics if
// a label is not below Classes, which Load and ReadSet rule out.
func (s *Set) Dataset() nn.Dataset {
	return nn.Dataset{
		X:      s.Float32(Mean, Std),
		XShape: []int{1, s.Rows, s.Cols},
		Y:      nn.OneHot(s.Ints(), Classes),
		YShape: []int{Classes},
	}
}

// Ints returns the N labels as ints.
func (s *Set) Ints() []int {
	y := make([]int, len(s.Labels))
	for i, l := range s.Labels {
		y[i] = int(l)
	}
	return y
}

// Head returns a Set of the first min(n, N) samples, sharing memory with s.
// It panics if n is negative.
func (s *Set) Head(n int) *Set {
	if n < 0 {
		panic(fmt.Sprintf("mnist: Set.Head(%d): negative count", n))
	}
	n = min(n, s.N)
	size := n * s.Rows * s.Cols
	return &Set{Images: s.Images[:size:size], Labels: s.Labels[:n:n], N: n, Rows: s.Rows, Cols: s.Cols}
}
