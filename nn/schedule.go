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
