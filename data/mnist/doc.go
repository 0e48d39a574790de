// Package mnist reads the MNIST handwritten-digit data set from its IDX
// files and downloads those files when they are missing.
//
// The data set is four files: 60000 training and 10000 test images of 28×28
// grey pixels (0 background to 255 ink), and their labels 0 to 9. Each file
// may lie in a directory raw, under its original name (StandardFiles), or
// gzip-compressed with ".gz" appended; the format is told by content, never
// by name. A file that carries a standard name and the standard length is
// checked against the published SHA-256, so a damaged download is caught
// rather than trained on.
//
// Typical use:
//
//	train, test, err := mnist.Load("data/mnist")
//	if errors.Is(err, mnist.ErrNotFound) {
//		// offer scripts/get-mnist.sh or mnist.Download
//	}
//	x := train.Float32(mnist.Mean, mnist.Std) // N·28·28 values, image-major
//	y := train.Ints()
package mnist
