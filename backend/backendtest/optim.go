package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// optShape is the shape of the optimizer checks' parameters, and optSteps
// the number of consecutive steps each check takes.
var optShape = []int{4, 25}

const optSteps = 5

// optBounds returns the bound optTol·steps·(1 + |want|) of a quantity
// that has gone through steps optimizer steps; the checks keep every
// quantity of unit scale.
func optBounds(want []float64, steps int) []float64 {
	return relBounds(want, optTol*float64(steps), constant(len(want), optTol*float64(steps)))
}

// sgdRef takes one SGD step in float64, updating p and (when the momentum
// is not 0) v in place, following the formula of backend.SGD.
func sgdRef(h backend.SGD, p, g, v []float64) {
	lr, mu, tau, wd := float64(h.LR), float64(h.Momentum), float64(h.Dampening), float64(h.WeightDecay)
	for i := range p {
		gi := g[i] + wd*p[i]
		d := gi
		if mu != 0 {
			v[i] = mu*v[i] + (1-tau)*gi
			d = v[i]
			if h.Nesterov {
				d = gi + mu*v[i]
			}
		}
		p[i] -= lr * d
	}
}

// rmspropRef takes one RMSprop step in float64, updating p and s in place,
// following the formula of backend.RMSprop.
func rmspropRef(h backend.RMSprop, p, g, s []float64) {
	lr, rho, eps, wd := float64(h.LR), float64(h.Rho), float64(h.Eps), float64(h.WeightDecay)
	for i := range p {
		gi := g[i] + wd*p[i]
		s[i] = rho*s[i] + (1-rho)*gi*gi
		p[i] -= lr * gi / (math.Sqrt(s[i]) + eps)
	}
}

// adamRef takes one Adam or AdamW step in float64, updating p, m and v in
// place, following the formula of backend.Adam.
func adamRef(h backend.Adam, p, g, m, v []float64) {
	lr, b1, b2, eps, wd := float64(h.LR), float64(h.Beta1), float64(h.Beta2), float64(h.Eps), float64(h.WeightDecay)
	c1 := 1 - math.Pow(b1, float64(h.Step))
	c2 := 1 - math.Pow(b2, float64(h.Step))
	for i := range p {
		gi := g[i]
		if h.Decoupled {
			p[i] -= lr * wd * p[i]
		} else {
			gi += wd * p[i]
		}
		m[i] = b1*m[i] + (1-b1)*gi
		v[i] = b2*v[i] + (1-b2)*gi*gi
		p[i] -= lr * (m[i] / c1) / (math.Sqrt(v[i]/c2) + eps)
	}
}

// optState is a buffer of an optimizer: its initial contents on the host
// and its tensor on the backend.
type optState struct {
	name string
	init []float32
	t    backend.Tensor
}

// runOptimizer takes optSteps steps with fresh random gradients, both with
// step on the backend and with ref on float64 copies, and compares the
// parameters and the buffers afterwards. step and ref receive the step
// number, counting from 1.
func runOptimizer(t *testing.T, b backend.Backend, seed int64, what string, states []optState,
	step func(k int, p, g backend.Tensor), ref func(k int, p, g []float64, states [][]float64)) {
	t.Helper()
	rng := newRand(seed)
	n := backend.Shape(optShape).Len()
	p := uniform(rng, n, -1, 1)
	tp, tg := upload(t, b, p, optShape...), b.Alloc(optShape...)
	p64 := wide(p)
	s64 := make([][]float64, len(states))
	for i, s := range states {
		s64[i] = wide(s.init)
	}
	for k := 1; k <= optSteps; k++ {
		g := uniform(rng, n, -1, 1)
		b.Upload(tg, g)
		step(k, tp, tg)
		ref(k, p64, wide(g), s64)
	}
	expectClose(t, fmt.Sprintf("%s: parameters after %d steps", what, optSteps), download(b, tp), p64, optBounds(p64, optSteps))
	for i, s := range states {
		expectClose(t, fmt.Sprintf("%s: %s after %d steps", what, s.name, optSteps), download(b, s.t), s64[i], optBounds(s64[i], optSteps))
	}
}

