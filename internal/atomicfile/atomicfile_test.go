package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

func TestWriteReplacesAndKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := Write(path, writeBytes([]byte("one"))); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("new file: %v, mode %v, want 0644", err, st.Mode())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, writeBytes([]byte("two"))); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "two" {
		t.Errorf("after replacing: %q, %v; want \"two\"", got, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("replaced file has mode %v, want the old 0600", st.Mode())
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only f", names)
	}
}

// TestWriteFailures checks that an error half-way through writing, a
// rename that fails (the target is a non-empty directory) and a missing
// directory leave the old file as it was and no temporary file behind.
func TestWriteFailures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	old := []byte("old contents")
	if err := Write(path, writeBytes(old)); err != nil {
		t.Fatal(err)
	}
	fail := errors.New("disk full")
	err := Write(path, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte{1}, 3<<20))
		return fail
	})
	if err != fail {
		t.Errorf("failing write: error %v, want %v itself", err, fail)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, old) {
		t.Errorf("old file changed by a failed write: %q, %v", got, err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(sub, writeBytes(old)); err == nil {
		t.Error("rename over a directory: no error")
	}
	if names := dirNames(t, dir); len(names) != 2 {
		t.Errorf("directory holds %v, want f and sub", names)
	}
	if err := Write(filepath.Join(dir, "missing", "f"), writeBytes(old)); err == nil {
		t.Error("missing directory: no error")
	}
}
