package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputsCheckedFirst gives -checkpoint, -plot and -save paths that
// cannot be written and checks that the run refuses to start, naming each
// of them, before anything is trained.
func TestOutputsCheckedFirst(t *testing.T) {
	dir := synthetic(t)
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-epochs", "1",
		"-checkpoint", filepath.Join(tmp, "missing", "ck.safetensors"), // no such directory
		"-plot", filepath.Join(file, "curves.svg"), // "directory" is a file
		"-save", tmp, // a directory
	}
	stdout, _, err := runCtx(t, context.Background(), dir, args...)
	if err == nil {
		t.Fatal("run with unwritable outputs succeeded")
	}
	for _, want := range []string{
		"-checkpoint " + filepath.Join(tmp, "missing", "ck.safetensors") + ": directory " + filepath.Join(tmp, "missing") + " does not exist",
		"-plot " + filepath.Join(file, "curves.svg") + ": " + file + " is not a directory",
		"-save " + tmp + ": is a directory",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if stdout != "" {
		t.Errorf("the run trained before refusing its outputs:\n%s", stdout)
	}
	if os.Geteuid() != 0 { // root writes into read-only directories
		ro := filepath.Join(tmp, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		_, _, err := runCtx(t, context.Background(), dir, "-epochs", "1", "-save", filepath.Join(ro, "w.safetensors"))
		if err == nil || !strings.Contains(err.Error(), "cannot create a file in "+ro) {
			t.Errorf("-save into a read-only directory: %v, want an error saying that it cannot create a file there", err)
		}
	}
}

// hookAfter is a context that calls f at its n-th Err call: FitContext
// asks once per batch, so f runs in the middle of training.
type hookAfter struct {
	context.Context
	n int
	f func()
}

func (c *hookAfter) Err() error {
	if c.n--; c.n == 0 {
		c.f()
	}
	return nil
}

// TestOutputFailuresIndependent removes the directories of -checkpoint and
// -plot in the middle of the first epoch (after the check at the start)
// and checks that training still runs every epoch, -save is still written,
// and the run ends with an error naming both failed outputs.
func TestOutputFailuresIndependent(t *testing.T) {
	dir := synthetic(t)
	gone, kept := t.TempDir(), t.TempDir()
	ck, curves, weights := filepath.Join(gone, "ck.safetensors"), filepath.Join(gone, "curves.svg"), filepath.Join(kept, "w.safetensors")
	ctx := &hookAfter{Context: context.Background(), n: 3, f: func() { os.RemoveAll(gone) }}
	stdout, stderr, err := runCtx(t, ctx, dir, "-epochs", "2", "-json", "-checkpoint", ck, "-plot", curves, "-save", weights)
	if err == nil || !strings.Contains(err.Error(), "-checkpoint") || !strings.Contains(err.Error(), "-plot") {
		t.Errorf("error %v, want one naming -checkpoint and -plot", err)
	}
	if n := strings.Count(stdout, `"epoch":`); n != 2 {
		t.Errorf("%d epochs reported, want 2 (a failing checkpoint does not stop training):\n%s", n, stdout)
	}
	if !strings.Contains(stderr, "training goes on") {
		t.Errorf("stderr %q does not report the failed checkpoint as it happens", stderr)
	}
	if _, err := os.Stat(weights); err != nil {
		t.Errorf("-save not written after -checkpoint and -plot failed: %v", err)
	}
}

// TestInterruptPathNote checks that a run without -checkpoint says at the
// start when Ctrl-C could not save its checkpoint in the current directory.
func TestInterruptPathNote(t *testing.T) {
	dir := synthetic(t)
	t.Chdir(t.TempDir())
	if _, stderr, err := runCtx(t, context.Background(), dir, "-epochs", "1"); err != nil || strings.Contains(stderr, "note:") {
		t.Errorf("writable directory: %v, stderr %q; want no note", err, stderr)
	}
	if err := os.Mkdir(interruptedPath, 0o755); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCtx(t, context.Background(), dir, "-epochs", "1")
	if want := "note: Ctrl-C or SIGTERM could not save a checkpoint to " + interruptedPath + " (is a directory"; err != nil || !strings.Contains(stderr, want) {
		t.Errorf("%s is a directory: %v, stderr %q; want %q", interruptedPath, err, stderr, want)
	}
}
