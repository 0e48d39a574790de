package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// bnCase is one batch-norm input: x of the given shape [N, C, spatial…].
type bnCase struct {
	name  string
	shape []int
}

// dims returns N, C and the spatial size of the case.
func (c bnCase) dims() (n, ch, spatial int) {
	n, ch = c.shape[0], c.shape[1]
	return n, ch, backend.Shape(c.shape).Len() / (n * ch)
}

// String describes the case, e.g. "conv-shaped [3 4 5 6]".
func (c bnCase) String() string { return fmt.Sprintf("%s %v", c.name, c.shape) }

// bnCases returns the shapes the batch-norm checks use: the output of a
// dense layer [N, F], of a convolution [N, C, H, W], and the smallest
// batches allowed (M = 2 values per channel).
func bnCases() []bnCase {
	cases := []bnCase{
		{"dense-shaped", []int{16, 7}},
		{"conv-shaped", []int{3, 4, 5, 6}},
		{"M = 2, dense-shaped", []int{2, 3}},
		{"M = 2, one sample", []int{1, 3, 2, 1}},
	}
	if !testing.Short() {
		cases = append(cases, bnCase{"large", []int{8, 16, 12, 12}})
	}
	return cases
}

// bnInput returns x for the case: each channel with its own offset in
// [−2, 2] and scale in [0.5, 2], so that the statistics differ per channel
// and the mean is not small against the spread.
func bnInput(rng *rand.Rand, c bnCase) []float32 {
	n, ch, spatial := c.dims()
	off, scale := uniform(rng, ch, -2, 2), uniform(rng, ch, 0.5, 2)
	x := uniform(rng, backend.Shape(c.shape).Len(), -1, 1)
	for i := range n {
		for k := range ch {
			row := x[(i*ch+k)*spatial : (i*ch+k+1)*spatial]
			for j := range row {
				row[j] = off[k] + scale[k]*row[j]
			}
		}
	}
	return x
}

// forChannel calls f(i) for the index i of every element of channel k of
// x [n, ch, spatial].
func forChannel(n, ch, spatial, k int, f func(i int)) {
	for s := range n {
		for j := range spatial {
			f((s*ch+k)*spatial + j)
		}
	}
}

// bnStats holds the float64 per-channel statistics of x: mean μ, biased
// variance σ², the mean of |x| and of x², and the mean of |x − μ|.
type bnStats struct {
	mean, variance, meanAbs, meanSq, meanDev []float64
}

// bnStatsRef computes the statistics of x [n, ch, spatial] per channel,
// the variance in a second pass over x − μ.
func bnStatsRef(x []float64, n, ch, spatial int) bnStats {
	s := bnStats{
		mean: make([]float64, ch), variance: make([]float64, ch),
		meanAbs: make([]float64, ch), meanSq: make([]float64, ch), meanDev: make([]float64, ch),
	}
	m := float64(n * spatial)
	for k := range ch {
		forChannel(n, ch, spatial, k, func(i int) {
			s.mean[k] += x[i] / m
			s.meanAbs[k] += math.Abs(x[i]) / m
			s.meanSq[k] += x[i] * x[i] / m
		})
		forChannel(n, ch, spatial, k, func(i int) {
			d := x[i] - s.mean[k]
			s.variance[k] += d * d / m
			s.meanDev[k] += math.Abs(d) / m
		})
	}
	return s
}

// bnForwardRef returns y = γ(x − μ)/√(σ² + ε) + β with the given
// per-channel μ and σ².
func bnForwardRef(x, gamma, beta, mu, variance []float64, n, ch, spatial int, eps float64) []float64 {
	y := make([]float64, len(x))
	for k := range ch {
		inv := 1 / math.Sqrt(variance[k]+eps)
		forChannel(n, ch, spatial, k, func(i int) {
			y[i] = gamma[k]*(x[i]-mu[k])*inv + beta[k]
		})
	}
	return y
}

