package nn_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

// bnRef is a float64 reference batch norm over x [n, c, spatial].
type bnRef struct {
	n, c, spatial int
	eps           float64
}

// stats returns the per-channel mean and biased variance of x.
func (r bnRef) stats(x []float32) (mean, variance []float64) {
	mean, variance = make([]float64, r.c), make([]float64, r.c)
	m := float64(r.n * r.spatial)
	r.each(func(i, k int) { mean[k] += float64(x[i]) / m })
	r.each(func(i, k int) {
		d := float64(x[i]) - mean[k]
		variance[k] += d * d / m
	})
	return mean, variance
}

// each calls f(i, k) for every element i of x and its channel k.
func (r bnRef) each(f func(i, k int)) {
	for i := range r.n * r.c * r.spatial {
		f(i, i/r.spatial%r.c)
	}
}

// forward returns γ(x − μ)/√(σ² + ε) + β.
func (r bnRef) forward(x, gamma, beta []float32, mean, variance []float64) []float64 {
	y := make([]float64, len(x))
	r.each(func(i, k int) {
		y[i] = float64(gamma[k])*(float64(x[i])-mean[k])/math.Sqrt(variance[k]+r.eps) + float64(beta[k])
	})
	return y
}

// TestBatchNorm runs BatchNorm after a dense layer ([N, F]) and after a
// convolution ([N, C, H, W]): two training Forwards, checked against the
// float64 reference with batch statistics and the PyTorch running-statistics
// update (unbiased variance, momentum 0.1 by default), then an evaluation
// Forward with the running statistics and its Backward.
func TestBatchNorm(t *testing.T) {
	for _, c := range []struct {
		name     string
		in       []int
		n        int
		momentum float32
	}{
		{"dense", []int{5}, 6, 0},
		{"conv", []int{3, 4, 2}, 2, 0.25},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newCPU(t)
			bn := &nn.BatchNorm{Momentum: c.momentum, Eps: 1e-3}
			m, err := nn.NewSequential(b, c.in, 1, bn)
			if err != nil {
				t.Fatal(err)
			}
			ch := c.in[0]
			r := bnRef{n: c.n, c: ch, spatial: shapeLen(c.in[1:]), eps: 1e-3}
			ps, bufs := m.Params(), m.Buffers()
			if len(ps) != 2 || ps[0].Name != "0.weight" || ps[1].Name != "0.bias" ||
				len(bufs) != 2 || bufs[0].Name != "0.running_mean" || bufs[1].Name != "0.running_var" || bufs[0].Grad != nil {
				t.Fatalf("params %v, buffers %v: want 0.weight, 0.bias and 0.running_mean, 0.running_var without Grad", ps, bufs)
			}
			for i, want := range []float64{1, 0, 0, 1} {
				got := download(b, append(ps, bufs...)[i].Value)
				assertClose(t, "initial "+append(ps, bufs...)[i].Name, got, constFloat(ch, want), 0, 0)
			}
			rng := rand.New(rand.NewSource(2))
			gamma, beta := randSlice(rng, ch, 0.5, 1.5), randSlice(rng, ch, -1, 1)
			b.Upload(ps[0].Value, gamma)
			b.Upload(ps[1].Value, beta)

			momentum := 0.1
			if c.momentum != 0 {
				momentum = float64(c.momentum)
			}
			runMean, runVar := constFloat(ch, 0), constFloat(ch, 1)
			shape := append([]int{c.n}, c.in...)
			mm := float64(c.n * r.spatial)
			for step := range 2 {
				xs := randSlice(rng, shapeLen(shape), -1, 3)
				y := m.Forward(upload(b, xs, shape...), true)
				mean, variance := r.stats(xs)
				assertClose(t, "training y", download(b, y), r.forward(xs, gamma, beta, mean, variance), 1e-5, 1e-5)
				for k := range ch {
					runMean[k] = (1-momentum)*runMean[k] + momentum*mean[k]
					runVar[k] = (1-momentum)*runVar[k] + momentum*variance[k]*mm/(mm-1)
				}
				assertClose(t, "running_mean", download(b, bufs[0].Value), runMean, 1e-6, 1e-5)
				assertClose(t, "running_var", download(b, bufs[1].Value), runVar, 1e-6, 1e-5)
				if bn.Tracked != int64(step+1) {
					t.Errorf("Tracked = %d after %d training Forwards", bn.Tracked, step+1)
				}
			}

			xs := randSlice(rng, shapeLen(shape), -1, 3)
			x := upload(b, xs, shape...)
			y := m.Forward(x, false)
			assertClose(t, "evaluation y", download(b, y), r.forward(xs, gamma, beta, runMean, runVar), 1e-5, 1e-5)
			if bn.Tracked != 2 {
				t.Errorf("Tracked = %d after an evaluation Forward, want 2", bn.Tracked)
			}
			// In evaluation y is affine in x: dx = γ·dy/√(running_var + ε),
			// dγ = Σ dy·x̂, dβ = Σ dy.
			dys := randSlice(rng, len(xs), -1, 1)
			dx := m.Layers()[0].Backward(upload(b, dys, shape...))
			wantDx, wantDg, wantDb := make([]float64, len(xs)), make([]float64, ch), make([]float64, ch)
			r.each(func(i, k int) {
				inv := 1 / math.Sqrt(runVar[k]+r.eps)
				wantDx[i] = float64(gamma[k]) * float64(dys[i]) * inv
				wantDg[k] += float64(dys[i]) * (float64(xs[i]) - runMean[k]) * inv
				wantDb[k] += float64(dys[i])
			})
			assertClose(t, "evaluation dx", download(b, dx), wantDx, 1e-6, 1e-5)
			assertClose(t, "evaluation dγ", download(b, ps[0].Grad), wantDg, 1e-5, 1e-5)
			assertClose(t, "evaluation dβ", download(b, ps[1].Grad), wantDb, 1e-5, 1e-5)
		})
	}
}

// constFloat returns n copies of v.
func constFloat(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestBatchNormErrors(t *testing.T) {
	b := newCPU(t)
	for _, c := range []struct {
		l    *nn.BatchNorm
		want string
	}{
		{&nn.BatchNorm{Momentum: 1.5}, "Momentum must be in [0, 1]"},
		{&nn.BatchNorm{Momentum: -0.1}, "Momentum must be in [0, 1]"},
		{&nn.BatchNorm{Eps: -1}, "Eps must not be negative"},
	} {
		if _, err := nn.NewSequential(b, []int{3}, 1, c.l); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.l, err, c.want)
		}
	}
	m, err := nn.NewSequential(b, []int{3}, 1, &nn.BatchNorm{})
	if err != nil {
		t.Fatal(err)
	}
	x := upload(b, []float32{1, 2, 3}, 1, 3)
	mustPanic(t, "at least 2 values per channel", func() { m.Forward(x, true) })
	m.Forward(x, false) // a single sample is fine in evaluation
}

func TestBatchNormString(t *testing.T) {
	for _, c := range []struct {
		l    *nn.BatchNorm
		want string
	}{
		{&nn.BatchNorm{}, "BatchNorm"},
		{&nn.BatchNorm{Momentum: 0.01}, "BatchNorm(momentum 0.01)"},
		{&nn.BatchNorm{Momentum: 0.01, Eps: 1e-3}, "BatchNorm(momentum 0.01, eps 0.001)"},
	} {
		if got := c.l.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}
