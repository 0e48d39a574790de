//go:build race

package gemm

// raceEnabled is set when the race detector is on: sync.Pool then drops
// recycled values at random, so allocation counts mean nothing.
const raceEnabled = true
