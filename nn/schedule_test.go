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

// TestOneCycle checks OneCycle against torch.optim.lr_scheduler.OneCycleLR
// (PyTorch 1.13, cycle_momentum=False). The references were printed once by
//
//	p = torch.nn.Parameter(torch.zeros(1)); opt = torch.optim.Adam([p], lr=max_lr)
//	s = OneCycleLR(opt, max_lr=max_lr, total_steps=total, cycle_momentum=False, **kw)
//	for i in range(total): lrs.append(opt.param_groups[0]['lr']); opt.step(); s.step()
//
// (float64 rates; OneCycle rounds its float64 result to float32 once).
func TestOneCycle(t *testing.T) {
	for _, tc := range []struct {
		s     nn.OneCycle
		base  float32
		total int
		want  map[int]float64
	}{
		{nn.OneCycle{}, 0.01, 235, map[int]float64{0: 0.0003999999999999993, 1: 0.0004049030624798597, 2: 0.0004196022332437349,
			35: 0.005254242171870302, 68: 0.009988970457358528, 69: 0.009998774077829497, 70: 0.009999772048255069,
			71: 0.009997948559003024, 100: 0.009175497897687677, 150: 0.005167094216738833, 233: 9.517861948397653e-07, 234: 4e-08}},
		{nn.OneCycle{}, 0.5, 7, map[int]float64{0: 0.020000000000000018, 1: 0.4902783136674793, 2: 0.4595221881348553,
			3: 0.33634191824027254, 4: 0.17886938786982853, 5: 0.0496483959466328, 6: 2e-06}},
		{nn.OneCycle{PctStart: 0.25, DivFactor: 10, FinalDivFactor: 100}, 1, 10, map[int]float64{0: 0.09999999999999998,
			1: 0.7749999999999999, 2: 0.9890847265665359, 3: 0.9046039886902862, 4: 0.75025, 5: 0.552711967402193,
			6: 0.3461460113097138, 7: 0.16626926212375048, 8: 0.044184043907520815, 9: 0.001}},
		// Steps overrides the run's length; past the cycle the rate stays at its minimum.
		{nn.OneCycle{Steps: 7}, 0.5, 1000, map[int]float64{0: 0.020000000000000018, 3: 0.33634191824027254, 6: 2e-06, 9: 2e-06}},
	} {
		for step, want := range tc.want {
			if got := tc.s.StepLR(tc.base, step, tc.total); math.Abs(float64(got)-want) > 2e-7*want {
				t.Errorf("%v: StepLR(%g, %d, %d) = %g, want %g", tc.s, tc.base, step, tc.total, got, want)
			}
		}
	}
	// As a per-epoch schedule it needs Steps.
	if got := (nn.OneCycle{Steps: 7}).LR(0.5, 3); math.Abs(float64(got)-0.33634191824027254) > 1e-7 {
		t.Errorf("OneCycle{Steps: 7}.LR(0.5, 3) = %g, want 0.336342", got)
	}
	for _, tc := range []struct {
		s           nn.OneCycle
		step, total int
	}{
		{nn.OneCycle{}, 0, 1}, {nn.OneCycle{PctStart: 1}, 0, 10}, {nn.OneCycle{DivFactor: -1}, 0, 10}, {nn.OneCycle{}, -1, 10},
	} {
		if got := tc.s.StepLR(1, tc.step, tc.total); !math.IsNaN(float64(got)) {
			t.Errorf("%+v: StepLR(1, %d, %d) = %g, want NaN", tc.s, tc.step, tc.total, got)
		}
	}
	if got := (nn.OneCycle{}).LR(1, 0); !math.IsNaN(float64(got)) {
		t.Errorf("OneCycle{}.LR = %g, want NaN without Steps", got)
	}
	if got, want := (nn.OneCycle{}).String(), "one-cycle (warm-up 30% from lr/25, down to lr/250000) per step"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