// checkSGDStep checks SGDStep over several steps: plain, with weight
// decay, with momentum from zero and from a filled buffer, dampening and
// Nesterov, and with a buffer that momentum 0 must leave alone.
func checkSGDStep(t *testing.T, b backend.Backend) {
	rng := newRand(25)
	n := backend.Shape(optShape).Len()
	for i, c := range []struct {
		name   string
		h      backend.SGD
		buffer []float32 // nil: no buffer
	}{
		{"plain", backend.SGD{LR: 0.1}, nil},
		{"weight decay", backend.SGD{LR: 0.1, WeightDecay: 0.01}, nil},
		{"momentum 0 with a buffer", backend.SGD{LR: 0.05, WeightDecay: 0.02}, uniform(rng, n, -1, 1)},
		{"momentum", backend.SGD{LR: 0.05, Momentum: 0.9}, make([]float32, n)},
		{"momentum from a filled buffer", backend.SGD{LR: 0.05, Momentum: 0.9}, uniform(rng, n, -1, 1)},
		{"dampening", backend.SGD{LR: 0.05, Momentum: 0.9, Dampening: 0.3}, uniform(rng, n, -1, 1)},
		{"Nesterov", backend.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}, uniform(rng, n, -1, 1)},
		{"everything", backend.SGD{LR: 0.1, Momentum: 0.8, Dampening: 0.1, WeightDecay: 0.05, Nesterov: true}, make([]float32, n)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var states []optState
			var tv backend.Tensor
			if c.buffer != nil {
				tv = upload(t, b, c.buffer, optShape...)
				states = []optState{{"momentum buffer", c.buffer, tv}}
			}
			runOptimizer(t, b, int64(100+i), fmt.Sprintf("SGDStep %+v", c.h), states,
				func(_ int, p, g backend.Tensor) { b.SGDStep(p, g, tv, c.h) },
				func(_ int, p, g []float64, s [][]float64) {
					var v []float64
					if len(s) > 0 {
						v = s[0]
					}
					sgdRef(c.h, p, g, v)
				})
		})
	}
}

// checkRMSpropStep checks RMSpropStep over several steps, from an empty and
// from a filled mean-square buffer, with and without weight decay.
func checkRMSpropStep(t *testing.T, b backend.Backend) {
	rng := newRand(26)
	n := backend.Shape(optShape).Len()
	for i, c := range []struct {
		name string
		h    backend.RMSprop
		s    []float32
	}{
		{"plain", backend.RMSprop{LR: 0.01, Rho: 0.9, Eps: 1e-8}, make([]float32, n)},
		{"weight decay", backend.RMSprop{LR: 0.01, Rho: 0.99, Eps: 1e-6, WeightDecay: 0.01}, make([]float32, n)},
		{"filled buffer", backend.RMSprop{LR: 0.02, Rho: 0.9, Eps: 1e-7}, uniform(rng, n, 0, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := upload(t, b, c.s, optShape...)
			runOptimizer(t, b, int64(200+i), fmt.Sprintf("RMSpropStep %+v", c.h),
				[]optState{{"mean-square buffer", c.s, ts}},
				func(_ int, p, g backend.Tensor) { b.RMSpropStep(p, g, ts, c.h) },
				func(_ int, p, g []float64, s [][]float64) { rmspropRef(c.h, p, g, s[0]) })
		})
	}
}

// checkAdamStep checks AdamStep over several steps: plain, with coupled
// weight decay, as AdamW, and resumed at a later step from filled moment
// buffers.
func checkAdamStep(t *testing.T, b backend.Backend) {
	rng := newRand(27)
	n := backend.Shape(optShape).Len()
	zeros := make([]float32, n)
	for i, c := range []struct {
		name  string
		h     backend.Adam
		m, v  []float32
		first int // step number of the first step
	}{
		{"plain", backend.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, zeros, zeros, 1},
		{"weight decay", backend.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}, zeros, zeros, 1},
		{"AdamW", backend.Adam{LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-7, WeightDecay: 0.1, Decoupled: true}, zeros, zeros, 1},
		{"resumed", backend.Adam{LR: 0.005, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05, Decoupled: true},
			uniform(rng, n, -0.1, 0.1), uniform(rng, n, 0, 0.01), 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			tm, tv := upload(t, b, c.m, optShape...), upload(t, b, c.v, optShape...)
			at := func(k int) backend.Adam {
				h := c.h
				h.Step = c.first + k - 1
				return h
			}
			runOptimizer(t, b, int64(300+i), fmt.Sprintf("AdamStep %+v from step %d", c.h, c.first),
				[]optState{{"first moment", c.m, tm}, {"second moment", c.v, tv}},
				func(k int, p, g backend.Tensor) { b.AdamStep(p, g, tm, tv, at(k)) },
				func(k int, p, g []float64, s [][]float64) { adamRef(at(k), p, g, s[0], s[1]) })
		})
	}
}
