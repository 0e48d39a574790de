package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestWriteRemovesStaleTemps leaves the temporary files a killed write
// leaves, of the target and of other files, and checks that the next write
// of the target removes its own and nothing else.
func TestWriteRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	keep := []string{
		"w.safetensors.tmp123",     // no leading dot: not ours
		".w.safetensors.tmpx1",     // not digits
		".w.safetensors.tmp",       // no digits
		".other.safetensors.tmp42", // another target's
		".w.tmp7",                  // another target's ("w")
	}
	stale := []string{".w.safetensors.tmp1", ".w.safetensors.tmp3141592653"}
	for _, name := range append(append([]string{}, keep...), stale...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(path, writeBytes([]byte("new"))); err != nil {
		t.Fatal(err)
	}
	got := dirNames(t, dir)
	want := append([]string{"w.safetensors"}, keep...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the write the directory holds %q, want %q (the stale %q removed)", got, want, stale)
	}
}

// TestWriteToDirectory checks that a directory as the target, empty or
// not, is refused with an error that says so, and that nothing is written.
func TestWriteToDirectory(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, writeBytes([]byte("x")))
	if !errors.Is(err, ErrIsDir) || !strings.Contains(err.Error(), dir+": it is a directory") {
		t.Errorf("Write(%s): %v, want an error saying that it is a directory", dir, err)
	}
	if names := dirNames(t, filepath.Dir(dir)); len(names) != 1 {
		t.Errorf("parent of the target holds %v, want only the target", names)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "out.bin")); err != nil {
		t.Errorf("a new file in an existing directory: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("CheckWritable left %d files behind", len(left))
	}
	for _, tc := range []struct{ path, want string }{
		{dir, "is a directory; name a file in it"},
		{filepath.Join(dir, "missing", "out.bin"), "does not exist; create it first"},
	} {
		if err := CheckWritable(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckWritable(%s) = %v, want an error containing %q", tc.path, err, tc.want)
		}
	}
}
