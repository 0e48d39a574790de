package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// adadeltaRef takes one Adadelta step in float64, updating p, s and u in
// place, following the formula of backend.Adadelta.
func adadeltaRef(h backend.Adadelta, p, g, s, u []float64) {
	lr, rho, eps, wd := float64(h.LR), float64(h.Rho), float64(h.Eps), float64(h.WeightDecay)
	for i := range p {
		gi := g[i] + wd*p[i]
		s[i] = rho*s[i] + (1-rho)*gi*gi
		d := math.Sqrt(u[i]+eps) / math.Sqrt(s[i]+eps) * gi
		u[i] = rho*u[i] + (1-rho)*d*d
		p[i] -= lr * d
	}
}

// checkAdadeltaStep checks AdadeltaStep over several steps: with PyTorch's
// defaults from empty buffers, with weight decay, and from filled buffers
// with a smaller learning rate.
func checkAdadeltaStep(t *testing.T, b backend.Backend) {
	rng := newRand(45)
	n := backend.Shape(optShape).Len()
	zeros := make([]float32, n)
	for i, c := range []struct {
		name string
		h    backend.Adadelta
		s, u []float32
	}{
		{"defaults", backend.Adadelta{LR: 1, Rho: 0.9, Eps: 1e-6}, zeros, zeros},
		{"weight decay", backend.Adadelta{LR: 1, Rho: 0.9, Eps: 1e-6, WeightDecay: 0.1}, zeros, zeros},
		{"filled buffers", backend.Adadelta{LR: 0.5, Rho: 0.95, Eps: 1e-5, WeightDecay: 0.01},
			uniform(rng, n, 0, 1), uniform(rng, n, 0, 0.1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts, tu := upload(t, b, c.s, optShape...), upload(t, b, c.u, optShape...)
			runOptimizer(t, b, int64(400+i), fmt.Sprintf("AdadeltaStep %+v", c.h),
				[]optState{{"squared-gradient average", c.s, ts}, {"squared-update average", c.u, tu}},
				func(_ int, p, g backend.Tensor) { b.AdadeltaStep(p, g, ts, tu, c.h) },
				func(_ int, p, g []float64, s [][]float64) { adadeltaRef(c.h, p, g, s[0], s[1]) })
		})
	}
}
