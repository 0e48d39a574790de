package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// dirNames returns the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	first := map[string]Tensor{"a": FromFloat32([]int{2}, []float32{1, 2})}
	if err := WriteFile(path, first, nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", st.Mode().Perm())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	second := map[string]Tensor{"b": FromInt64([]int{1}, []int64{3})}
	if err := WriteFile(path, second, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["b"]; !ok || len(got) != 1 || meta["k"] != "v" {
		t.Errorf("after overwriting: tensors %v, metadata %v", got, meta)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("overwritten file mode %v (%v), want 0600 kept", st.Mode().Perm(), err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only the file", names)
	}
}

func TestWriteFileFailures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	if err := WriteFile(path, map[string]Tensor{"a": FromFloat32([]int{1}, []float32{1})}, nil); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// An invalid tensor and a rename that fails (the target is a non-empty
	// directory) leave the old file as it was and no temporary file behind
	// (internal/atomicfile tests a write failing half-way).
	if err := WriteFile(path, map[string]Tensor{"a": {DType: "F32", Shape: []int{2}}}, nil); err == nil {
		t.Error("invalid tensor: no error")
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, old) {
		t.Errorf("old file changed by failed writes (%v)", err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only the old file", names)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(sub, map[string]Tensor{}, nil); err == nil {
		t.Error("rename over a directory: no error")
	}
	if names := dirNames(t, dir); len(names) != 2 {
		t.Errorf("directory holds %v, want the old file and sub", names)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "w.safetensors"), map[string]Tensor{}, nil); err == nil {
		t.Error("missing directory: no error")
	}
}
