package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/myelin-go/myelin/internal/progress"
	"github.com/myelin-go/myelin/nn"
	"github.com/myelin-go/myelin/nn/plot"
)

// errInterrupted is returned by run after Ctrl-C, once the checkpoint is
// saved; main exits with status 130 without another message.
var errInterrupted = errors.New("interrupted")

// interruptedPath is where Ctrl-C saves the checkpoint without -checkpoint.
const interruptedPath = "mnist-interrupted.safetensors"

// Keys of the checkpoint's Extra map.
const (
	extraRun     = "run"            // the flags a resumed run must repeat (runKey)
	extraHistory = "history"        // the statistics of the finished epochs (encodeHistory)
	extraStop    = "early_stopping" // the EarlyStopping record, JSON
)

// fit trains tr on train for c.epochs epochs in all, evaluating on the
// test set, or with -patience on a validation split of train with early
// stopping and on the test set once at the end; it writes the outputs the
// flags ask for.
func fit(ctx context.Context, c config, tr *nn.Trainer, train, test nn.Dataset, stdout, stderr io.Writer) error {
	eval, evalName := test, "test"
	if c.patience > 0 {
		var err error
		if train, eval, err = train.Split(c.val, c.seed); err != nil {
			return fmt.Errorf("-val: %w", err)
		}
		evalName = "validation"
		tr.EarlyStopping = &nn.EarlyStopping{Patience: c.patience, MinDelta: c.minDelta}
	}
	var history []nn.EpochStats
	if c.resume != "" {
		var err error
		if history, err = resume(c, tr); err != nil {
			return fmt.Errorf("-resume: %w", err)
		}
		if tr.Start.Epoch >= c.epochs {
			return fmt.Errorf("-resume: %s is at the end of epoch %d, and -epochs is %d: nothing left to train (raise -epochs)", c.resume, tr.Start.Epoch, c.epochs)
		}
	}
	rep := &reporter{w: stdout, json: c.json, epochs: c.epochs, evalName: evalName}
	if !c.json {
		fmt.Fprintf(stdout, "backend %s: %s\n", tr.Model.Backend().Name(), tr.Model.Backend().Device())
		fmt.Fprintf(stdout, "model %s, %d parameters; %s, batch %d, %s, random shifts ≤ %d px; %d training and %d %s images\n",
			c.model, tr.Model.NumParams(), tr.Optimizer, c.batch, scheduleString(tr.Schedule), c.shift, train.Len(), eval.Len(), evalName)
		if tr.Start != (nn.Position{}) {
			fmt.Fprintf(stdout, "resuming after %d epochs and %d batches\n", tr.Start.Epoch, tr.Start.Batch)
		}
		if progress.IsTerminal(stderr) {
			tr.OnBatch = rep.progressBar(progress.New(stderr, "img"))
		}
	}
	tr.OnEpoch = func(s nn.EpochStats) error {
		history = append(history, s)
		if err := rep.epoch(s); err != nil {
			return err
		}
		if c.checkpoint == "" {
			return nil
		}
		return saveCheckpoint(c.checkpoint, c, tr, nn.Position{Epoch: s.Epoch}, history)
	}
	_, pos, err := tr.FitContext(ctx, train, c.epochs, &eval)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		path := c.checkpoint
		if path == "" {
			path = interruptedPath
		}
		if err := saveCheckpoint(path, c, tr, pos, history); err != nil {
			return fmt.Errorf("interrupted, and saving the checkpoint failed: %w", err)
		}
		fmt.Fprintf(stderr, "\ninterrupted after %d epochs and %d batches; checkpoint saved to %s; continue with -resume %s\n",
			pos.Epoch, pos.Batch, path, path)
		return errInterrupted
	}
	if err != nil {
		return err
	}
	finalAcc := math.NaN()
	if len(history) > 0 {
		finalAcc = history[len(history)-1].TestAcc
	}
	if es := tr.EarlyStopping; es != nil {
		loss, acc, err := tr.Evaluate(test)
		if err != nil {
			return err
		}
		if err := rep.result(es, loss, acc); err != nil {
			return err
		}
		finalAcc = acc
	}
	if c.plot != "" {
		if err := plot.Curves(c.plot, history, evalName); err != nil {
			return err
		}
	}
	if c.save != "" {
		if err := nn.SaveWeights(tr.Model, c.save); err != nil {
			return fmt.Errorf("-save: %w", err)
		}
	}
	if !c.json {
		trainSeconds := 0.0
		for _, s := range history {
			trainSeconds += s.Seconds
		}
		fmt.Fprintln(stdout, timeToAccuracy(finalAcc, len(history), trainSeconds))
	}
	return nil
}

