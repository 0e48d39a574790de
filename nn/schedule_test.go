package nn_test

import (
	"math"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

// TestSchedules checks each schedule against values computed by hand from
// its formula.
func TestSchedules(t *testing.T) {
	for _, tc := range []struct {
		s    nn.Schedule
		base float32
		want []float64 // for epochs 0, 1, 2, …
	}{
		{nn.StepDecay{Every: 3, Gamma: 0.1}, 0.5, []float64{0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.005}},
		{nn.Exponential{Gamma: 0.5}, 1e-3, []float64{1e-3, 5e-4, 2.5e-4, 1.25e-4}},
		{nn.Exponential{Gamma: 1}, 0.1, []float64{0.1, 0.1, 0.1}},
		// 0.01 + 0.09·(1 + cos(π·e/4))/2: cos(π/4) = 0.7071068, cos(3π/4) = −0.7071068.
		{nn.Cosine{T: 4, Min: 0.01}, 0.1, []float64{0.1, 0.0868198052, 0.055, 0.0231801948, 0.01, 0.01, 0.01}},
		{nn.Cosine{T: 1}, 2, []float64{2, 0, 0}},
	} {
		for e, want := range tc.want {
			// The formulas are computed in float64 from a float32 base and rounded
			// once to float32: a relative error of a few float32 ulps.
			if got := tc.s.LR(tc.base, e); math.Abs(float64(got)-want) > 2e-7*want+1e-12 {
				t.Errorf("%v: LR(%g, %d) = %g, want %g", tc.s, tc.base, e, got, want)
			}
		}
	}
	for _, s := range []nn.Schedule{nn.StepDecay{Gamma: 0.5}, nn.Cosine{Min: 0.1}} {
		if got := s.LR(1, 0); !math.IsNaN(float64(got)) {
			t.Errorf("%v: LR = %g, want NaN for a period below 1", s, got)
		}
	}
	if got, want := (nn.Cosine{T: 10, Min: 1e-4}).String(), "cosine to 0.0001 over 10 epochs"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
