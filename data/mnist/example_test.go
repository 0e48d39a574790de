package mnist_test

import (
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/myelin-go/myelin/data/mnist"
)

// writeIDX writes an IDX file of unsigned bytes with the given dimensions
// and data: the magic 0x0000080N for N dimensions, each dimension as a
// big-endian uint32, then the data.
func writeIDX(path string, dims []uint32, data []byte) {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	if err := os.WriteFile(path, append(b, data...), 0o644); err != nil {
		log.Fatal(err)
	}
}

// tinySet writes a tiny data set under MNIST's four file names in a new
// temporary directory, three training and two test images of 2×3 pixels,
// and returns the directory.
func tinySet() string {
	dir, err := os.MkdirTemp("", "mnist-example")
	if err != nil {
		log.Fatal(err)
	}
	writeIDX(filepath.Join(dir, "train-images-idx3-ubyte"), []uint32{3, 2, 3}, make([]byte, 3*2*3))
	writeIDX(filepath.Join(dir, "train-labels-idx1-ubyte"), []uint32{3}, []byte{7, 2, 1})
	writeIDX(filepath.Join(dir, "t10k-images-idx3-ubyte"), []uint32{2, 2, 3}, make([]byte, 2*2*3))
	writeIDX(filepath.Join(dir, "t10k-labels-idx1-ubyte"), []uint32{2}, []byte{0, 9})
	return dir
}

// ExampleLoad loads a tiny data set stored under MNIST's file names.
func ExampleLoad() {
	dir := tinySet()
	defer os.RemoveAll(dir)

	train, test, err := mnist.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("train: %d images of %d×%d, labels %v\n", train.N, train.Rows, train.Cols, train.Ints())
	fmt.Printf("test: %d images of %d×%d, labels %v\n", test.N, test.Rows, test.Cols, test.Ints())
	// Output:
	// train: 3 images of 2×3, labels [7 2 1]
	// test: 2 images of 2×3, labels [0 9]
}

// ExampleLoadWith keeps the first two training samples, decompressing no
// more of the files than that, and takes the note that the files are not
// the published MNIST ones (printed here with the directory as DIR).
func ExampleLoadWith() {
	dir := tinySet()
	defer os.RemoveAll(dir)

	var notes strings.Builder
	train, test, err := mnist.LoadWith(dir, mnist.LoadOptions{Limit: 2, Notes: &notes})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(strings.ReplaceAll(notes.String(), dir, "DIR"))
	fmt.Println(train.N, "training and", test.N, "test samples")
	// Output:
	// mnist: DIR: not the published MNIST files; reading them as an IDX data set
	// 2 training and 2 test samples
}

// ExampleSet_Dataset turns a set into training data for package nn.
func ExampleSet_Dataset() {
	s := &mnist.Set{Images: []byte{0, 255, 0, 255, 0, 0, 0, 0}, Labels: []byte{3, 0}, N: 2, Rows: 2, Cols: 2}
	d := s.Dataset()
	fmt.Println(d.Len(), "samples of shape", d.XShape, "targets of shape", d.YShape)
	fmt.Printf("pixels of the first: %.3f\n", d.X[:4])
	fmt.Println("its target:", d.Y[:10])
	// Output:
	// 2 samples of shape [1 2 2] targets of shape [10]
	// pixels of the first: [-0.424 2.821 -0.424 2.821]
	// its target: [0 0 0 1 0 0 0 0 0 0]
}
