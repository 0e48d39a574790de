package backendtest

import (
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// activations lists every ActKind, LeakyReLU and ELU with a small and a
// large alpha.
var activations = []backend.Activation{
	{Kind: backend.Identity},
	{Kind: backend.Sigmoid},
	{Kind: backend.Tanh},
	{Kind: backend.ReLU},
	{Kind: backend.LeakyReLU, Alpha: 0.1},
	{Kind: backend.LeakyReLU, Alpha: 1.3},
	{Kind: backend.ELU, Alpha: 0.1},
	{Kind: backend.ELU, Alpha: 1.3},
	{Kind: backend.Softplus},
}

// actRef returns f(x) for the activation a.
func actRef(a backend.Activation, x float64) float64 {
	alpha := float64(a.Alpha)
	switch a.Kind {
	case backend.Identity:
		return x
	case backend.Sigmoid:
		if x >= 0 {
			return 1 / (1 + math.Exp(-x))
		}
		e := math.Exp(x)
		return e / (1 + e)
	case backend.Tanh:
		return math.Tanh(x)
	case backend.ReLU:
		return math.Max(x, 0)
	case backend.LeakyReLU:
		if x > 0 {
			return x
		}
		return alpha * x
	case backend.ELU:
		if x > 0 {
			return x
		}
		return alpha * math.Expm1(x)
	case backend.Softplus:
		return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
	}
	panic("backendtest: no reference for activation " + a.String())
}

// actDerivRef returns f′(x) for the activation a.
func actDerivRef(a backend.Activation, x float64) float64 {
	alpha := float64(a.Alpha)
	switch a.Kind {
	case backend.Identity:
		return 1
	case backend.Sigmoid:
		s := actRef(a, x)
		return s * (1 - s)
	case backend.Tanh:
		t := math.Tanh(x)
		return 1 - t*t
	case backend.ReLU:
		if x > 0 {
			return 1
		}
		return 0
	case backend.LeakyReLU:
		if x > 0 {
			return 1
		}
		return alpha
	case backend.ELU:
		if x > 0 {
			return 1
		}
		return alpha * math.Exp(x)
	case backend.Softplus:
		return actRef(backend.Activation{Kind: backend.Sigmoid}, x)
	}
	panic("backendtest: no reference for activation " + a.String())
}

// actInputs returns inputs for a: the extremes ±30 and ±100 and a few
// fixed points, then random values in [−4, 4] at least 0.01 from 0, where
// ReLU, LeakyReLU and ELU have a kink. Exact zeros are included for the
// activations that are smooth at 0 and for ReLU, whose f′(0) = 0 the
// contract fixes.
func actInputs(rng *rand.Rand, a backend.Activation, n int) []float32 {
	x := []float32{-100, -30, -10, -0.5, 0.5, 10, 30, 100}
	if a.Kind != backend.LeakyReLU && a.Kind != backend.ELU {
		x = append(x, 0)
	}
	for len(x) < n {
		v := float32(8*rng.Float64() - 4)
		if math.Abs(float64(v)) >= 0.01 {
			x = append(x, v)
		}
	}
	return x
}

// actShape is the shape of the activation checks' tensors.
var actShape = []int{3, 7, 11}

// checkActivate checks Activate for every activation against the
// reference, into a separate tensor and in place.
func checkActivate(t *testing.T, b backend.Backend) {
	rng := newRand(12)
	n := backend.Shape(actShape).Len()
	for _, a := range activations {
		t.Run(a.String(), func(t *testing.T) {
			x := actInputs(rng, a, n)
			want := make([]float64, n)
			for i, v := range x {
				want[i] = actRef(a, float64(v))
			}
			bound := relBounds(want, transRelTol, constant(n, transAbsTol))

			tx, ty := upload(t, b, x, actShape...), poisoned(t, b, actShape...)
			b.Activate(a, tx, ty)
			expectClose(t, "Activate "+a.String(), download(b, ty), want, bound)
			expectBits(t, "Activate's input afterwards", download(b, tx), x)

			b.Activate(a, tx, tx)
			expectClose(t, "Activate "+a.String()+" in place", download(b, tx), want, bound)
		})
	}
}

// checkActivateBackward checks ActivateBackward for every activation
// against the reference derivative and by central differences of the
// reference activation, into a separate tensor and in place over dy.
func checkActivateBackward(t *testing.T, b backend.Backend) {
	rng := newRand(13)
	n := backend.Shape(actShape).Len()
	for _, a := range activations {
		t.Run(a.String(), func(t *testing.T) {
			x := actInputs(rng, a, n)
			dy := uniform(rng, n, -2, 2)
			tx, tdy := upload(t, b, x, actShape...), upload(t, b, dy, actShape...)
			ty := poisoned(t, b, actShape...)
			b.Activate(a, tx, ty)

			want, abs := make([]float64, n), make([]float64, n)
			for i, v := range x {
				want[i] = float64(dy[i]) * actDerivRef(a, float64(v))
				abs[i] = transAbsTol * math.Abs(float64(dy[i]))
			}
			bound := relBounds(want, transRelTol, abs)

			tdx := poisoned(t, b, actShape...)
			b.ActivateBackward(a, tx, ty, tdy, tdx)
			got := download(b, tdx)
			what := "ActivateBackward " + a.String()
			if expectClose(t, what, got, want, bound) {
				// L = Σ dy∘f(x) is separable, so ∂L/∂xᵢ is the central
				// difference of dyᵢ·f at xᵢ alone. ReLU at an exact 0 is
				// left out: its f′(0) = 0 is a convention, not a limit.
				var idx []int
				var fd []float64
				for i, v := range x {
					if a.Kind == backend.ReLU && v == 0 {
						continue
					}
					f := func(x []float64) float64 { return float64(dy[i]) * actRef(a, x[0]) }
					idx = append(idx, i)
					fd = append(fd, centralDiff(f, []float64{float64(v)}, []int{0})[0])
				}
				expectGradient(t, what, got, idx, fd, bound)
			}

			b.ActivateBackward(a, tx, ty, tdy, tdy)
			expectClose(t, what+" in place (dx = dy)", download(b, tdy), want, bound)
		})
	}
}
