package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"maps"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn/safetensors"
)

// synthetic writes the synthetic MNIST of writeIDX (600 training and 200
// test images) into a new directory and returns it.
func synthetic(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(3))
	writeIDX(t, dir, "train", 600, rng)
	writeIDX(t, dir, "t10k", 200, rng)
	return dir
}

// runCtx runs mnist with ctx on the data in dir (logreg, CPU, 300
// training images, no download) and the extra args; it returns stdout and
// stderr and the error.
func runCtx(t *testing.T, ctx context.Context, dir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	base := []string{"-data", dir, "-download=false", "-backend", "cpu", "-model", "logreg", "-limit", "300", "-batch", "32"}
	err = run(ctx, append(base, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

// runJSON runs mnist with -json and returns its objects, failing the test
// on an error.
func runJSON(t *testing.T, dir string, args ...string) []map[string]any {
	t.Helper()
	stdout, stderr, err := runCtx(t, context.Background(), dir, append(args, "-json")...)
	if err != nil {
		t.Fatalf("%q: %v\nstderr: %s", args, err, stderr)
	}
	var recs []map[string]any
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%q: output %q: %v", args, stdout, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// losses returns the loss and accuracy values of epoch records, leaving
// out the timings, which differ between runs.
func losses(recs []map[string]any) [][4]any {
	var v [][4]any
	for _, r := range recs {
		v = append(v, [4]any{r["train_loss"], r["train_acc"], r["test_loss"], r["test_acc"]})
	}
	return v
}

func TestOptimizersAndSchedules(t *testing.T) {
	dir := synthetic(t)
	for _, args := range [][]string{
		{"-optimizer", "sgd", "-schedule", "const"}, {"-optimizer", "momentum", "-schedule", "step:1", "-lr-decay", "0.7"},
		{"-optimizer", "nesterov", "-schedule", "cosine"}, {"-optimizer", "rmsprop"}, {"-optimizer", "adam", "-lr", "0.01"},
		{"-optimizer", "adamw", "-lr", "0.01"}, {"-optimizer", "adadelta", "-schedule", "step:1", "-lr-decay", "0.7"},
	} {
		recs := runJSON(t, dir, append(args, "-epochs", "2")...)
		last := recs[len(recs)-1]
		if acc, _ := last["test_acc"].(float64); len(recs) != 2 || acc < 0.8 {
			t.Errorf("%q: %d epochs, last %v; want 2 and test accuracy ≥ 0.8 on the synthetic set", args, len(recs), last)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	dir := synthetic(t)
	weights := filepath.Join(t.TempDir(), "w.safetensors")
	trained := runJSON(t, dir, "-epochs", "1", "-save", weights)
	loaded := runJSON(t, dir, "-epochs", "0", "-load", weights)
	if len(loaded) != 1 || loaded[0]["test_loss"] != trained[0]["test_loss"] || loaded[0]["test_acc"] != trained[0]["test_acc"] {
		t.Errorf("evaluation of the saved weights %v, want the test results of the run that saved them %v", loaded, trained)
	}
	stdout, _, err := runCtx(t, context.Background(), dir, "-epochs", "0", "-load", weights)
	if err != nil || !strings.Contains(stdout, "on 200 test images: loss") {
		t.Errorf("text evaluation: %q, %v", stdout, err)
	}
	_, _, err = runCtx(t, context.Background(), dir, "-model", "mlp", "-epochs", "0", "-load", weights)
	if err == nil || !strings.Contains(err.Error(), "-load") {
		t.Errorf("loading logreg weights into mlp: %v, want a -load error", err)
	}
}

// TestCheckpointResume checks that 1 epoch, a checkpoint and -resume for a
// second give what 2 epochs in one run give, with augmentation on.
func TestCheckpointResume(t *testing.T) {
	dir := synthetic(t)
	ck := filepath.Join(t.TempDir(), "ck.safetensors")
	whole := runJSON(t, dir, "-epochs", "2", "-shift", "1")
	first := runJSON(t, dir, "-epochs", "1", "-shift", "1", "-checkpoint", ck)
	second := runJSON(t, dir, "-epochs", "2", "-shift", "1", "-resume", ck)
	if got, want := losses(append(first, second...)), losses(whole); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("1 + 1 epochs through a checkpoint gave %v, 2 epochs %v", got, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-epochs", "1", "-shift", "1", "-resume", ck}, "nothing left to train"},
		{[]string{"-epochs", "3", "-shift", "0", "-resume", ck}, "-shift: 1 in the checkpoint, 0 given"},
		{[]string{"-epochs", "3", "-shift", "1", "-seed", "2", "-resume", ck}, "-seed: 1 in the checkpoint, 2 given"},
		{[]string{"-epochs", "3", "-resume", filepath.Join(dir, "missing")}, "missing"},
	} {
		if _, _, err := runCtx(t, context.Background(), dir, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// cancelAfter is a context that reports itself cancelled from its n+1-th
// Err call on: FitContext asks once per batch, so it stops after n batches.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n == 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// TestInterrupt stops a run in the middle of its first epoch as Ctrl-C
// does, checks the checkpoint it saves at the default path, and resumes
// from it to the result of an uninterrupted run.
func TestInterrupt(t *testing.T) {
	dir := synthetic(t)
	whole := runJSON(t, dir, "-epochs", "2")
	t.Chdir(t.TempDir())
	_, stderr, err := runCtx(t, &cancelAfter{Context: context.Background(), n: 4}, dir, "-epochs", "2", "-json")
	if !errors.Is(err, errInterrupted) {
		t.Fatalf("interrupted run: %v, want errInterrupted", err)
	}
	if want := "interrupted after 0 epochs and 4 batches; checkpoint saved to " + interruptedPath; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	resumed := runJSON(t, dir, "-epochs", "2", "-resume", interruptedPath)
	if got, want := losses(resumed), losses(whole); len(got) != 2 || got[1] != want[1] {
		t.Errorf("resumed after 4 batches: %v, uninterrupted %v", got, want)
	}
}

func TestEarlyStoppingFlags(t *testing.T) {
	dir := synthetic(t)
	plot := filepath.Join(t.TempDir(), "curves.svg")
	recs := runJSON(t, dir, "-epochs", "6", "-patience", "1", "-min-delta", "0.5", "-plot", plot)
	// With a min-delta of 0.5 no epoch after the first improves enough: stop after epoch 2.
	if len(recs) != 3 {
		t.Fatalf("%d JSON objects, want 2 epochs and the result: %v", len(recs), recs)
	}
	for _, r := range recs[:2] {
		if _, ok := r["val_loss"]; !ok || r["test_loss"] != nil {
			t.Errorf("epoch record %v, want val_loss and no test_loss", r)
		}
	}
	if r := recs[2]; r["best_epoch"] != 1.0 || r["stopped_epoch"] != 2.0 || r["test_acc"] == nil {
		t.Errorf("result %v, want best epoch 1, stopped after 2, a test accuracy", r)
	}
	if data, err := os.ReadFile(plot); err != nil || !bytes.Contains(data, []byte("<svg")) || !bytes.Contains(data, []byte("validation")) {
		t.Errorf("-plot %s: %v, want an SVG with a validation curve", plot, err)
	}
	stdout, _, err := runCtx(t, context.Background(), dir, "-epochs", "6", "-patience", "1", "-min-delta", "0.5")
	if err != nil || !strings.Contains(stdout, "240 training and 60 validation images") || !strings.Contains(stdout, "stopped after epoch 2") || !strings.Contains(stdout, "best epoch 1") {
		t.Errorf("text output %q (%v), want the 4:1 split of 300 images and the stop", stdout, err)
	}
}

func TestFindLRFlag(t *testing.T) {
	dir := synthetic(t)
	plot := filepath.Join(t.TempDir(), "lr.png")
	stdout, _, err := runCtx(t, context.Background(), dir, "-find-lr", "-plot", plot)
	if err != nil || !strings.Contains(stdout, "suggested learning rate") {
		t.Fatalf("-find-lr: %v\n%s", err, stdout)
	}
	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("-plot %s: %v", plot, err)
	}
	recs := runJSON(t, dir, "-find-lr")
	sugg, _ := recs[0]["suggested"].(float64)
	lrs, _ := recs[0]["lr"].([]any)
	if len(recs) != 1 || !(sugg > 1e-5 && sugg < 10) || len(lrs) < 10 {
		t.Errorf("-find-lr -json: %d objects, suggestion %v, %d rates", len(recs), sugg, len(lrs))
	}
}

func TestGradCheckFlag(t *testing.T) {
	dir := synthetic(t)
	stdout, _, err := runCtx(t, context.Background(), dir, "-gradcheck", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Name    string  `json:"name"`
		RelDiff float64 `json:"rel_diff"`
	}
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	// logreg: Flatten (layer 0), Dense (layer 1), then the input; softmax
	// cross-entropy of a linear model is smooth, so the match is close.
	if len(rows) != 3 || rows[0].Name != "1.weight" || rows[1].Name != "1.bias" || rows[2].Name != "input" {
		t.Fatalf("rows %+v, want 1.weight, 1.bias, input", rows)
	}
	for _, r := range rows {
		if !(r.RelDiff < 1e-2) || math.IsNaN(r.RelDiff) {
			t.Errorf("%s: relative difference %g, want below 1e-2", r.Name, r.RelDiff)
		}
	}
	text, _, err := runCtx(t, context.Background(), dir, "-gradcheck", "-gradcheck-elements", "0")
	if err != nil || !strings.Contains(text, "1.weight") || !strings.Contains(text, "every element") {
		t.Errorf("-gradcheck -gradcheck-elements 0 text: %v\n%s", err, text)
	}
	// The CNN, on a sample of every tensor: max-pooling kinks allow up to 1e-1.
	stdout, _, err = runCtx(t, context.Background(), dir, "-gradcheck", "-json", "-model", "cnn", "-gradcheck-elements", "16")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	if len(rows) != 9 {
		t.Fatalf("cnn: rows %+v, want 8 parameter tensors and the input", rows)
	}
	for _, r := range rows {
		if !(r.RelDiff < 1e-1) {
			t.Errorf("cnn %s: relative difference %g, want below 1e-1", r.Name, r.RelDiff)
		}
	}
}

// TestResumeComparesFlags resumes a checkpoint with each flag of runFlags
// changed and checks the refusal names the flag and both values; flags
// without effect may change, and the banner shows the rate training uses.
func TestResumeComparesFlags(t *testing.T) {
	dir := synthetic(t)
	ck := filepath.Join(t.TempDir(), "ck.safetensors")
	runJSON(t, dir, "-epochs", "1", "-checkpoint", ck)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-lr", "0.01"}, "-lr: 0.001 in the checkpoint, 0.01 given"},
		{[]string{"-optimizer", "nesterov"}, "-optimizer: adam in the checkpoint, nesterov given"},
		{[]string{"-optimizer", "momentum"}, "-momentum: (no effect) in the checkpoint, 0.9 given"},
		{[]string{"-schedule", "const"}, "-schedule: exp in the checkpoint, const given"},
		{[]string{"-schedule", "cosine"}, "-lr-decay: 0.5 in the checkpoint, (no effect) given"},
		{[]string{"-lr-decay", "0.7"}, "-lr-decay: 0.5 in the checkpoint, 0.7 given"},
		{[]string{"-model", "mlp"}, "-model: logreg in the checkpoint, mlp given"},
		{[]string{"-batch", "16"}, "-batch: 32 in the checkpoint, 16 given"},
		{[]string{"-limit", "200"}, "-limit: 300 in the checkpoint, 200 given"},
		{[]string{"-patience", "1"}, "-val: (no effect) in the checkpoint, 0.2 given"},
		{[]string{"-beta1", "0.7"}, "-beta1: 0.9 in the checkpoint, 0.7 given"},
		{[]string{"-optimizer", "sgd"}, "-beta2: 0.999 in the checkpoint, (no effect) given"},
		{[]string{"-label-smoothing", "0.1"}, "-label-smoothing: 0 in the checkpoint, 0.1 given"},
		{[]string{"-schedule", "onecycle"}, "-epochs: (no effect) in the checkpoint, 3 given"},
	} {
		args := append([]string{"-epochs", "3", "-resume", ck}, tc.args...)
		if _, _, err := runCtx(t, context.Background(), dir, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error containing %q", args, err, tc.want)
		}
	}
	// -lr 0.001 is adam's default, which the checkpoint's run used; -momentum
	// has no effect on adam. The second epoch runs at 0.001 × 0.5.
	stdout, _, err := runCtx(t, context.Background(), dir, "-epochs", "2", "-resume", ck, "-lr", "0.001", "-momentum", "0.5")
	if err != nil || !strings.Contains(stdout, "Adam(lr 0.0005,") || !strings.Contains(stdout, "epoch 2/2") {
		t.Errorf("resumed with equivalent flags: %v, banner %q; want epoch 2 at the scheduled rate 0.0005", err, stdout)
	}
	// With -schedule const, the rate of the flags.
	ckConst := filepath.Join(t.TempDir(), "const.safetensors")
	runJSON(t, dir, "-epochs", "1", "-schedule", "const", "-lr", "0.01", "-checkpoint", ckConst)
	stdout, _, err = runCtx(t, context.Background(), dir, "-epochs", "2", "-schedule", "const", "-lr", "0.01", "-resume", ckConst)
	if err != nil || !strings.Contains(stdout, "Adam(lr 0.01,") {
		t.Errorf("resumed with -schedule const -lr 0.01: %v, banner %q; want lr 0.01", err, stdout)
	}
}

// TestResumeBadMetadata resumes from checkpoints whose metadata no run can
// have written and checks the error names what is wrong.
func TestResumeBadMetadata(t *testing.T) {
	dir := synthetic(t)
	tmp := t.TempDir()
	ck := filepath.Join(tmp, "ck.safetensors")
	runJSON(t, dir, "-epochs", "1", "-checkpoint", ck)
	tensors, meta, err := safetensors.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, value, want string }{
		{"myelin.lr", "NaN", `myelin.lr "NaN" is not a learning rate`},
		{"myelin.lr", "-0.5", `myelin.lr "-0.5" is not a learning rate`},
		{"myelin.epoch", "-1", `myelin.epoch "-1" is not an epoch count`},
		{"myelin.epoch", "2", "at the end of epoch 2, but its history holds 1 epochs"},
		{"myelin.seed", "7", "seed 7 differs from its recorded -seed 1"},
	} {
		bad := maps.Clone(meta)
		bad[tc.key] = tc.value
		path := filepath.Join(tmp, "bad.safetensors")
		if err := safetensors.WriteFile(path, tensors, bad); err != nil {
			t.Fatal(err)
		}
		if _, _, err := runCtx(t, context.Background(), dir, "-epochs", "3", "-resume", path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want an error containing %q", tc.key, tc.value, err, tc.want)
		}
	}
}

// TestResNetDefaults checks that -model resnet takes its own defaults
// (models.DefaultsFor) for the flags left out, and the flags given
// otherwise.
func TestResNetDefaults(t *testing.T) {
	d := models.DefaultsFor("resnet")
	c, err := parseFlags([]string{"-model", "resnet"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.epochs != d.Epochs || c.lr != d.LR || c.lrDecay != d.LRDecay || c.shift != 2 {
		t.Errorf("-model resnet: epochs %d, lr %g, lr-decay %g, shift %d; want %d, %g, %g, 2", c.epochs, c.lr, c.lrDecay, c.shift, d.Epochs, d.LR, d.LRDecay)
	}
	c, err = parseFlags([]string{"-model", "resnet", "-epochs", "2", "-lr", "0.01", "-lr-decay", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.epochs != 2 || c.lr != 0.01 || c.lrDecay != 1 {
		t.Errorf("-model resnet with flags: epochs %d, lr %g, lr-decay %g; want the flags' 2, 0.01, 1", c.epochs, c.lr, c.lrDecay)
	}
	c, err = parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.epochs != 4 || c.lr != 0 || c.lrDecay != 0.5 {
		t.Errorf("cnn: epochs %d, lr %g, lr-decay %g; want the general defaults 4, 0, 0.5", c.epochs, c.lr, c.lrDecay)
	}
}

// TestDivergedRunReports trains with a learning rate that makes the loss
// NaN: -json still prints every epoch (the losses as the string "NaN",
// which JSON can hold), and with -patience the checkpoint, whose
// early-stopping record holds the NaN best loss, is written and resumes.
func TestDivergedRunReports(t *testing.T) {
	dir := synthetic(t)
	ck := filepath.Join(t.TempDir(), "ck.safetensors")
	args := []string{"-model", "mlp", "-optimizer", "sgd", "-momentum", "0", "-lr", "1e30", "-patience", "3"}
	first := runJSON(t, dir, append(args, "-epochs", "1", "-checkpoint", ck)...)
	second := runJSON(t, dir, append(args, "-epochs", "2", "-resume", ck)...)
	recs := append(first, second...)
	if len(recs) != 4 {
		t.Fatalf("got %d records, want an epoch and a result per run: %v", len(recs), recs)
	}
	for i, r := range recs {
		if i%2 == 0 && (r["epoch"] != float64(i/2+1) || r["train_loss"] != "NaN" || r["val_loss"] != "NaN") {
			t.Errorf("record %v: want epoch %d, train_loss and val_loss \"NaN\"", r, i/2+1)
		}
		if i%2 == 1 && (r["best_epoch"] != float64(1) || r["test_loss"] != "NaN") {
			t.Errorf("record %v: want best_epoch 1, test_loss \"NaN\"", r)
		}
	}
}
