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

	"github.com/myelin-go/myelin/internal/atomicfile"
	"github.com/myelin-go/myelin/internal/jsonfloat"
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
	extraFlags   = "flags"          // the values of runFlags, a JSON object
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
	if c.checkpoint == "" {
		if err := atomicfile.CheckWritable(interruptedPath); err != nil {
			fmt.Fprintf(stderr, "mnist: note: Ctrl-C or SIGTERM could not save a checkpoint to %s (%v); pass -checkpoint FILE to choose where\n", interruptedPath, err)
		}
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
	// The optimizer's rate for the next epoch, or with a per-batch schedule
	// for the next step, as Fit sets it (a resumed run's -lr equals the
	// checkpoint's), so that the banner shows it; with a constant rate Fit
	// leaves it alone.
	lr := tr.BaseLR
	switch s := tr.Schedule.(type) {
	case nil:
	case nn.BatchSchedule:
		batches := (train.Len() + tr.BatchSize - 1) / tr.BatchSize
		lr = s.StepLR(tr.BaseLR, tr.Start.Epoch*batches+tr.Start.Batch, c.epochs*batches)
	default:
		lr = s.LR(tr.BaseLR, tr.Start.Epoch)
	}
	tr.Optimizer.SetLR(lr)
	rep := &reporter{w: stdout, json: c.json, epochs: c.epochs, evalName: evalName}
	if !c.json {
		fmt.Fprintf(stdout, "backend %s: %s\n", tr.Model.Backend().Name(), tr.Model.Backend().Device())
		fmt.Fprintf(stdout, "model %s, %d parameters; %s, batch %d, %s, random shifts ≤ %d px; %d training and %d %s images\n",
			c.model, nn.NumParams(tr.Model), tr.Optimizer, c.batch, scheduleString(tr.Schedule), c.shift, train.Len(), eval.Len(), evalName)
		if tr.Start != (nn.Position{}) {
			fmt.Fprintf(stdout, "resuming after %d epochs and %d batches\n", tr.Start.Epoch, tr.Start.Batch)
		}
		if progress.IsTerminal(stderr) {
			tr.OnBatch = rep.progressBar(progress.New(stderr, "img"))
		}
	}
	// A checkpoint that cannot be written is reported and training goes
	// on: the error is returned at the end, unless a later one is written.
	var ckErr error
	tr.OnEpoch = func(s nn.EpochStats) error {
		history = append(history, s)
		if err := rep.epoch(s); err != nil {
			return err
		}
		if c.checkpoint == "" {
			return nil
		}
		if ckErr = saveCheckpoint(c.checkpoint, c, tr, nn.Position{Epoch: s.Epoch}, history); ckErr != nil {
			fmt.Fprintf(stderr, "mnist: %v; training goes on\n", ckErr)
		}
		return nil
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
	// Every output is attempted; the errors are returned together.
	errs := []error{ckErr}
	if es := tr.EarlyStopping; es != nil {
		loss, acc, err := tr.Evaluate(test)
		if err == nil {
			finalAcc = acc
			err = rep.result(es, loss, acc)
		}
		errs = append(errs, err)
	}
	if c.plot != "" {
		if err := plot.Curves(c.plot, history, evalName); err != nil {
			errs = append(errs, fmt.Errorf("-plot: %w", err))
		}
	}
	if c.save != "" {
		if err := nn.SaveWeights(tr.Model, c.save); err != nil {
			errs = append(errs, fmt.Errorf("-save: %w", err))
		}
	}
	if !c.json {
		trainSeconds := 0.0
		for _, s := range history {
			trainSeconds += s.Seconds
		}
		fmt.Fprintln(stdout, timeToAccuracy(finalAcc, len(history), trainSeconds))
	}
	return errors.Join(errs...)
}

// evaluate prints the loss and accuracy of tr's model on the test set.
func evaluate(c config, tr *nn.Trainer, test nn.Dataset, stdout io.Writer) error {
	loss, acc, err := tr.Evaluate(test)
	if err != nil {
		return err
	}
	if c.json {
		return json.NewEncoder(stdout).Encode(struct {
			TestLoss jsonfloat.Float `json:"test_loss"`
			TestAcc  float64         `json:"test_acc"`
		}{jsonfloat.Float(loss), acc})
	}
	_, err = fmt.Fprintf(stdout, "%s on %d test images: loss %.4f, accuracy %.2f%%\n", c.load, test.Len(), loss, 100*acc)
	return err
}

// runFlags lists every flag that changes the course of a run, with its
// value in c as a checkpoint records it: -resume refuses a run whose values
// differ from those of the run that wrote the checkpoint. The value is ""
// where the flag has no effect on the run (-momentum with adam, -lr-decay
// with cosine, -epochs except with cosine and onecycle, -beta1 and -beta2
// except with adam and adamw, -val and -min-delta without -patience), so
// that it may change there. -fast is not listed: the flags it sets are. -lr is the rate used, so that 0
// and the optimizer's default are the same. Not listed, as they may change
// between the parts of a run: -backend (checkpoints move between backends),
// -data, -download, -checkpoint, -plot, -save, -json, and -epochs otherwise.
var runFlags = []struct {
	name  string
	value func(c config) string
}{
	{"model", func(c config) string { return c.model }},
	{"optimizer", func(c config) string { return c.optimizer }},
	{"lr", func(c config) string { return strconv.FormatFloat(float64(baseLR(c)), 'g', -1, 32) }},
	{"momentum", func(c config) string {
		if c.optimizer != "momentum" && c.optimizer != "nesterov" {
			return ""
		}
		return formatFloat(c.momentum)
	}},
	{"schedule", func(c config) string { return c.schedule }},
	{"lr-decay", func(c config) string {
		if c.schedule != "exp" && !strings.HasPrefix(c.schedule, "step:") {
			return ""
		}
		return formatFloat(c.lrDecay)
	}},
	{"epochs", func(c config) string {
		if c.schedule != "cosine" && c.schedule != "onecycle" {
			return ""
		}
		return strconv.Itoa(c.epochs) // the length of the cosine or the cycle
	}},
	{"beta1", func(c config) string {
		if c.optimizer != "adam" && c.optimizer != "adamw" {
			return ""
		}
		return formatFloat(c.beta1)
	}},
	{"beta2", func(c config) string {
		if c.optimizer != "adam" && c.optimizer != "adamw" {
			return ""
		}
		return formatFloat(c.beta2)
	}},
	{"label-smoothing", func(c config) string { return formatFloat(c.labelSmoothing) }},
	{"batch", func(c config) string { return strconv.Itoa(c.batch) }},
	{"limit", func(c config) string { return strconv.Itoa(c.limit) }},
	{"shift", func(c config) string { return strconv.Itoa(c.shift) }},
	{"seed", func(c config) string { return strconv.FormatInt(c.seed, 10) }},
	{"patience", func(c config) string { return strconv.Itoa(c.patience) }},
	{"val", func(c config) string {
		if c.patience == 0 {
			return ""
		}
		return formatFloat(c.val)
	}},
	{"min-delta", func(c config) string {
		if c.patience == 0 {
			return ""
		}
		return formatFloat(c.minDelta)
	}},
}

// formatFloat formats a flag's value as the shortest decimal that parses
// back to it.
func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// flagValues returns the values of runFlags in c.
func flagValues(c config) map[string]string {
	m := make(map[string]string, len(runFlags))
	for _, f := range runFlags {
		m[f.name] = f.value(c)
	}
	return m
}

// compareFlags returns an error naming every flag of runFlags whose value
// in c differs from the value saved (decoded from a checkpoint's
// extraFlags), with both values.
func compareFlags(path string, saved map[string]string, c config) error {
	var diffs []string
	for _, f := range runFlags {
		was, ok := saved[f.name]
		if now := f.value(c); !ok || was != now {
			if !ok {
				was = "(not recorded)"
			}
			diffs = append(diffs, fmt.Sprintf("\t-%s: %s in the checkpoint, %s given", f.name, unused(was), unused(now)))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("%s was written by a run with other flags; pass the checkpoint's values to continue it (or start a new run without -resume):\n%s",
		path, strings.Join(diffs, "\n"))
}

// unused shows the value "" of a flag that has no effect as such.
func unused(v string) string {
	if v == "" {
		return "(no effect)"
	}
	return v
}

// stopRecord is the early-stopping record a checkpoint keeps (the fields
// of nn.EarlyStopping that Fit fills in; the settings come from the flags,
// which -resume compares). BestLoss may be NaN when the run diverged.
type stopRecord struct {
	BestEpoch int
	BestLoss  jsonfloat.Float
	Wait      int
	Stopped   int
}

// stopRecordOf returns the record of es.
func stopRecordOf(es *nn.EarlyStopping) stopRecord {
	return stopRecord{es.BestEpoch, jsonfloat.Float(es.BestLoss), es.Wait, es.Stopped}
}

// saveCheckpoint writes a checkpoint of tr at pos with the run's flags,
// the finished epochs' statistics and the early-stopping record.
func saveCheckpoint(path string, c config, tr *nn.Trainer, pos nn.Position, history []nn.EpochStats) error {
	flags, err := json.Marshal(flagValues(c))
	if err != nil {
		return fmt.Errorf("-checkpoint: flags: %w", err)
	}
	extra := map[string]string{extraFlags: string(flags), extraHistory: encodeHistory(history)}
	if es := tr.EarlyStopping; es != nil {
		js, err := json.Marshal(stopRecordOf(es))
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
	// The flags and metadata are checked before the tensors are loaded, so
	// that a run with another -model or -optimizer hears which flag differs.
	ck, err := nn.ReadCheckpoint(c.resume)
	if err != nil {
		return nil, err
	}
	var saved map[string]string
	if err := json.Unmarshal([]byte(ck.Extra[extraFlags]), &saved); err != nil {
		return nil, fmt.Errorf("%s does not record the flags of its run as cmd/mnist writes them (%v): it cannot be continued by this command", c.resume, err)
	}
	if err := compareFlags(c.resume, saved, c); err != nil {
		return nil, err
	}
	if ck.Seed != c.seed {
		return nil, fmt.Errorf("%s: the checkpoint's seed %d differs from its recorded -seed %s: the file is inconsistent", c.resume, ck.Seed, saved["seed"])
	}
	history, err := decodeHistory(ck.Extra[extraHistory])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.resume, err)
	}
	// The history holds one line per finished epoch, epochs 1 to ck.Epoch.
	for i, s := range history {
		if s.Epoch != i+1 {
			return nil, fmt.Errorf("%s: the epoch history lists epoch %d in place %d: the file is inconsistent", c.resume, s.Epoch, i+1)
		}
	}
	if len(history) != ck.Epoch {
		return nil, fmt.Errorf("%s: the checkpoint is at the end of epoch %d, but its history holds %d epochs: the file is inconsistent", c.resume, ck.Epoch, len(history))
	}
	if _, err := nn.LoadCheckpoint(c.resume, tr.Model, tr.Optimizer); err != nil {
		return nil, err
	}
	if es := tr.EarlyStopping; es != nil {
		var rec stopRecord
		if err := json.Unmarshal([]byte(ck.Extra[extraStop]), &rec); err != nil {
			return nil, fmt.Errorf("%s: early-stopping record: %w", c.resume, err)
		}
		es.BestEpoch, es.BestLoss, es.Wait, es.Stopped = rec.BestEpoch, float64(rec.BestLoss), rec.Wait, rec.Stopped
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
