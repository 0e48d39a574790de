package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/data/mnist"
)

// writeIDX writes a synthetic MNIST-like pair into dir under the standard
// names: each 28×28 image is noise plus a bright 4×4 square whose position
// encodes the label, so a small network can learn it in one epoch.
func writeIDX(t *testing.T, dir, prefix string, n int, rng *rand.Rand) {
	t.Helper()
	img := make([]byte, 16, 16+n*784)
	binary.BigEndian.PutUint32(img[0:], 0x803)
	binary.BigEndian.PutUint32(img[4:], uint32(n))
	binary.BigEndian.PutUint32(img[8:], 28)
	binary.BigEndian.PutUint32(img[12:], 28)
	lab := make([]byte, 8, 8+n)
	binary.BigEndian.PutUint32(lab[0:], 0x801)
	binary.BigEndian.PutUint32(lab[4:], uint32(n))
	for i := 0; i < n; i++ {
		label := rng.Intn(10)
		pix := make([]byte, 784)
		for j := range pix {
			pix[j] = byte(rng.Intn(60))
		}
		r0, c0 := 4+(label/5)*12, 2+(label%5)*5
		for r := r0; r < r0+4; r++ {
			for c := c0; c < c0+4; c++ {
				pix[r*28+c] = 255
			}
		}
		img = append(img, pix...)
		lab = append(lab, byte(label))
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+"-images-idx3-ubyte"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte"), lab, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTrainJSON(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(3))
	writeIDX(t, dir, "train", 600, rng)
	writeIDX(t, dir, "t10k", 200, rng)
	var stdout, stderr bytes.Buffer
	args := []string{"-data", dir, "-download=false", "-backend", "cpu", "-model", "mlp",
		"-epochs", "2", "-batch", "32", "-limit", "500", "-shift", "0", "-json"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %d:\n%s", len(lines), stdout.String())
	}
	for i, line := range lines {
		var rec map[string]float64
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		for _, k := range []string{"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds", "images_per_sec"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i, k, line)
			}
		}
		if rec["epoch"] != float64(i+1) {
			t.Errorf("line %d: epoch %v", i, rec["epoch"])
		}
		if rec["seconds"] <= 0 || rec["images_per_sec"] <= 0 {
			t.Errorf("line %d: non-positive timing %s", i, line)
		}
	}
	var last epochRecord
	json.Unmarshal([]byte(lines[1]), &last)
	if last.TestAcc == nil || *last.TestAcc < 0.9 {
		t.Errorf("test accuracy %v after 2 epochs on a learnable synthetic set; want ≥ 0.9", lines[1])
	}
}

func TestMissingDataNamesScript(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-data", t.TempDir(), "-download=false"}, &stdout, &stderr)
	if err == nil {
		t.Fatal("run without data succeeded")
	}
	for _, want := range []string{"scripts/get-mnist.sh", "-data"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-epochs", "0"}, {"-batch", "-1"}, {"-limit", "-5"}, {"-lr", "-1"},
		{"-lr-decay", "0"}, {"-shift", "-1"}, {"-momentum", "1"}, {"-model", "resnet50"}, {"-optimizer", "lbfgs"}, {"extra"},
		{"-epochs", "0"}, {"-patience", "-1"}, {"-val", "1"}, {"-val", "0"}, {"-min-delta", "-0.1"},
		{"-schedule", "linear"}, {"-schedule", "step:0"}, {"-schedule", "step:x"}, {"-plot", "curves.pdf"},
		{"-find-lr", "-gradcheck"}, {"-resume", "a", "-load", "b"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append(args, "-data", t.TempDir(), "-download=false"), &stdout, &stderr)
		if err == nil || strings.Contains(err.Error(), "get-mnist") {
			t.Errorf("args %q: want a flag error, got %v", args, err)
		}
	}
}

