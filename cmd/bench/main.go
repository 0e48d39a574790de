// Command bench measures Myelin's backends in three parts:
//
//   - ops: every Backend op that a training step of the MNIST CNN runs, at
//     that network's shapes, for each batch size;
//   - matmul: square matrix products and the GEMMs of the lenet model
//     at batch 64 (forward and backward, through Backend.MatMul), and on
//     the cpu backend gonum's Sgemm on each with the ratio of the two;
//   - train: end-to-end training throughput (images/s) of the reference
//     models on random synthetic data, with the GFLOP/s of the step's
//     products (each layer counts its own, nn.MulAdder; see trainFlops) and, on
//     the cpu backend, their share of the machine's FMA peak (-peak).
//
// Each op is called a few times untimed, then in batches of calls long
// enough to last -mintime, -runs times; the median and minimum time per
// call are reported, with GFLOP/s for products and convolutions (2·m·n·k
// flops) or GB/s for memory-bound ops. Every batch ends with Backend.Sync,
// so that asynchronous backends are timed honestly.
//
//	go run ./cmd/bench                          # everything, every backend in the build
//	go run ./cmd/bench -backends cpu -train=false -json > cpu.json
//	go run ./cmd/bench -quick                   # a smoke run of a few seconds
//
// The output is one aligned table per part (Markdown with -markdown), or
// with -json one JSON document with the machine, the backends' devices and
// every result.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/myelin-go/myelin/backend"
	_ "github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/models"
)

func main() {
	os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// errUsage marks a command line that the flag package has already
// reported, with the usage, on stderr.
var errUsage = errors.New("usage")

// exitCode reports err on stderr, prefixed with "bench: ", and returns the
// process's exit status: 0 for success and -h, 2 otherwise.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(stderr, "bench:", err)
	return 2
}

// config holds the parsed command line.
type config struct {
	backends           []string      // backends to measure, in order
	batches, sizes     []int         // batch sizes of ops and train; sizes of square products
	models             []string      // models of the train part
	runs, warmup       int           // timed batches per op; untimed calls before them
	minTime            time.Duration // shortest timed batch of calls
	steps, warmSteps   int           // training batches per timed run; in the warm-up run
	ops, matmul, train bool          // parts to run
	cnn                bool          // time the CNN's GEMM shapes in the matmul part
	json               bool          // print JSON instead of tables
	markdown           bool          // print the tables as Markdown
	cpuProfile         string        // file to write a CPU profile of the run to
	peak               float64       // the CPU's FMA peak in GFLOP/s, for the train part's share of it
}

// quickMinTime is the -mintime of -quick.
const quickMinTime = 2 * time.Millisecond

