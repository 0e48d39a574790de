package vec

import "math"

// sqrt32 returns √x in float32 (the compiler emits one instruction).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// abs32 returns |x|.
func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// sgdGeneric sets p[i] = p[i] − lr·(g[i] + wd·p[i]).
func sgdGeneric(p, g []float32, lr, wd float32) {
	g = g[:len(p)]
	for i, pi := range p {
		p[i] = pi - lr*(g[i]+wd*pi)
	}
}

// sgdMomentumGeneric sets, with g′ = g[i] + wd·p[i], v[i] = mu·v[i] + damp·g′
// and p[i] = p[i] − lr·v[i] (damp is 1 − dampening).
func sgdMomentumGeneric(p, g, v []float32, lr, wd, mu, damp float32) {
	g, v = g[:len(p)], v[:len(p)]
	for i, pi := range p {
		gi := g[i] + wd*pi
		vi := mu*v[i] + damp*gi
		v[i] = vi
		p[i] = pi - lr*vi
	}
}

// sgdNesterovGeneric sets, with g′ = g[i] + wd·p[i], v[i] = mu·v[i] + damp·g′
// and p[i] = p[i] − lr·(g′ + mu·v[i]) (damp is 1 − dampening).
func sgdNesterovGeneric(p, g, v []float32, lr, wd, mu, damp float32) {
	g, v = g[:len(p)], v[:len(p)]
	for i, pi := range p {
		gi := g[i] + wd*pi
		vi := mu*v[i] + damp*gi
		v[i] = vi
		p[i] = pi - lr*(gi+mu*vi)
	}
}

// rmspropGeneric sets, with g′ = g[i] + wd·p[i], s[i] = rho·s[i] + rho1·g′²
// and p[i] = p[i] − lr·g′/(√s[i] + eps) (rho1 is 1 − rho).
func rmspropGeneric(p, g, s []float32, lr, rho, rho1, eps, wd float32) {
	g, s = g[:len(p)], s[:len(p)]
	for i, pi := range p {
		gi := g[i] + wd*pi
		si := rho*s[i] + gi*gi*rho1
		s[i] = si
		p[i] = pi - lr*(gi/(sqrt32(si)+eps))
	}
}

// adamGeneric sets, with g′ = g[i] + wd·p[i], m[i] = b1·m[i] + b1c·g′,
// v[i] = b2·v[i] + b2c·g′² and p[i] = decay·p[i] −
// lr·(m[i]/bc1)/(√(v[i]/bc2) + eps) (b1c = 1 − b1, b2c = 1 − b2, bc1
// and bc2 the bias corrections, decay the decoupled weight decay).
func adamGeneric(p, g, m, v []float32, lr, b1, b1c, b2, b2c, eps, wd, decay, bc1, bc2 float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, pi := range p {
		gi := g[i] + wd*pi
		mi := b1*m[i] + gi*b1c
		vi := b2*v[i] + gi*gi*b2c
		m[i], v[i] = mi, vi
		p[i] = decay*pi - lr*(mi/bc1/(sqrt32(vi/bc2)+eps))
	}
}

// adadeltaGeneric sets, with g′ = g[i] + wd·p[i], s[i] = rho·s[i] + rho1·g′²,
// d = √(u[i] + eps)/√(s[i] + eps)·g′, u[i] = rho·u[i] + rho1·d² and
// p[i] = p[i] − lr·d (rho1 is 1 − rho).
func adadeltaGeneric(p, g, s, u []float32, lr, rho, rho1, eps, wd float32) {
	g, s, u = g[:len(p)], s[:len(p)], u[:len(p)]
	for i, pi := range p {
		gi := g[i] + wd*pi
		si := rho*s[i] + gi*gi*rho1
		d := sqrt32(u[i]+eps) / sqrt32(si+eps) * gi
		s[i], u[i] = si, rho*u[i]+d*d*rho1
		p[i] = pi - lr*d
	}
}
