package main

import (
	"errors"
	"fmt"

	"github.com/myelin-go/myelin/internal/atomicfile"
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
		if err := atomicfile.CheckWritable(o.path); err != nil {
			errs = append(errs, fmt.Errorf("-%s %s: %w", o.flag, o.path, err))
		}
	}
	return errors.Join(errs...)
}
