package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/myelin-go/myelin/internal/jsonfloat"
	"github.com/myelin-go/myelin/internal/progress"
	"github.com/myelin-go/myelin/nn"
)

// epochRecord is the JSON object printed per epoch with -json. The
// evaluation is on the test set (test_loss, test_acc), or with -patience
// on the validation split (val_loss, val_acc). A loss that is not finite
// (a diverged run) is written as the string "NaN", "+Inf" or "-Inf".
type epochRecord struct {
	Epoch        int              `json:"epoch"`
	TrainLoss    jsonfloat.Float  `json:"train_loss"`
	TrainAcc     float64          `json:"train_acc"`
	TestLoss     *jsonfloat.Float `json:"test_loss,omitempty"`
	TestAcc      *float64         `json:"test_acc,omitempty"`
	ValLoss      *jsonfloat.Float `json:"val_loss,omitempty"`
	ValAcc       *float64         `json:"val_acc,omitempty"`
	Seconds      float64          `json:"seconds"`
	ImagesPerSec float64          `json:"images_per_sec"`
	TrainSeconds float64          `json:"train_seconds"` // training only, this epoch (= seconds)
	WallSeconds  float64          `json:"wall_seconds"`  // since the program started
}

// resultRecord is the JSON object printed after training with -patience.
type resultRecord struct {
	BestEpoch    int             `json:"best_epoch"`
	StoppedEpoch int             `json:"stopped_epoch"` // 0 when all epochs ran
	TestLoss     jsonfloat.Float `json:"test_loss"`
	TestAcc      float64         `json:"test_acc"`
}

// reporter prints what training reports, as text or JSON.
type reporter struct {
	w        io.Writer
	json     bool
	epochs   int
	evalName string // "test" or "validation"
}

// epoch prints the summary of one epoch: a line of text or an epochRecord.
func (r *reporter) epoch(s nn.EpochStats) error {
	if r.json {
		testLoss := jsonfloat.Float(s.TestLoss)
		rec := epochRecord{Epoch: s.Epoch, TrainLoss: jsonfloat.Float(s.TrainLoss), TrainAcc: s.TrainAcc, Seconds: s.Seconds, ImagesPerSec: s.ImagesPerSec,
			TrainSeconds: s.Seconds, WallSeconds: time.Since(started).Seconds()}
		if r.evalName == "test" {
			rec.TestLoss, rec.TestAcc = &testLoss, &s.TestAcc
		} else {
			rec.ValLoss, rec.ValAcc = &testLoss, &s.TestAcc
		}
		return json.NewEncoder(r.w).Encode(rec)
	}
	name := "test"
	if r.evalName != "test" {
		name = "val"
	}
	_, err := fmt.Fprintf(r.w, "epoch %d/%d  loss %.4f  train %.2f%%  %s loss %.4f  %s %.2f%%  %.1f s  %.0f img/s\n",
		s.Epoch, r.epochs, s.TrainLoss, 100*s.TrainAcc, name, s.TestLoss, name, 100*s.TestAcc, s.Seconds, s.ImagesPerSec)
	return err
}

// result prints the outcome of early stopping and the test-set evaluation
// of the weights kept.
func (r *reporter) result(es *nn.EarlyStopping, testLoss, testAcc float64) error {
	if r.json {
		return json.NewEncoder(r.w).Encode(resultRecord{es.BestEpoch, es.Stopped, jsonfloat.Float(testLoss), testAcc})
	}
	if es.Stopped != 0 {
		fmt.Fprintf(r.w, "stopped after epoch %d: no improvement for %d epochs\n", es.Stopped, es.Patience)
	}
	_, err := fmt.Fprintf(r.w, "best epoch %d (validation loss %.4f): test loss %.4f  test %.2f%%\n", es.BestEpoch, es.BestLoss, testLoss, 100*testAcc)
	return err
}

// progressBar returns a Trainer.OnBatch callback that draws bar with the
// epoch, the running loss and the time left in the epoch, and clears it
// when the epoch ends so that the summary line takes its place.
func (r *reporter) progressBar(bar *progress.Bar) func(nn.Progress) {
	return func(p nn.Progress) {
		if p.Samples >= p.Total {
			bar.Clear()
			return
		}
		bar.Update(fmt.Sprintf("epoch %d/%d", p.Epoch, r.epochs), p.Samples, p.Total, p.Elapsed, fmt.Sprintf("loss %.4f", p.Loss))
	}
}

// elapsed formats a duration in seconds for the range test and gradient
// check reports.
func elapsed(start time.Time) string {
	return fmt.Sprintf("%.1f s", time.Since(start).Seconds())
}
