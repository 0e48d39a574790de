package vec

// sumGeneric returns Σ x[i], accumulated in float64 in an order fixed by
// len(x) and the level.
func sumGeneric(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// dotGeneric returns Σ x[i]·y[i], the products rounded to float32 and
// accumulated in float64 in an order fixed by len(x) and the level.
func dotGeneric(x, y []float32) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += float64(v * y[i])
	}
	return s
}

// sumSqDevGeneric returns Σ (x[i] − c)², each term in float32 and the sum in
// float64, in an order fixed by len(x) and the level.
func sumSqDevGeneric(x []float32, c float32) float64 {
	var s float64
	for _, v := range x {
		d := v - c
		s += float64(d * d)
	}
	return s
}

// dotDevGeneric returns Σ x[i]·(y[i] − c), each term in float32 and the sum
// in float64, in an order fixed by len(x) and the level.
func dotDevGeneric(x, y []float32, c float32) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += float64(v * (y[i] - c))
	}
	return s
}

// expShiftGeneric sets dst[i] = e^(x[i] − m), computed as in exp, and returns
// Σ dst[i] accumulated in float64.
func expShiftGeneric(dst, x []float32, m float32) float64 {
	x = x[:len(dst)]
	var s float64
	for i, v := range x {
		e := exp32(v - m)
		dst[i] = e
		s += float64(e)
	}
	return s
}

// softmaxXentGeneric is one row of softmax cross-entropy given the row's
// maximum m and ls = log Σ e^(x[i] − m): with l[i] = (x[i] − m) − ls, the
// log-probability (exact in its first difference, so that large logits
// keep their accuracy), it sets g[i] = (e^l[i] − t[i])·scale, e^x as in
// exp, and returns Σ t[i]·l[i] over the i with t[i] ≠ 0, accumulated in
// float64.
func softmaxXentGeneric(g, x, t []float32, m, ls, scale float32) float64 {
	x, t = x[:len(g)], t[:len(g)]
	var s float64
	for i, v := range x {
		lp := (v - m) - ls
		ti := t[i]
		g[i] = (exp32(lp) - ti) * scale
		if ti != 0 {
			s += float64(ti * lp)
		}
	}
	return s
}

// sigmoidXentGeneric is binary cross-entropy on logits: with e = e^−|z[i]| from
// exp it sets g[i] = (σ(z[i]) − t[i])·scale, σ(z) = 1/(1+e) for z ≥ 0
// and e/(1+e) below, and returns Σ max(z, 0) − z·t + log(1 + e), the
// logarithm as in softplus, each term in float32 and the sum in float64.
func sigmoidXentGeneric(g, z, t []float32, scale float32) float64 {
	z, t = z[:len(g)], t[:len(g)]
	var s float64
	for i, v := range z {
		e := exp32(-abs32(v))
		sig := 1 / (e + 1)
		if v < 0 {
			sig *= e
		}
		g[i] = (sig - t[i]) * scale
		s += float64(maxNaN(v, 0) - v*t[i] + log1p01(e))
	}
	return s
}

// absDiffGeneric sets g[i] = sign(p[i] − t[i])·scale (0 where they are equal)
// and returns Σ |p[i] − t[i]|, each difference in float32 and the sum
// in float64.
func absDiffGeneric(g, p, t []float32, scale float32) float64 {
	p, t = p[:len(g)], t[:len(g)]
	var s float64
	for i, v := range p {
		d := v - t[i]
		var gi float32
		switch {
		case d > 0:
			gi = scale
		case d < 0:
			gi = -scale
		}
		g[i] = gi
		s += float64(abs32(d))
	}
	return s
}
