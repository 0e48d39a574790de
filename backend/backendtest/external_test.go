package backendtest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutsideModule builds and runs testdata/grustep, a module of its own
// that uses Myelin as any other project would, and runs one GRU step
// through the public Backend API (views, region copies, broadcasting math,
// no selection-matrix products), checked there against float64.
func TestOutsideModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a separate module")
	}
	gobin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "run", ".")
	cmd.Dir = filepath.Join("testdata", "grustep")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run in %s: %v\n%s", cmd.Dir, err, out)
	}
	if !strings.HasPrefix(string(out), "ok: ") {
		t.Fatalf("grustep printed %q, want a line starting with \"ok: \"", out)
	}
	t.Log(strings.TrimSpace(string(out)))
}
