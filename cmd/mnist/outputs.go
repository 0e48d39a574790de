package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// output is a file that a flag asks the run to write.
type output struct {
	flag, path string
}

// outputs returns the files that c asks the run to write, in the order
// they are written.
func outputs(c config) []output {
	var outs []output
	for _, o := range []output{{"checkpoint", c.checkpoint}, {"plot", c.plot}, {"save", c.save}} {
		if o.path != "" {
			outs = append(outs, o)
		}
	}
	return outs
}

// checkOutputs checks, before anything is loaded or trained, that every
// file of outputs(c) can be written, and returns an error naming each flag
// whose file cannot.
func checkOutputs(c config) error {
	var errs []error
	for _, o := range outputs(c) {
		if err := checkWritable(o.path); err != nil {
			errs = append(errs, fmt.Errorf("-%s %s: %w", o.flag, o.path, err))
		}
	}
	return errors.Join(errs...)
}

// checkWritable returns nil when a file can be written at path: path is
// not a directory, and its directory exists and takes a new file (which
// checkWritable creates and removes).
func checkWritable(path string) error {
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
	f, err := os.CreateTemp(dir, ".mnist-write-check*")
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
