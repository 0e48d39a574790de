//go:build !race

package cpu_test

// raceEnabled reports whether the race detector is on; it makes sync.Pool
// drop values at random, so allocation counts mean nothing under it.
const raceEnabled = false