// evaluate prints the loss and accuracy of tr's model on the test set.
func evaluate(c config, tr *nn.Trainer, test nn.Dataset, stdout io.Writer) error {
	loss, acc, err := tr.Evaluate(test)
	if err != nil {
		return err
	}
	if c.json {
		return json.NewEncoder(stdout).Encode(struct {
			TestLoss float64 `json:"test_loss"`
			TestAcc  float64 `json:"test_acc"`
		}{loss, acc})
	}
	_, err = fmt.Fprintf(stdout, "%s on %d test images: loss %.4f, accuracy %.2f%%\n", c.load, test.Len(), loss, 100*acc)
	return err
}

// runKey lists the flags on which a checkpoint's position depends; a
// resumed run must repeat them.
func runKey(c config) string {
	return fmt.Sprintf("-model %s -optimizer %s -batch %d -limit %d -shift %d -patience %d -val %g -schedule %s -lr-decay %g",
		c.model, c.optimizer, c.batch, c.limit, c.shift, c.patience, c.val, c.schedule, c.lrDecay)
}

// saveCheckpoint writes a checkpoint of tr at pos with the run's flags,
// the finished epochs' statistics and the early-stopping record.
func saveCheckpoint(path string, c config, tr *nn.Trainer, pos nn.Position, history []nn.EpochStats) error {
	extra := map[string]string{extraRun: runKey(c), extraHistory: encodeHistory(history)}
	if es := tr.EarlyStopping; es != nil {
		js, err := json.Marshal(es)
		if err != nil {
			return fmt.Errorf("checkpoint: early stopping: %w", err)
		}
		extra[extraStop] = string(js)
	}
	ck := nn.Checkpoint{Epoch: pos.Epoch, Batch: pos.Batch, Seed: c.seed, LR: tr.Optimizer.LR(), Extra: extra}
	if err := nn.SaveCheckpoint(path, tr.Model, tr.Optimizer, ck); err != nil {
		return fmt.Errorf("-checkpoint: %w", err)
	}
	return nil
}

// resume loads the checkpoint c.resume into tr, sets tr.Start and the
// early-stopping record, and returns the statistics of the epochs done.
func resume(c config, tr *nn.Trainer) ([]nn.EpochStats, error) {
	ck, err := nn.LoadCheckpoint(c.resume, tr.Model, tr.Optimizer)
	if err != nil {
		return nil, err
	}
	if ck.Seed != c.seed {
		return nil, fmt.Errorf("%s was written with -seed %d, not %d: pass the same seed", c.resume, ck.Seed, c.seed)
	}
	if run := ck.Extra[extraRun]; run != runKey(c) {
		return nil, fmt.Errorf("%s was written by a run with\n\t%s\nnot\n\t%s\npass the same flags", c.resume, run, runKey(c))
	}
	history, err := decodeHistory(ck.Extra[extraHistory])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.resume, err)
	}
	if es := tr.EarlyStopping; es != nil {
		if err := json.Unmarshal([]byte(ck.Extra[extraStop]), es); err != nil {
			return nil, fmt.Errorf("%s: early-stopping record: %w", c.resume, err)
		}
		es.Patience, es.MinDelta = c.patience, c.minDelta
	}
	tr.Start = nn.Position{Epoch: ck.Epoch, Batch: ck.Batch}
	return history, nil
}

// encodeHistory writes the statistics one epoch a line, as numbers that
// keep NaN (which JSON cannot hold).
func encodeHistory(h []nn.EpochStats) string {
	var sb strings.Builder
	for _, s := range h {
		fmt.Fprintf(&sb, "%d", s.Epoch)
		for _, v := range []float64{s.TrainLoss, s.TrainAcc, s.TestLoss, s.TestAcc, s.Seconds, s.ImagesPerSec} {
			sb.WriteByte(' ')
			sb.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// decodeHistory reads what encodeHistory wrote.
func decodeHistory(s string) ([]nn.EpochStats, error) {
	var h []nn.EpochStats
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		var v [6]float64
		epoch, err := strconv.Atoi(f[0])
		for i := 0; err == nil && i < len(v); i++ {
			if len(f) != 1+len(v) {
				err = fmt.Errorf("%d fields, want %d", len(f), 1+len(v))
				break
			}
			v[i], err = strconv.ParseFloat(f[1+i], 64)
		}
		if err != nil {
			return nil, fmt.Errorf("epoch history line %q: %v", line, err)
		}
		h = append(h, nn.EpochStats{Epoch: epoch, TrainLoss: v[0], TrainAcc: v[1], TestLoss: v[2], TestAcc: v[3], Seconds: v[4], ImagesPerSec: v[5]})
	}
	return h, nil
}

// scheduleString describes s, or the constant rate when it is nil.
func scheduleString(s nn.Schedule) string {
	if s == nil {
		return "constant learning rate"
	}
	return s.String()
}
