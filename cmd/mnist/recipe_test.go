package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestFastFlags checks that -fast sets the whole recipe and that flags
// given explicitly win over it, in either order.
func TestFastFlags(t *testing.T) {
	c, err := parseFlags([]string{"-fast"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.model != "fast" || c.optimizer != "adam" || c.lr != 0.01 || c.beta1 != 0.7 || c.beta2 != 0.9 ||
		c.schedule != "onecycle" || c.batch != 256 || c.epochs != 1 || c.shift != 0 {
		t.Errorf("-fast: %+v, want the recipe", c)
	}
	for _, args := range [][]string{{"-batch", "128", "-fast", "-beta1", "0.8"}, {"-fast", "-beta1", "0.8", "-batch", "128"}} {
		c, err = parseFlags(args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.batch != 128 || c.beta1 != 0.8 || c.beta2 != 0.9 || c.lr != 0.01 || c.model != "fast" {
			t.Errorf("%q: %+v, want batch 128 and β₁ 0.8 with the rest of the recipe", args, c)
		}
	}
	c, err = parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.model != "cnn" || c.beta1 != 0.9 || c.beta2 != 0.999 || c.labelSmoothing != 0 || c.schedule != "exp" {
		t.Errorf("defaults: %+v", c)
	}
	for _, args := range [][]string{{"-beta1", "1"}, {"-beta2", "-0.1"}, {"-label-smoothing", "1.5"}, {"-fast", "-batch", "0"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestTimeToAccuracy checks the JSON timings and the last line of the text
// output, with the recipe's parts on the synthetic set.
func TestTimeToAccuracy(t *testing.T) {
	dir := synthetic(t)
	recs := runJSON(t, dir, "-epochs", "2", "-schedule", "onecycle", "-beta1", "0.7", "-beta2", "0.9", "-lr", "0.01")
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for i, r := range recs {
		train, _ := r["train_seconds"].(float64)
		wall, _ := r["wall_seconds"].(float64)
		if !(train > 0) || train != r["seconds"] || !(wall > train) {
			t.Errorf("epoch %d: train_seconds %v, wall_seconds %v, seconds %v: want train = seconds > 0, wall above", i+1, r["train_seconds"], r["wall_seconds"], r["seconds"])
		}
	}
	if acc, _ := recs[1]["test_acc"].(float64); acc < 0.8 {
		t.Errorf("test accuracy %v with the one-cycle schedule and Adam β (0.7, 0.9), want ≥ 0.8", acc)
	}
	smoothed := runJSON(t, dir, "-epochs", "1", "-label-smoothing", "0.1")
	plain := runJSON(t, dir, "-epochs", "1")
	if smoothed[0]["train_loss"] == plain[0]["train_loss"] {
		t.Error("-label-smoothing 0.1 gave the training loss of no smoothing")
	}
	stdout, _, err := runCtx(t, context.Background(), dir, "-epochs", "2", "-schedule", "onecycle")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	if !regexp.MustCompile(`^\d+\.\d\d% test accuracy after 2 epochs: \d+\.\d s of training, \d+\.\d s in all$`).MatchString(last) {
		t.Errorf("last line %q, want the time to the final accuracy", last)
	}
	if !strings.Contains(stdout, "one-cycle") {
		t.Errorf("output %q does not name the one-cycle schedule", stdout)
	}
}

// TestOneCycleBanner checks that the banner of a one-cycle run shows the
// rate of its first step, the peak -lr divided by 25.
func TestOneCycleBanner(t *testing.T) {
	dir := synthetic(t)
	stdout, _, err := runCtx(t, context.Background(), dir, "-epochs", "1", "-schedule", "onecycle", "-lr", "0.01")
	if err != nil || !strings.Contains(stdout, "Adam(lr 0.0004,") {
		t.Errorf("-schedule onecycle -lr 0.01: %v, banner %q; want Adam(lr 0.0004, …)", err, stdout)
	}
}
