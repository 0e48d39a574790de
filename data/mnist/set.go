package mnist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	images, n, rows, cols, err := ReadImages(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadLabels(labelsPath, Classes)
	if err != nil {
		return nil, err
	}
	if len(labels) != n {
		return nil, fmt.Errorf("mnist: %s holds %d images but %s holds %d labels", imagesPath, n, labelsPath, len(labels))
	}
	return &Set{Images: images, Labels: labels, N: n, Rows: rows, Cols: cols}, nil
}

// Load reads the MNIST training and test sets from dir, which holds the four
// standard files (StandardFiles), each raw under its own name or
// gzip-compressed with ".gz" appended; the raw file wins when both exist. A
// missing file gives an error wrapping ErrNotFound.
func Load(dir string) (train, test *Set, err error) {
	var paths [4]string
	for i, name := range []string{trainImagesName, trainLabelsName, testImagesName, testLabelsName} {
		if paths[i], err = find(dir, name); err != nil {
			return nil, nil, err
		}
	}
	if train, err = ReadSet(paths[0], paths[1]); err != nil {
		return nil, nil, err
	}
	if test, err = ReadSet(paths[2], paths[3]); err != nil {
		return nil, nil, err
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
