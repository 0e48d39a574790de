package main

import (
	"io"
	"testing"
)

// TestModelDefaults checks that a model's own defaults fill the flags left
// out, and only those.
func TestModelDefaults(t *testing.T) {
	c, err := parseFlags([]string{"-model", "gru"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.epochs != 6 || c.lr != 2e-3 || c.lrDecay != 0.7 || c.shift != 0 {
		t.Errorf("-model gru: epochs %d, lr %g, lr-decay %g, shift %d; want 6, 0.002, 0.7, 0", c.epochs, c.lr, c.lrDecay, c.shift)
	}
	c, err = parseFlags([]string{"-model", "lstm", "-epochs", "2", "-shift", "1", "-lr", "0.01", "-lr-decay", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.epochs != 2 || c.lr != 0.01 || c.lrDecay != 1 || c.shift != 1 {
		t.Errorf("-model lstm with flags: epochs %d, lr %g, lr-decay %g, shift %d; want the flags' 2, 0.01, 1, 1", c.epochs, c.lr, c.lrDecay, c.shift)
	}
	c, err = parseFlags([]string{"-model", "gru", "-optimizer", "sgd"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.lr != 0 {
		t.Errorf("-model gru -optimizer sgd: lr %g, want 0 (SGD's own default)", c.lr)
	}
	c, err = parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.epochs != 4 || c.shift != 2 || c.lr != 0 {
		t.Errorf("cnn: epochs %d, shift %d, lr %g; want the general defaults 4, 2, 0", c.epochs, c.shift, c.lr)
	}
}