// parseFlags parses and checks the command line; -quick is applied here.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{warmSteps: 2}
	var backends, batches, sizes, modelList string
	var quick bool
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&backends, "backends", "", "comma-separated backends to measure (default: every one in the build that opens: "+strings.Join(backend.Names(), ",")+")")
	fs.StringVar(&batches, "batch", "64,256", "comma-separated batch sizes of the ops and train parts")
	fs.StringVar(&sizes, "sizes", "128,256,512,1024,2048", "comma-separated sizes n of the n×n matrix products")
	fs.StringVar(&modelList, "models", "cnn,lenet,resnet,fast", "comma-separated models of the train part: "+strings.Join(models.Names(), ", "))
	fs.IntVar(&c.runs, "runs", 5, "timed batches (ops) or training runs (epochs of one Fit, each timed without the data set's upload) per measurement; the median is reported")
	fs.DurationVar(&c.minTime, "mintime", 50*time.Millisecond, "shortest timed batch of calls of an op")
	fs.IntVar(&c.warmup, "warmup", 3, "untimed calls of an op before timing it")
	fs.IntVar(&c.steps, "steps", 20, "training batches per timed training run (after a warm-up run of 2)")
	fs.BoolVar(&c.ops, "ops", true, "time each Backend op at the MNIST CNN's shapes")
	fs.BoolVar(&c.matmul, "matmul", true, "time matrix products: squares of -sizes and, with -cnn, the CNN's GEMMs (beside gonum's Sgemm on the cpu backend)")
	fs.BoolVar(&c.cnn, "cnn", true, "in the matmul part, also time the GEMMs of the lenet model at batch 64, forward and backward")
	fs.BoolVar(&c.train, "train", true, "time end-to-end training")
	fs.BoolVar(&quick, "quick", false, fmt.Sprintf("smoke run: unless set explicitly, -runs 1 -mintime %v -warmup 1 -batch 64 -steps 2, a warm-up run of 1 batch, sizes up to 256", quickMinTime))
	fs.BoolVar(&c.json, "json", false, "print one JSON document instead of tables")
	fs.BoolVar(&c.markdown, "markdown", false, "print the tables as Markdown, as the README shows them")
	fs.Float64Var(&c.peak, "peak", defaultPeak, "the cpu backend's fp32 FMA peak in GFLOP/s, against which training steps are rated "+
		"(default: 2 Zen 5 cores, measured by ../shared/anchors/fmapeak.c avx512 2; 0: no rating)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (read it with go tool pprof)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: bench [flags]\n\nMeasures the backends: ops at the MNIST CNN's shapes, square matrix products, training throughput.\n\nflags:\n")
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
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if quick {
		c.warmSteps = 1
		if !set["runs"] {
			c.runs = 1
		}
		if !set["mintime"] {
			c.minTime = quickMinTime
		}
		if !set["warmup"] {
			c.warmup = 1
		}
		if !set["batch"] {
			batches = "64"
		}
		if !set["steps"] {
			c.steps = 2
		}
	}
	var err error
	if c.batches, err = parseSizes("batch", batches); err != nil {
		return c, err
	}
	if c.sizes, err = parseSizes("sizes", sizes); err != nil {
		return c, err
	}
	if quick && !set["sizes"] {
		c.sizes = slices.DeleteFunc(c.sizes, func(n int) bool { return n > 256 })
	}
	switch {
	case c.runs < 1:
		return c, fmt.Errorf("-runs %d: want at least 1", c.runs)
	case c.minTime <= 0:
		return c, fmt.Errorf("-mintime %v: want a positive duration such as 50ms", c.minTime)
	case c.warmup < 0:
		return c, fmt.Errorf("-warmup %d: want 0 or more", c.warmup)
	case c.steps < 1:
		return c, fmt.Errorf("-steps %d: want at least 1", c.steps)
	case !(c.peak >= 0):
		return c, fmt.Errorf("-peak %g: want a rate in GFLOP/s ≥ 0", c.peak)
	}
	c.models = splitList(modelList)
	for _, m := range c.models {
		if _, err := models.ByName(m); err != nil {
			return c, fmt.Errorf("-models: %w", err)
		}
	}
	c.backends = splitList(backends)
	if len(c.backends) == 0 {
		c.backends = backend.Names()
	}
	return c, nil
}

// products returns the matrix products of the matmul part.
func (c config) products() []product {
	var ps []product
	for _, n := range c.sizes {
		ps = append(ps, square(n))
	}
	if c.cnn {
		ps = append(ps, cnnProducts...)
	}
	return ps
}

// startProfile starts a CPU profile written to path and returns the
// function that stops it and closes the file.
func startProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		return nil
	}, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var items []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			items = append(items, f)
		}
	}
	return items
}

// parseSizes parses the comma-separated positive integers of flag name.
func parseSizes(name, s string) ([]int, error) {
	var ns []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-%s %q: want comma-separated positive integers such as 64,256", name, s)
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("-%s %q: want at least one positive integer", name, s)
	}
	return ns, nil
}

// run parses args, measures every chosen backend and writes the report to
// stdout, logging each result to stderr as it comes. A backend that does not
// open is reported and skipped; it is an error when none opens, or when a
// benchmark of an opened backend fails (the report still shows the results
// measured before the failure).
func run(args []string, stdout, stderr io.Writer) (err error) {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.cpuProfile != "" {
		stop, perr := startProfile(c.cpuProfile)
		if perr != nil {
			return perr
		}
		defer func() {
			if perr := stop(); err == nil {
				err = perr
			}
		}()
	}
	rep := newReport(c)
	opened := 0
	var failures []error
	for _, name := range c.backends {
		b, err := backend.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "bench: skipping %s: %v\n", name, err)
			rep.Backends = append(rep.Backends, backendInfo{Name: name, Error: err.Error()})
			continue
		}
		opened++
		info := backendInfo{Name: name, Device: b.Device()}
		res, err := benchBackend(b, name, c, stderr)
		rep.Results = append(rep.Results, res...)
		if err != nil {
			info.Error = err.Error()
			failures = append(failures, fmt.Errorf("%s: %w", name, err))
		}
		rep.Backends = append(rep.Backends, info)
	}
	if c.json {
		err = writeJSON(stdout, rep)
	} else {
		err = writeText(stdout, rep, c.markdown)
	}
	if err != nil {
		return err
	}
	if opened == 0 {
		return fmt.Errorf("no backend of %v could be opened (see the reasons above)", c.backends)
	}
	return errors.Join(failures...)
}