// bnTrainErrors returns the error bounds of a float32 BatchNormTrain per
// channel: eMu on μ, eVar on σ² and relInv, the relative error of
// 1/√(σ² + ε). A float32 sum of M terms errs by at most γ_{M+2} times the
// sum of their magnitudes, so eMu = γ_{M+2}·mean|x|; the variance, whether
// summed as Σ(x − μ)² or as Σx² − Mμ², errs by at most γ_{2M+4}·mean x²
// plus what the error of μ contributes; the square root and division add
// transRelTol.
func bnTrainErrors(st bnStats, m int, eps float64) (eMu, eVar, relInv []float64) {
	ch := len(st.mean)
	eMu, eVar, relInv = make([]float64, ch), make([]float64, ch), make([]float64, ch)
	for k := range ch {
		eMu[k] = gamma(m+2) * st.meanAbs[k]
		eVar[k] = gamma(2*m+4)*st.meanSq[k] + 2*eMu[k]*st.meanDev[k] + eMu[k]*eMu[k]
		relInv[k] = eVar[k]/(2*(st.variance[k]+eps)) + transRelTol
	}
	return eMu, eVar, relInv
}

// bnAffineBound returns the error allowed in y = γ·(x − μ)·inv + β,
// computed in float32 with μ off by eMu and inv off by relInv relative:
// the errors of μ and inv carried through, and 4u of every term of the
// affine form x·(γ·inv) + (β − μ·γ·inv) an implementation may evaluate,
// whose terms can be much larger than y when |μ| is large against σ.
func bnAffineBound(x, g, beta, mu, inv, eMu, relInv float64) float64 {
	xhat := math.Abs(x-mu) * inv
	carried := math.Abs(g) * (eMu*inv + xhat*relInv)
	terms := math.Abs(g)*inv*(math.Abs(x)+math.Abs(mu)) + math.Abs(beta) + math.Abs(g)*xhat
	return carried + 4*unitRoundoff*terms
}

// checkBatchNormTrain checks BatchNormTrain's output, batch statistics and
// running statistics (with the unbiased variance) against float64
// references, with y a separate tensor and with y = x.
func checkBatchNormTrain(t *testing.T, b backend.Backend) {
	rng := newRand(40)
	for _, c := range bnCases() {
		for _, inPlace := range []bool{false, true} {
			n, ch, spatial := c.dims()
			m := n * spatial
			const momentum, eps = 0.3, 1e-3
			x := bnInput(rng, c)
			g, beta := uniform(rng, ch, 0.5, 1.5), uniform(rng, ch, -1, 1)
			rm, rv := uniform(rng, ch, -1, 1), uniform(rng, ch, 0.5, 2)
			tx := upload(t, b, x, c.shape...)
			ty := tx
			if !inPlace {
				ty = poisoned(t, b, c.shape...)
			}
			tmean, tinv := poisoned(t, b, ch), poisoned(t, b, ch)
			trm, trv := upload(t, b, rm, ch), upload(t, b, rv, ch)
			b.BatchNormTrain(tx, upload(t, b, g, ch), upload(t, b, beta, ch), ty, tmean, tinv, trm, trv, momentum, eps)
			what := fmt.Sprintf("BatchNormTrain %v", c)
			if inPlace {
				what += ", y = x"
			}

			x64, g64, b64 := wide(x), wide(g), wide(beta)
			st := bnStatsRef(x64, n, ch, spatial)
			eMu, eVar, relInv := bnTrainErrors(st, m, eps)
			y := bnForwardRef(x64, g64, b64, st.mean, st.variance, n, ch, spatial, eps)
			yBound := make([]float64, len(y))
			inv, invBound := make([]float64, ch), make([]float64, ch)
			wantRM, wantRV := make([]float64, ch), make([]float64, ch)
			rmBound, rvBound := make([]float64, ch), make([]float64, ch)
			for k := range ch {
				inv[k] = 1 / math.Sqrt(st.variance[k]+eps)
				invBound[k] = relInv[k] * inv[k]
				forChannel(n, ch, spatial, k, func(i int) {
					yBound[i] = bnAffineBound(x64[i], g64[k], b64[k], st.mean[k], inv[k], eMu[k], relInv[k])
				})
				unbiased := st.variance[k] * float64(m) / float64(m-1)
				wantRM[k] = (1-momentum)*float64(rm[k]) + momentum*st.mean[k]
				wantRV[k] = (1-momentum)*float64(rv[k]) + momentum*unbiased
				rmBound[k] = 4*unitRoundoff*(math.Abs((1-momentum)*float64(rm[k]))+math.Abs(momentum*st.mean[k])) + momentum*eMu[k]
				rvBound[k] = 4*unitRoundoff*(math.Abs((1-momentum)*float64(rv[k]))+momentum*unbiased) +
					momentum*eVar[k]*float64(m)/float64(m-1)
			}
			expectClose(t, what+": y", download(b, ty), y, yBound)
			expectClose(t, what+": mean", download(b, tmean), st.mean, eMu)
			expectClose(t, what+": invStd", download(b, tinv), inv, invBound)
			expectClose(t, what+": running mean", download(b, trm), wantRM, rmBound)
			expectClose(t, what+": running variance (unbiased)", download(b, trv), wantRV, rvBound)
		}
	}
}

