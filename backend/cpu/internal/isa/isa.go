// Package isa names the instruction-set levels the CPU backend's kernels
// come in and picks one at start-up from what the processor can do.
//
// Levels are ordered: a machine that runs a level runs every lower one.
// The environment variable MYELIN_CPU (generic, avx2, avx512) lowers the
// level for tests and for users chasing a bug; it never raises it. The
// purego and noasm build tags, and every architecture but amd64, leave
// only Generic.
package isa

import (
	"fmt"
	"os"
	"strings"
)

// Level is a set of kernels, from Generic (pure Go) up.
type Level int

// The kernel levels, lowest first.
const (
	// Generic is pure Go, for every architecture.
	Generic Level = iota
	// AVX2 is Go assembly using AVX2 and FMA3 on 256-bit registers.
	AVX2
	// AVX512 is Go assembly using AVX-512F (with BW, DQ and VL) on 512-bit
	// registers.
	AVX512
)

// EnvVar is the environment variable that lowers the level: MYELIN_CPU.
const EnvVar = "MYELIN_CPU"

var names = [...]string{Generic: "generic", AVX2: "avx2", AVX512: "avx512"}

// String returns the level's name as MYELIN_CPU spells it.
func (l Level) String() string {
	if l < 0 || int(l) >= len(names) {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return names[l]
}

// Parse returns the level named s (case-insensitive).
func Parse(s string) (Level, error) {
	for l, n := range names {
		if strings.EqualFold(s, n) {
			return Level(l), nil
		}
	}
	return 0, fmt.Errorf("isa: unknown CPU kernel level %q: want one of %s", s, strings.Join(names[:], ", "))
}

// Best returns the highest level this processor and this build support.
func Best() Level { return best }

// Supported lists the levels this processor and build support, lowest
// first: the levels a test should run.
func Supported() []Level {
	ls := make([]Level, 0, best+1)
	for l := Generic; l <= best; l++ {
		ls = append(ls, l)
	}
	return ls
}

// FromEnv returns Best lowered to the level MYELIN_CPU names, if it is
// set. A level above Best is an error (the processor or build lacks it),
// as is a name Parse does not know.
func FromEnv() (Level, error) {
	s, ok := os.LookupEnv(EnvVar)
	if !ok || s == "" {
		return best, nil
	}
	l, err := Parse(s)
	if err != nil {
		return best, fmt.Errorf("%s: %w", EnvVar, err)
	}
	if l > best {
		return best, fmt.Errorf("%s=%s: this processor or build supports only up to %s", EnvVar, s, best)
	}
	return l, nil
}