// TestLeNetOnMNIST trains LeNet for two epochs on the first 6000 real
// training images and checks the accuracy on the full test set. It needs
// the data (scripts/get-mnist.sh) and skips without it, or with -short.
func TestLeNetOnMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping MNIST training in -short mode")
	}
	dir := filepath.Join("..", "..", "data", "mnist")
	if _, _, err := mnist.Load(dir); err != nil {
		t.Skipf("MNIST not available in %s (run scripts/get-mnist.sh): %v", dir, err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"-data", dir, "-download=false", "-backend", "cpu", "-model", "lenet",
		"-epochs", "2", "-limit", "6000", "-json"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var rec epochRecord
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if rec.TestAcc == nil {
		t.Fatalf("no test accuracy in %q", lines[len(lines)-1])
	}
	t.Logf("LeNet, 6000 images, 2 epochs: test accuracy %.4f, %.0f img/s", *rec.TestAcc, rec.ImagesPerSec)
	// Measured 0.9617 with the default settings (seed 1); the bound leaves room for other seeds
	// and backends' rounding while still failing for a network that does not learn.
	if *rec.TestAcc < 0.95 {
		t.Errorf("test accuracy %.4f, want ≥ 0.95", *rec.TestAcc)
	}
}

// TestBanner checks the start-up lines: the threads the CPU backend uses
// and not cpuid's count of logical cores, and, in a build without a GPU
// backend, no word on stderr about the cuda backend unless -v asks.
func TestBanner(t *testing.T) {
	dir := synthetic(t)
	stdout, _, err := runCtx(t, context.Background(), dir, "-epochs", "1")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("backend cpu: %d threads (GOMAXPROCS), ", runtime.GOMAXPROCS(0)); !strings.Contains(stdout, want) || strings.Contains(stdout, "logical cores") {
		t.Errorf("banner %q, want %q and no count of logical cores", stdout, want)
	}
	if slices.Contains(backend.Names(), "cuda") {
		t.Skip("this build has the cuda backend: auto selection reports why it skips it")
	}
	if _, stderr, err := runCtx(t, context.Background(), dir, "-epochs", "1", "-backend", "auto"); err != nil || strings.Contains(stderr, "cuda") {
		t.Errorf("-backend auto: %v, stderr %q; want nothing about cuda", err, stderr)
	}
	if _, stderr, err := runCtx(t, context.Background(), dir, "-epochs", "1", "-backend", "auto", "-v"); err != nil || !strings.Contains(stderr, "backend auto: skipped cuda") {
		t.Errorf("-backend auto -v: %v, stderr %q; want the reason cuda was skipped", err, stderr)
	}
}

// TestOtherDataSetNote checks that IDX files under MNIST's names that are
// not MNIST's (the synthetic set here, Fashion-MNIST in use) are read, with
// a one-line note on stderr.
func TestOtherDataSetNote(t *testing.T) {
	dir := synthetic(t)
	_, stderr, err := runCtx(t, context.Background(), dir, "-epochs", "1", "-json")
	if err != nil {
		t.Fatal(err)
	}
	if want := "mnist: " + dir + ": not the published MNIST files; reading them as an IDX data set\n"; strings.Count(stderr, want) != 1 {
		t.Errorf("stderr %q, want the note %q once", stderr, want)
	}
}

// TestResNetSaveLoad trains -model resnet for an epoch on the synthetic
// set with -save, and checks that -load of the file with -epochs 0
// evaluates to the same test loss and accuracy.
func TestResNetSaveLoad(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(4))
	writeIDX(t, dir, "train", 300, rng)
	writeIDX(t, dir, "t10k", 100, rng)
	weights := filepath.Join(dir, "resnet.safetensors")
	var stdout, stderr bytes.Buffer
	args := []string{"-data", dir, "-download=false", "-backend", "cpu", "-model", "resnet",
		"-epochs", "1", "-batch", "32", "-shift", "0", "-json", "-save", weights}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, stderr.String())
	}
	var trained epochRecord
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &trained); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	stdout.Reset()
	args = []string{"-data", dir, "-download=false", "-backend", "cpu", "-model", "resnet", "-epochs", "0", "-batch", "32", "-json", "-load", weights}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run -load: %v\nstderr: %s", err, stderr.String())
	}
	var loaded struct {
		TestLoss float64 `json:"test_loss"`
		TestAcc  float64 `json:"test_acc"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &loaded); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if trained.TestAcc == nil || loaded.TestAcc != *trained.TestAcc || loaded.TestLoss != float64(*trained.TestLoss) {
		t.Errorf("-load evaluates to loss %v, accuracy %v; the trained model had %v, %v", loaded.TestLoss, loaded.TestAcc, *trained.TestLoss, *trained.TestAcc)
	}
}