// checkBatchNormInfer checks BatchNormInfer against the float64 reference
// with the running statistics, with y a separate tensor and with y = x.
func checkBatchNormInfer(t *testing.T, b backend.Backend) {
	rng := newRand(41)
	for _, c := range bnCases() {
		for _, inPlace := range []bool{false, true} {
			n, ch, spatial := c.dims()
			const eps = 1e-5
			x := bnInput(rng, c)
			g, beta := uniform(rng, ch, -1.5, 1.5), uniform(rng, ch, -1, 1)
			rm, rv := uniform(rng, ch, -2, 2), uniform(rng, ch, 0.1, 3)
			tx := upload(t, b, x, c.shape...)
			ty := tx
			if !inPlace {
				ty = poisoned(t, b, c.shape...)
			}
			b.BatchNormInfer(tx, upload(t, b, g, ch), upload(t, b, beta, ch), upload(t, b, rm, ch), upload(t, b, rv, ch), ty, eps)
			what := fmt.Sprintf("BatchNormInfer %v", c)
			if inPlace {
				what += ", y = x"
			}
			x64, g64, b64, rm64, rv64 := wide(x), wide(g), wide(beta), wide(rm), wide(rv)
			y := bnForwardRef(x64, g64, b64, rm64, rv64, n, ch, spatial, eps)
			bound := make([]float64, len(y))
			for k := range ch {
				inv := 1 / math.Sqrt(rv64[k]+eps)
				forChannel(n, ch, spatial, k, func(i int) {
					bound[i] = bnAffineBound(x64[i], g64[k], b64[k], rm64[k], inv, 0, transRelTol)
				})
			}
			expectClose(t, what, download(b, ty), y, bound)
		}
	}
}

// bnBackwardRef returns the gradients of y = γ·x̂ + β, x̂ = (x − μ)·inv, for
// the given per-channel μ and inv (BatchNormBackward's formula) and the
// error bounds of a float32 evaluation. With s = max (|x| + |μ|)·inv over
// the channel (which bounds |x̂| and the magnitude of its terms),
// S₁ = Σ|dy| and S₂ = s·S₁, the bounds are γ_{M+2}·S₁ for dβ,
// γ_{M+4}·S₂ for dγ, and for dx 2·|γ|·inv/M·γ_{M+8}·(M|dy| + S₁ + s·S₂),
// twice the rounding bound of the sums in M·dy − dβ − x̂·dγ.
func bnBackwardRef(x, dy, g, mu, inv []float64, n, ch, spatial int) (dx, dg, db, dxBound, dgBound, dbBound []float64) {
	m := n * spatial
	fm := float64(m)
	dx, dxBound = make([]float64, len(x)), make([]float64, len(x))
	dg, db, dgBound, dbBound = make([]float64, ch), make([]float64, ch), make([]float64, ch), make([]float64, ch)
	for k := range ch {
		var s, s1 float64
		forChannel(n, ch, spatial, k, func(i int) {
			xhat := (x[i] - mu[k]) * inv[k]
			db[k] += dy[i]
			dg[k] += dy[i] * xhat
			s = math.Max(s, (math.Abs(x[i])+math.Abs(mu[k]))*inv[k])
			s1 += math.Abs(dy[i])
		})
		dbBound[k] = gamma(m+2) * s1
		dgBound[k] = gamma(m+4) * s * s1
		scale := g[k] * inv[k] / fm
		forChannel(n, ch, spatial, k, func(i int) {
			xhat := (x[i] - mu[k]) * inv[k]
			dx[i] = scale * (fm*dy[i] - db[k] - xhat*dg[k])
			dxBound[i] = 2 * math.Abs(scale) * gamma(m+8) * (fm*math.Abs(dy[i]) + s1 + s*s*s1)
		})
	}
	return dx, dg, db, dxBound, dgBound, dbBound
}

