//go:build !race

package cpu

// gemmRace is set when the race detector is on: sync.Pool then drops
// recycled values at random, so allocation counts mean nothing.
const gemmRace = false
