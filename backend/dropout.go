package backend

// DropoutUniform returns the uniform number in [0, 1) that DropoutMask draws
// for element i under seed: the top 24 bits of the SplitMix64 finaliser
// applied to seed + (i+1)·0x9E3779B97F4A7C15, divided by 2²⁴. Every backend
// computes exactly this, so a seed gives the same mask on every device.
func DropoutUniform(seed uint64, i int) float32 {
	z := seed + uint64(i+1)*0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	z ^= z >> 31
	return float32(z>>40) / (1 << 24)
}