// checkBatchNormBackward checks BatchNormBackward against its formula in
// float64 and, by central differences, against the derivatives of
// L = Σ y∘r for a random r (so dy = r) with y computed by the float64
// reference of BatchNormTrain from batch statistics: with respect to x
// (through μ and σ² too), γ and β. The mean and invStd given to the op
// are the reference's, rounded to float32. It also checks dx = dy in
// place.
func checkBatchNormBackward(t *testing.T, b backend.Backend) {
	rng := newRand(42)
	for _, c := range bnCases() {
		for _, inPlace := range []bool{false, true} {
			n, ch, spatial := c.dims()
			const eps = 1e-3
			x := bnInput(rng, c)
			r := uniform(rng, len(x), -1, 1)
			g, beta := uniform(rng, ch, 0.5, 1.5), uniform(rng, ch, -1, 1)
			x64, g64, b64 := wide(x), wide(g), wide(beta)
			st := bnStatsRef(x64, n, ch, spatial)
			inv := make([]float64, ch)
			for k := range ch {
				inv[k] = 1 / math.Sqrt(st.variance[k]+eps)
			}
			mu32, inv32 := narrow(st.mean), narrow(inv)

			tdy := upload(t, b, r, c.shape...)
			tdx := tdy
			if !inPlace {
				tdx = poisoned(t, b, c.shape...)
			}
			tdg, tdb := poisoned(t, b, ch), poisoned(t, b, ch)
			b.BatchNormBackward(upload(t, b, x, c.shape...), tdy, upload(t, b, g, ch),
				upload(t, b, mu32, ch), upload(t, b, inv32, ch), tdx, tdg, tdb)
			what := fmt.Sprintf("BatchNormBackward %v", c)
			if inPlace {
				what += ", dx = dy"
			}
			dx, dg, db, dxBound, dgBound, dbBound := bnBackwardRef(x64, wide(r), g64, wide(mu32), wide(inv32), n, ch, spatial)
			gotDx, gotDg, gotDb := download(b, tdx), download(b, tdg), download(b, tdb)
			okDx := expectClose(t, what+": dx", gotDx, dx, dxBound)
			okDg := expectClose(t, what+": dgamma", gotDg, dg, dgBound)
			okDb := expectClose(t, what+": dbeta", gotDb, db, dbBound)

			r64 := wide(r)
			loss := func(x, g, beta []float64) float64 {
				st := bnStatsRef(x, n, ch, spatial)
				return dot(r64, bnForwardRef(x, g, beta, st.mean, st.variance, n, ch, spatial, eps))
			}
			if okDx {
				idx := sample(rng, len(x), 4*fdSamples())
				fd := centralDiff(func(x []float64) float64 { return loss(x, g64, b64) }, x64, idx)
				expectGradient(t, what+": dx", gotDx, idx, fd, dxBound)
			}
			all := sample(rng, ch, ch)
			if okDg {
				fd := centralDiff(func(g []float64) float64 { return loss(x64, g, b64) }, g64, all)
				expectGradient(t, what+": dgamma", gotDg, all, fd, dgBound)
			}
			if okDb {
				fd := centralDiff(func(beta []float64) float64 { return loss(x64, g64, beta) }, b64, all)
				expectGradient(t, what+": dbeta", gotDb, all, fd, dbBound)
			}
		}
	}
}
