package main

import (
	"flag"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// started is when the program started, for wall_seconds and the
// time-to-accuracy line.
var started = time.Now()

// evalBatch is the least batch size of evaluation, which keeps no
// activations for a backward pass: large batches cost fewer steps.
const evalBatch = 1000

// recipeConfig holds the flags of the training recipe beyond the basics:
// Adam's betas, label smoothing and -fast.
type recipeConfig struct {
	beta1, beta2, labelSmoothing float64
	fast                         bool
}

// fastRecipe is what -fast sets: the one-epoch speed recipe of
// ../shared/anchors/torch_fast_mnist.py (Adam with lr 0.01 and betas
// (0.7, 0.9), one-cycle schedule stepped every batch, batch 256, one epoch,
// no augmentation; the inputs are standardised and the data shuffled every
// epoch in every recipe). A flag given on the command line wins over it.
var fastRecipe = map[string]string{
	"model":     "fast",
	"optimizer": "adam",
	"lr":        "0.01",
	"beta1":     "0.7",
	"beta2":     "0.9",
	"schedule":  "onecycle",
	"batch":     "256",
	"epochs":    "1",
	"shift":     "0",
}

// fastHelp describes -fast with the flags it sets.
func fastHelp() string {
	names := make([]string, 0, len(fastRecipe))
	for n := range fastRecipe {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = "-" + n + " " + fastRecipe[n]
	}
	return "the one-epoch speed recipe: " + strings.Join(parts, " ") + " (flags given explicitly win)"
}

// addRecipeFlags defines the recipe flags on fs.
func addRecipeFlags(fs *flag.FlagSet, c *recipeConfig) {
	fs.Float64Var(&c.beta1, "beta1", 0.9, "β₁ of adam and adamw: decay of the gradient average")
	fs.Float64Var(&c.beta2, "beta2", 0.999, "β₂ of adam and adamw: decay of the squared-gradient average")
	fs.Float64Var(&c.labelSmoothing, "label-smoothing", 0, "label smoothing ε of the cross-entropy: targets (1−ε)·one-hot + ε/10")
	fs.BoolVar(&c.fast, "fast", false, fastHelp())
}

// applyRecipe sets, after fs has parsed the command line, what -fast
// implies for every flag not given explicitly, and checks the recipe
// flags.
func applyRecipe(fs *flag.FlagSet, c *recipeConfig) error {
	if c.fast {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range fastRecipe {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return fmt.Errorf("-fast: -%s %s: %w", name, v, err)
				}
			}
		}
	}
	switch {
	case !(c.beta1 >= 0 && c.beta1 < 1):
		return fmt.Errorf("-beta1 %g: want a value in [0, 1)", c.beta1)
	case !(c.beta2 >= 0 && c.beta2 < 1):
		return fmt.Errorf("-beta2 %g: want a value in [0, 1)", c.beta2)
	case !(c.labelSmoothing >= 0 && c.labelSmoothing <= 1):
		return fmt.Errorf("-label-smoothing %g: want a value in [0, 1]", c.labelSmoothing)
	}
	return nil
}

// adamParams returns Adam's hyper-parameters at rate lr with -beta1 and
// -beta2.
func adamParams(c config, lr float32) backend.Adam {
	h := nn.DefaultAdam(lr)
	h.Beta1, h.Beta2 = float32(c.beta1), float32(c.beta2)
	return h
}

// packParams packs the model's parameters into one tensor
// (nn.Sequential.PackParams) when the backend has views, so that the
// optimizer updates them all in one call.
func packParams(m *nn.Sequential) error {
	if _, ok := m.Backend().(backend.Viewer); !ok {
		return nil
	}
	return m.PackParams()
}

// newLoss returns the softmax cross-entropy, smoothed by -label-smoothing.
func newLoss(b backend.Backend, c config) nn.Loss {
	if c.labelSmoothing != 0 {
		return nn.NewLabelSmoothingCrossEntropy(b, float32(c.labelSmoothing))
	}
	return nn.NewSoftmaxCrossEntropy(b)
}

// timeToAccuracy is the last line of the text output: the final test
// accuracy, the epochs, the training time and the time since the program
// started.
func timeToAccuracy(acc float64, epochs int, trainSeconds float64) string {
	unit := "epochs"
	if epochs == 1 {
		unit = "epoch"
	}
	wall := time.Since(started).Seconds()
	if math.IsNaN(acc) {
		return fmt.Sprintf("%d %s: %.1f s of training, %.1f s in all", epochs, unit, trainSeconds, wall)
	}
	return fmt.Sprintf("%.2f%% test accuracy after %d %s: %.1f s of training, %.1f s in all", 100*acc, epochs, unit, trainSeconds, wall)
}
