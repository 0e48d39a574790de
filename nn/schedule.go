package nn

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each epoch. A Trainer sets the
// optimizer's rate to LR(base, e) before epoch e+1, where e counts the
// epochs finished (0 for the first epoch) and base is Trainer.BaseLR.
type Schedule interface {
	// LR returns the learning rate of the epoch that follows e finished
	// epochs, given the base rate.
	LR(base float32, e int) float32
	String() string
}

// StepDecay multiplies the rate by Gamma every Every epochs:
//
//	lr(e) = base·Gamma^⌊e/Every⌋
//
// Every must be at least 1 (LR returns NaN otherwise, which Fit reports).
type StepDecay struct {
	Every int
	Gamma float32
}

// LR implements Schedule.
func (s StepDecay) LR(base float32, e int) float32 {
	if s.Every < 1 {
		return float32(math.NaN())
	}
	return float32(float64(base) * math.Pow(float64(s.Gamma), float64(e/s.Every)))
}

// String describes the schedule, e.g. "step decay ×0.1 every 10 epochs".
func (s StepDecay) String() string {
	return fmt.Sprintf("step decay ×%g every %d epochs", s.Gamma, s.Every)
}

// Exponential multiplies the rate by Gamma after every epoch:
//
//	lr(e) = base·Gamma^e
type Exponential struct {
	Gamma float32
}

// LR implements Schedule.
func (s Exponential) LR(base float32, e int) float32 {
	return float32(float64(base) * math.Pow(float64(s.Gamma), float64(e)))
}

// String describes the schedule, e.g. "exponential ×0.5 per epoch".
func (s Exponential) String() string { return fmt.Sprintf("exponential ×%g per epoch", s.Gamma) }

// Cosine anneals the rate from base to Min over T epochs along half a
// cosine wave (Loshchilov and Hutter's SGDR without restarts) and keeps it
// at Min afterwards:
//
//	lr(e) = Min + (base − Min)·(1 + cos(π·min(e, T)/T))/2
//
// T must be at least 1 (LR returns NaN otherwise, which Fit reports).
type Cosine struct {
	T   int
	Min float32
}

// LR implements Schedule.
func (s Cosine) LR(base float32, e int) float32 {
	if s.T < 1 {
		return float32(math.NaN())
	}
	frac := float64(min(e, s.T)) / float64(s.T)
	lo := float64(s.Min)
	return float32(lo + (float64(base)-lo)*(1+math.Cos(math.Pi*frac))/2)
}

// String describes the schedule, e.g. "cosine to 0 over 10 epochs".
func (s Cosine) String() string { return fmt.Sprintf("cosine to %g over %d epochs", s.Min, s.T) }

// BatchSchedule is a Schedule that sets the learning rate before every
// optimizer step rather than every epoch. A Trainer whose Schedule is a
// BatchSchedule calls StepLR(BaseLR, s, total) before step s, s counting
// the steps of the whole run from 0 and total = epochs × batches per
// epoch, and never calls LR.
type BatchSchedule interface {
	Schedule
	// StepLR returns the learning rate of step s (0-based) of a run of
	// total steps, given the base rate.
	StepLR(base float32, s, total int) float32
}

// OneCycle is the one-cycle policy (Smith and Topin, 2017) with PyTorch's
// OneCycleLR semantics for anneal_strategy "cos", three_phase False and no
// momentum cycling. With base the peak rate (PyTorch's max_lr), T the
// run's steps, lr₀ = base/DivFactor, lr_min = lr₀/FinalDivFactor and the
// warm-up ending at step a = PctStart·T − 1 (a real number):
//
//	lr(s) = cos(lr₀, base, s/a)                   for s ≤ a
//	lr(s) = cos(base, lr_min, (s − a)/(T − 1 − a)) after
//	cos(from, to, f) = to + (from − to)·(1 + cos(π·f))/2
//
// so the rate rises from lr₀ to base over the first PctStart of the run and
// falls to lr_min at its last step. Zero fields take PyTorch's defaults:
// PctStart 0.3, DivFactor 25, FinalDivFactor 1e4. Steps, when set, is the
// length of the cycle (PyTorch's total_steps) instead of the run's; steps
// past it keep lr_min (PyTorch raises an error there).
//
// OneCycle is a BatchSchedule; as a per-epoch Schedule (LR) it cycles over
// Steps epochs, one epoch a step, and gives NaN when Steps is 0.
type OneCycle struct {
	PctStart       float64 // fraction of the cycle spent warming up, in (0, 1); 0 means 0.3
	DivFactor      float64 // lr₀ = base/DivFactor; 0 means 25
	FinalDivFactor float64 // lr_min = lr₀/FinalDivFactor; 0 means 1e4
	Steps          int     // steps in the cycle; 0 means the whole run
}

// params returns the fields with the defaults filled in.
func (s OneCycle) params() (pct, div, final float64) {
	pct, div, final = s.PctStart, s.DivFactor, s.FinalDivFactor
	if pct == 0 {
		pct = 0.3
	}
	if div == 0 {
		div = 25
	}
	if final == 0 {
		final = 1e4
	}
	return pct, div, final
}

// StepLR implements BatchSchedule. It returns NaN when the cycle has fewer
// than 2 steps or a field is out of range, which Fit reports.
func (s OneCycle) StepLR(base float32, step, total int) float32 {
	if s.Steps > 0 {
		total = s.Steps
	}
	pct, div, final := s.params()
	if total < 2 || !(pct > 0 && pct < 1) || !(div > 0) || !(final > 0) || step < 0 {
		return float32(math.NaN())
	}
	peak := float64(base)
	lr0 := peak / div
	lrMin := lr0 / final
	warm := pct*float64(total) - 1
	last := float64(total - 1)
	st := math.Min(float64(step), last)
	anneal := func(from, to, f float64) float64 { return to + (from-to)*(1+math.Cos(math.Pi*f))/2 }
	if st <= warm && warm > 0 {
		return float32(anneal(lr0, peak, st/warm))
	}
	return float32(anneal(peak, lrMin, (st-warm)/(last-warm)))
}

// LR implements Schedule: the rate of epoch e as step e of a cycle of
// Steps epochs.
func (s OneCycle) LR(base float32, e int) float32 {
	if s.Steps == 0 {
		return float32(math.NaN())
	}
	return s.StepLR(base, e, s.Steps)
}

// String describes the schedule, e.g. "one-cycle (warm-up 30% from
// lr/25, down to lr/2.5e+05) per step".
func (s OneCycle) String() string {
	pct, div, final := s.params()
	str := fmt.Sprintf("one-cycle (warm-up %g%% from lr/%g, down to lr/%g) per step", 100*pct, div, div*final)
	if s.Steps > 0 {
		str += fmt.Sprintf(" over %d steps", s.Steps)
	}
	return str
}
