// Package atomicfile replaces files so that readers, and a crash, see
// either the old contents or the complete new ones, never part of them.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrIsDir is returned (wrapped) by Write when path names a directory.
var ErrIsDir = errors.New("is a directory")

// Write replaces the file at path with what write writes: it writes a
// temporary file ".NAME.tmpNNN" in the same directory (through a buffer),
// flushes it to stable storage, renames it over path and syncs the
// directory. A new file gets mode 0644; an existing one keeps its mode.
// When write or any step fails, the temporary file is removed and path is
// left as it was; an error from write is returned as it is. When path is a
// directory, Write returns an error wrapping ErrIsDir before writing
// anything.
//
// A process killed during a write leaves its temporary file behind; after
// a successful rename Write removes every such ".NAME.tmpNNN" file of the
// same target (and no other file). Two processes writing the same path at
// once are not supported: one's clean-up may remove the other's temporary
// file, and that write then fails.
func Write(path string, write func(w io.Writer) error) (err error) {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fmt.Errorf("cannot write %s: it %w; name a file in it instead", path, ErrIsDir)
		}
		mode = st.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	for _, step := range []func() error{bw.Flush, func() error { return f.Chmod(mode) }, f.Sync, f.Close} {
		if err := step(); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	removeStale(dir, base)
	return syncDir(dir)
}

// tempPrefix is the start of the name of a temporary file of the target
// base; os.CreateTemp appends decimal digits.
func tempPrefix(base string) string {
	return "." + base + ".tmp"
}

// removeStale removes the regular files in dir named like a temporary file
// of base (tempPrefix(base) and digits): what writes killed before their
// rename left behind. Failures are ignored: the write itself succeeded.
func removeStale(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

// syncDir flushes the directory entry of a renamed file to stable storage.
// Windows cannot sync a directory, and its rename is durable without it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing directory %s after the rename: %w", dir, err)
	}
	return nil
}

// CheckWritable returns nil when Write could put a file at path, so that a
// program can find out before hours of work that its output would fail:
// path is not a directory, and its directory exists and takes a new file
// (which CheckWritable creates and removes). The error says what to do.
func CheckWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("is a directory; name a file in it")
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist; create it first", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".write-check*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot create a file in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
