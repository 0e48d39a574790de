package nn

import (
	"fmt"
	"math"
)

// EarlyStopping stops a Trainer's Fit when the loss on the evaluation set
// (a validation split, see Dataset.Split) has stopped improving, and puts
// back the weights of the best epoch. An epoch improves when its
// evaluation loss is below BestLoss − MinDelta; Fit stops after Patience
// epochs in a row without improvement, and when it ends (stopped or after
// its last epoch) it restores the parameters and buffers (BatchNorm's
// running statistics) of epoch BestEpoch, kept as a copy on the device.
//
// Fit fills in BestEpoch, BestLoss, Wait and Stopped. They carry over to
// a Fit that resumes (Trainer.Start after 0 epochs resets them), so that an
// interrupted run continues with the same record; the copy of the best
// weights lives only in memory, so a run resumed from a checkpoint file
// restores the best weights it saw itself, or keeps the last ones when the
// best epoch came before the checkpoint.
type EarlyStopping struct {
	Patience int     // epochs in a row without improvement before stopping, at least 1
	MinDelta float64 // least decrease of the evaluation loss that counts as an improvement, at least 0

	BestEpoch int     // 1-based epoch of the lowest evaluation loss so far, 0 before the first
	BestLoss  float64 // that loss
	Wait      int     // epochs since BestEpoch
	Stopped   int     // epoch after which Fit stopped early, 0 when it did not

	best *snapshot // the weights of BestEpoch, when this process saw it
}

// check returns an error unless the settings are valid.
func (e *EarlyStopping) check() error {
	switch {
	case e.Patience < 1:
		return fmt.Errorf("nn: EarlyStopping.Patience = %d, want at least 1", e.Patience)
	case !(e.MinDelta >= 0) || math.IsInf(e.MinDelta, 0):
		return fmt.Errorf("nn: EarlyStopping.MinDelta = %g, want a finite value ≥ 0", e.MinDelta)
	}
	return nil
}

// reset forgets the record of an earlier Fit.
func (e *EarlyStopping) reset() {
	e.BestEpoch, e.BestLoss, e.Wait, e.Stopped = 0, 0, 0, 0
	e.release()
}

// observe records the evaluation loss of epoch for model m, keeping a copy
// of m's weights when it improves, and reports whether to stop.
func (e *EarlyStopping) observe(epoch int, loss float64, m Model) (stop bool) {
	if e.BestEpoch == 0 || loss < e.BestLoss-e.MinDelta {
		e.BestEpoch, e.BestLoss, e.Wait = epoch, loss, 0
		if e.best == nil {
			e.best = newSnapshot(m, nil)
		} else {
			e.best.take()
		}
		return false
	}
	e.Wait++
	if e.Wait >= e.Patience {
		e.Stopped = epoch
		return true
	}
	return false
}

// finish restores the best weights into m when they are not the current
// ones and frees their copy.
func (e *EarlyStopping) finish(lastEpoch int) {
	if e.best != nil && e.BestEpoch != lastEpoch {
		e.best.restore()
	}
	e.release()
}

// release frees the copy of the best weights.
func (e *EarlyStopping) release() {
	if e.best != nil {
		e.best.free()
		e.best = nil
	}
}
