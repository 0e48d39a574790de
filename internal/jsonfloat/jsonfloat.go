// Package jsonfloat holds floating-point values that JSON documents must
// carry whatever they are. JSON has no literal for NaN or the infinities,
// and encoding/json refuses to encode them, so a program that prints a
// diverged loss (NaN) with -json, or records one in a checkpoint, would
// fail at that point; Float writes them as strings instead.
package jsonfloat

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Float is a float64 that encodes as a JSON number when it is finite and
// as the string "NaN", "+Inf" or "-Inf" otherwise, and decodes from
// either form.
type Float float64

// MarshalJSON encodes f as encoding/json encodes a float64, or as a string
// when f is not finite.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON decodes a JSON number, or one of the strings MarshalJSON
// writes for values that are not finite; null leaves f unchanged, as it
// does a float64.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch s := string(b); s {
	case "null":
	case `"NaN"`:
		*f = Float(math.NaN())
	case `"+Inf"`:
		*f = Float(math.Inf(1))
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
	default:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("jsonfloat: %s is not a number, \"NaN\", \"+Inf\" or \"-Inf\"", s)
		}
		*f = Float(v)
	}
	return nil
}

// Slice converts xs to Floats, for a JSON array.
func Slice[T float32 | float64](xs []T) []Float {
	fs := make([]Float, len(xs))
	for i, x := range xs {
		fs[i] = Float(x)
	}
	return fs
}
