package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"time"

	"github.com/myelin-go/myelin/internal/jsonfloat"
	"github.com/myelin-go/myelin/nn"
	"github.com/myelin-go/myelin/nn/plot"
)

// gradCheckImages is the number of training images -gradcheck uses.
const gradCheckImages = 2

// gradCheckNoise is the standard deviation of the noise -gradcheck adds to
// the images. MNIST's flat background makes equal values that max-pooling
// must choose between, and at such a tie the loss has no gradient: a
// central difference there measures the jump, not a derivative. Noise far
// below the pixels' spread moves the check off the ties.
const gradCheckNoise = 5e-2

// gradCheckEps is the relative step of -gradcheck's central differences,
// well below gradCheckNoise so that a step rarely crosses a kink.
const gradCheckEps = 1e-3

// gradCheck compares the model's backpropagated gradients with central
// differences on the first training images (plus gradCheckNoise), on
// -gradcheck-elements random elements of every tensor (all when 0), and
// prints the relative difference of every parameter tensor and of the
// input.
func gradCheck(c config, m *nn.Sequential, loss nn.Loss, train nn.Dataset, stdout io.Writer) error {
	n := min(gradCheckImages, train.Len())
	d := train.Slice(0, n)
	rng := rand.New(rand.NewSource(c.seed))
	x := make([]float32, len(d.X))
	for i, v := range d.X {
		x[i] = v + float32(gradCheckNoise*rng.NormFloat64())
	}
	start := time.Now()
	var (
		res []nn.GradCheckResult
		err error
	)
	if c.gradCheckElems > 0 {
		res, err = nn.GradCheckSample(m, loss, x, d.Y, gradCheckEps, c.gradCheckElems, c.seed)
	} else {
		res, err = nn.GradCheck(m, loss, x, d.Y, gradCheckEps)
	}
	if err != nil {
		return err
	}
	if c.json {
		type row struct {
			Name       string          `json:"name"`
			RelDiff    jsonfloat.Float `json:"rel_diff"` // "NaN" where a gradient holds NaN
			MaxAbsDiff jsonfloat.Float `json:"max_abs_diff"`
		}
		rows := make([]row, len(res))
		for i, r := range res {
			rows[i] = row{r.Name, jsonfloat.Float(r.RelDiff), jsonfloat.Float(r.MaxAbsDiff)}
		}
		return json.NewEncoder(stdout).Encode(rows)
	}
	elems := "every element"
	if c.gradCheckElems > 0 {
		elems = fmt.Sprintf("up to %d random elements", c.gradCheckElems)
	}
	fmt.Fprintf(stdout, "gradient check of %s on %d training images (noise σ %g added), %s of each tensor (%s): ‖g − g̃‖/(‖g‖ + ‖g̃‖) per tensor\n", c.model, n, gradCheckNoise, elems, elapsed(start))
	fmt.Fprintf(stdout, "%-12s %12s %14s\n", "tensor", "rel diff", "max abs diff")
	for _, r := range res {
		fmt.Fprintf(stdout, "%-12s %12.3g %14.3g\n", r.Name, r.RelDiff, r.MaxAbsDiff)
	}
	_, err = fmt.Fprintln(stdout, "below 1e-3: a match; up to 1e-2: usual with ReLU and max-pooling kinks; above 1e-1: a wrong gradient")
	return err
}

// findLR runs the learning-rate range test on the training set, prints the
// curve and the suggested rate, and draws it with -plot.
func findLR(c config, tr *nn.Trainer, train nn.Dataset, stdout io.Writer) error {
	start := time.Now()
	curve, err := tr.FindLR(train, nn.LRFinder{})
	if err != nil {
		return err
	}
	// The curve is printed even when -plot fails, and -plot is drawn even
	// when printing fails.
	err = printLRCurve(c, tr, curve, start, stdout)
	if c.plot != "" {
		if perr := plot.LRCurve(c.plot, curve); perr != nil {
			err = errors.Join(err, fmt.Errorf("-plot: %w", perr))
		}
	}
	return err
}

// printLRCurve prints the range test's curve and suggestion, as text or
// JSON.
func printLRCurve(c config, tr *nn.Trainer, curve nn.LRCurve, start time.Time, stdout io.Writer) error {
	if c.json {
		return json.NewEncoder(stdout).Encode(struct {
			LR        []float32         `json:"lr"`
			Loss      []jsonfloat.Float `json:"loss"` // "NaN" or "+Inf" where the loss diverged
			Smoothed  []jsonfloat.Float `json:"smoothed"`
			MinLR     float32           `json:"min_lr"`
			Suggested float32           `json:"suggested"`
		}{curve.LR, jsonfloat.Slice(curve.Loss), jsonfloat.Slice(curve.Smoothed), curve.MinLR, curve.Suggested})
	}
	fmt.Fprintf(stdout, "learning-rate range test of %s with %s, batch %d: %d steps (%s)\n", c.model, tr.Optimizer, c.batch, len(curve.LR), elapsed(start))
	fmt.Fprintf(stdout, "%10s %10s %10s\n", "lr", "loss", "smoothed")
	for i, lr := range curve.LR {
		fmt.Fprintf(stdout, "%10.3g %10.4f %10.4f\n", lr, curve.Loss[i], curve.Smoothed[i])
	}
	_, err := fmt.Fprintf(stdout, "suggested learning rate %.3g (the smoothed loss is lowest at %.3g; a tenth of that); try -lr %.3g\n",
		curve.Suggested, curve.MinLR, curve.Suggested)
	return err
}
