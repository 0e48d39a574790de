// Command charlm trains a character-level language model — Embedding 64 →
// GRU or LSTM 256 → a dense layer to the vocabulary at every step — on a
// text file, reports the validation bits per character after every epoch,
// and samples text from it.
//
//	go run ./cmd/charlm                                # GRU, 1 epoch on Opticks
//	go run ./cmd/charlm -cell lstm -epochs 2 -json
//	go run ./cmd/charlm -epochs 4 -save lm.safetensors
//	go run ./cmd/charlm -load lm.safetensors -epochs 0 -sample 400 -prompt "Light" -temperature 0.8
//
// The text is $(go env GOROOT)/src/testdata/Isaac.Newton-Opticks.txt by
// default (public domain, in every Go toolchain), or -text FILE. Its bytes
// are the tokens; the first 90% train and the last 10% validate. Each epoch
// has len(train)/(batch·seq) steps; each step trains on batch windows of
// seq+1 characters starting at random offsets, predicting the next
// character at every position, with Adam and gradient clipping by global
// norm. Validation reads consecutive windows of seq characters and reports
// the mean cross-entropy in bits per character. This is the setup of
// shared/anchors/torch_charlm.py, so the numbers compare with PyTorch's.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/myelin-go/myelin/backend"
	_ "github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/internal/atomicfile"
	"github.com/myelin-go/myelin/internal/jsonfloat"
	"github.com/myelin-go/myelin/internal/progress"
	"github.com/myelin-go/myelin/nn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, context.Canceled):
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "charlm:", err)
		os.Exit(2)
	}
}

// config holds the parsed command line.
type config struct {
	text, cell, backend, save, load, prompt string
	epochs, batch, seq, embed, hidden       int
	sample                                  int
	lr, clip, temperature                   float64
	seed                                    int64
	json, verbose                           bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("charlm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.text, "text", "", "text file to learn (default $(go env GOROOT)/src/testdata/Isaac.Newton-Opticks.txt)")
	fs.StringVar(&c.cell, "cell", "gru", "recurrent cell: gru or lstm")
	fs.StringVar(&c.backend, "backend", "", `compute backend: auto, cpu or cuda (default $`+backend.EnvVar+`, else auto)`)
	fs.IntVar(&c.epochs, "epochs", 1, "training epochs (0 with -load: evaluate and sample only)")
	fs.IntVar(&c.batch, "batch", 64, "windows per step")
	fs.IntVar(&c.seq, "seq", 100, "characters per window")
	fs.IntVar(&c.embed, "embed", 64, "embedding size")
	fs.IntVar(&c.hidden, "hidden", 256, "hidden size of the recurrent layer")
	fs.Float64Var(&c.lr, "lr", 2e-3, "Adam's learning rate")
	fs.Float64Var(&c.clip, "clip", 5, "clip the gradients to this global 2-norm")
	fs.Int64Var(&c.seed, "seed", 1, "seed of the weights, the windows and the sampling")
	fs.StringVar(&c.save, "save", "", "write the trained weights to FILE (safetensors)")
	fs.StringVar(&c.load, "load", "", "start from the weights in FILE (from -save, trained on the same text)")
	fs.IntVar(&c.sample, "sample", 0, "after training, generate N characters")
	fs.StringVar(&c.prompt, "prompt", "Light", "with -sample: the text to start from")
	fs.Float64Var(&c.temperature, "temperature", 0.8, "with -sample: divide the logits by this (lower is more conservative)")
	fs.BoolVar(&c.json, "json", false, "print JSON objects on stdout instead of text, and no progress bar")
	fs.BoolVar(&c.verbose, "v", false, "verbose: also say which backends -backend auto passed over, and why")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q (flags only; see -help)", fs.Args())
	}
	switch {
	case c.cell != "gru" && c.cell != "lstm":
		return c, fmt.Errorf("-cell %q: want gru or lstm", c.cell)
	case c.epochs < 0 || c.epochs == 0 && c.load == "":
		return c, fmt.Errorf("-epochs %d: want at least 1 (or 0 with -load)", c.epochs)
	case c.batch < 1 || c.seq < 1 || c.embed < 1 || c.hidden < 1:
		return c, errors.New("-batch, -seq, -embed and -hidden must be at least 1")
	case !(c.lr > 0) || math.IsInf(c.lr, 0):
		return c, fmt.Errorf("-lr %g: want a positive rate", c.lr)
	case !(c.clip > 0) || math.IsInf(c.clip, 0):
		return c, fmt.Errorf("-clip %g: want a positive norm", c.clip)
	case c.sample < 0:
		return c, fmt.Errorf("-sample %d: want 0 (none) or a number of characters", c.sample)
	case !(c.temperature > 0) || math.IsInf(c.temperature, 0):
		return c, fmt.Errorf("-temperature %g: want a positive number", c.temperature)
	case c.sample > 0 && c.prompt == "":
		return c, errors.New("-prompt is empty: sampling needs at least one character to start from")
	}
	return c, nil
}

// defaultText returns the path of Opticks in the Go toolchain's testdata.
func defaultText() (string, error) {
	root := os.Getenv("GOROOT")
	if root == "" {
		if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
			root = strings.TrimSpace(string(out))
		}
	}
	if root == "" {
		root = runtime.GOROOT()
	}
	if root == "" {
		return "", errors.New("cannot find the Go toolchain (GOROOT) for the default text; pass -text FILE")
	}
	return filepath.Join(root, "src", "testdata", "Isaac.Newton-Opticks.txt"), nil
}

// corpus is a text as tokens: its distinct bytes, sorted, are the
// vocabulary.
type corpus struct {
	vocab      []byte
	index      [256]int32 // token of each byte, −1 if absent
	train, val []int32
}

// newCorpus tokenises raw and splits it 90:10, as torch_charlm.py does.
func newCorpus(raw []byte, seq int) (*corpus, error) {
	c := &corpus{}
	seen := [256]bool{}
	for _, ch := range raw {
		seen[ch] = true
	}
	for i := range c.index {
		c.index[i] = -1
		if seen[i] {
			c.index[i] = int32(len(c.vocab))
			c.vocab = append(c.vocab, byte(i))
		}
	}
	data := make([]int32, len(raw))
	for i, ch := range raw {
		data[i] = c.index[ch]
	}
	n := int(float64(len(data)) * 0.9)
	c.train, c.val = data[:n], data[n:]
	if len(c.train) < seq+2 || len(c.val) < seq+1 {
		return nil, fmt.Errorf("the text has %d characters: too short for windows of %d (need %d)", len(raw), seq, 10*(seq+2))
	}
	return c, nil
}

// newModel builds Embedding → GRU/LSTM (every step) → TimeDense for
// windows of seq characters.
func newModel(b backend.Backend, c config, vocab, seq int) (*nn.Sequential, error) {
	var cell nn.Layer = &nn.GRU{Hidden: c.hidden, Sequence: true}
	if c.cell == "lstm" {
		cell = &nn.LSTM{Hidden: c.hidden, Sequence: true}
	}
	return nn.NewSequential(b, []int{seq}, c.seed, &nn.Embedding{Vocab: vocab, Dim: c.embed}, cell, &nn.TimeDense{Units: vocab})
}

// batchData are the device tensors of one batch of windows.
type batchData struct {
	x, labels, target backend.Tensor // tokens [N, T], next tokens [N, T], their one-hot [N, T, V]
	xs, ys            []int32
}

func newBatchData(b backend.Backend, n, seq, vocab int) *batchData {
	return &batchData{
		x: backend.AllocInt32(b, n, seq), labels: backend.AllocInt32(b, n, seq), target: b.Alloc(n, seq, vocab),
		xs: make([]int32, n*seq), ys: make([]int32, n*seq),
	}
}

// upload sends xs and ys to the device and one-hot encodes the labels.
func (d *batchData) upload(b backend.Backend) {
	backend.UploadInt32(b, d.x, d.xs)
	backend.UploadInt32(b, d.labels, d.ys)
	backend.OneHot(b, d.labels, d.target)
}

// epochRecord is the JSON object printed per epoch with -json; a loss
// that is not finite (a diverged run) is the string "NaN" or "+Inf".
type epochRecord struct {
	Epoch       int             `json:"epoch"`
	TrainLoss   jsonfloat.Float `json:"train_loss"` // mean cross-entropy in nats
	ValBPC      jsonfloat.Float `json:"val_bpc"`
	Seconds     float64         `json:"seconds"`
	CharsPerSec float64         `json:"chars_per_sec"`
	Steps       int             `json:"steps"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	// A -save that cannot be written fails now, not after the training.
	if c.save != "" {
		if err := atomicfile.CheckWritable(c.save); err != nil {
			return fmt.Errorf("-save %s: %w", c.save, err)
		}
	}
	if c.text == "" {
		if c.text, err = defaultText(); err != nil {
			return err
		}
	}
	raw, err := os.ReadFile(c.text)
	if err != nil {
		return err
	}
	cor, err := newCorpus(raw, c.seq)
	if err != nil {
		return fmt.Errorf("-text %s: %w", c.text, err)
	}
	b, skipped, err := backend.OpenReport(c.backend)
	if err != nil {
		return err
	}
	defer b.Close()
	// As in cmd/mnist: why auto passed over a backend is news with -v, or
	// in a build that has more than the CPU backend.
	if c.verbose || len(backend.Names()) > 1 {
		for _, why := range skipped {
			fmt.Fprintf(stderr, "backend auto: skipped %v\n", why)
		}
	}
	V := len(cor.vocab)
	model, err := newModel(b, c, V, c.seq)
	if err != nil {
		return err
	}
	if c.load != "" {
		if err := nn.LoadWeights(model, c.load); err != nil {
			return fmt.Errorf("-load: %w", err)
		}
	}
	if !c.json {
		fmt.Fprintf(stdout, "backend %s: %s\n", b.Name(), b.Device())
		fmt.Fprintf(stdout, "%s: %d characters, vocabulary %d; %d training, %d validation\n", c.text, len(raw), V, len(cor.train), len(cor.val))
		fmt.Fprintf(stdout, "model %v → %v → %v, %d parameters; Adam %g, clip %g, batch %d × %d characters\n",
			model.Layers()[0], model.Layers()[1], model.Layers()[2], model.NumParams(), c.lr, c.clip, c.batch, c.seq)
	}
	if c.epochs > 0 {
		if err := train(ctx, c, b, model, cor, stdout, stderr); err != nil {
			return err
		}
	} else {
		bpc := validate(b, model, cor, c.seq)
		if c.json {
			if err := json.NewEncoder(stdout).Encode(map[string]jsonfloat.Float{"val_bpc": jsonfloat.Float(bpc)}); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(stdout, "validation %.4f bits/char\n", bpc)
		}
	}
	if c.save != "" {
		if err := nn.SaveWeights(model, c.save); err != nil {
			return fmt.Errorf("-save: %w", err)
		}
	}
	if c.sample > 0 {
		text, err := sample(b, c, model, cor)
		if err != nil {
			return err
		}
		if c.json {
			return json.NewEncoder(stdout).Encode(map[string]string{"sample": text})
		}
		fmt.Fprintf(stdout, "\n%s\n", text)
	}
	return nil
}

// train runs c.epochs epochs of len(train)/(batch·seq) steps, validating
// after each.
func train(ctx context.Context, c config, b backend.Backend, model *nn.Sequential, cor *corpus, stdout, stderr io.Writer) error {
	V, T, N := len(cor.vocab), c.seq, c.batch
	loss := nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b))
	opt := nn.NewAdam(b, nn.DefaultAdam(float32(c.lr)))
	clip, err := nn.NewGradClipper(b, c.clip)
	if err != nil {
		return err
	}
	defer clip.Free()
	params := model.Params()
	d := newBatchData(b, N, T, V)
	lossSum := b.Alloc(1)
	host := make([]float32, 1)
	steps := max(1, len(cor.train)/(N*T))
	rng := rand.New(rand.NewSource(c.seed))
	var bar *progress.Bar
	if !c.json && progress.IsTerminal(stderr) {
		bar = progress.New(stderr, "char")
	}
	for epoch := 1; epoch <= c.epochs; epoch++ {
		b.Fill(lossSum, 0)
		start := time.Now()
		for k := range steps {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			for i := range N {
				s := rng.Intn(len(cor.train) - T - 1)
				copy(d.xs[i*T:(i+1)*T], cor.train[s:s+T])
				copy(d.ys[i*T:(i+1)*T], cor.train[s+1:s+T+1])
			}
			d.upload(b)
			l, grad := loss.Loss(model.Forward(d.x, true), d.target)
			model.Backward(grad)
			clip.Clip(params)
			opt.Step(params)
			b.Axpy(1, l, lossSum)
			if bar != nil {
				b.Download(host, lossSum)
				bar.Update(fmt.Sprintf("epoch %d/%d", epoch, c.epochs), (k+1)*N*T, steps*N*T, time.Since(start),
					fmt.Sprintf("loss %.3f", float64(host[0])/float64(k+1)))
			}
		}
		if err := b.Sync(); err != nil {
			return err
		}
		secs := time.Since(start).Seconds()
		if bar != nil {
			bar.Clear()
		}
		b.Download(host, lossSum)
		rec := epochRecord{Epoch: epoch, TrainLoss: jsonfloat.Float(float64(host[0]) / float64(steps)), Seconds: secs,
			CharsPerSec: float64(steps*N*T) / secs, Steps: steps}
		rec.ValBPC = jsonfloat.Float(validate(b, model, cor, T))
		if c.json {
			if err := json.NewEncoder(stdout).Encode(rec); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(stdout, "epoch %d/%d  loss %.4f  val %.4f bits/char  %.1f s  %.0f char/s\n",
				epoch, c.epochs, float64(rec.TrainLoss), float64(rec.ValBPC), secs, rec.CharsPerSec)
		}
	}
	return nil
}

// validate returns the model's mean cross-entropy in bits per character
// over the consecutive windows of seq characters of the validation text,
// in batches of 256 windows.
func validate(b backend.Backend, model *nn.Sequential, cor *corpus, seq int) float64 {
	const evalBatch = 256
	V := len(cor.vocab)
	m := (len(cor.val) - 1) / seq
	loss := nn.NewPerStep(b, nn.NewSoftmaxCrossEntropy(b))
	sum := b.Alloc(1)
	defer b.Free(sum)
	b.Fill(sum, 0)
	batches := map[int]*batchData{}
	for i := 0; i < m; i += evalBatch {
		n := min(evalBatch, m-i)
		d := batches[n]
		if d == nil {
			d = newBatchData(b, n, seq, V)
			batches[n] = d
		}
		copy(d.xs, cor.val[i*seq:(i+n)*seq])
		copy(d.ys, cor.val[i*seq+1:(i+n)*seq+1])
		d.upload(b)
		l, _ := loss.Loss(model.Forward(d.x, false), d.target)
		b.Axpy(float32(n*seq), l, sum)
	}
	host := make([]float32, 1)
	b.Download(host, sum)
	for _, d := range batches {
		b.Free(d.x)
		b.Free(d.labels)
		b.Free(d.target)
	}
	return float64(host[0]) / float64(m*seq) / math.Ln2
}

// sample generates c.sample characters after c.prompt, one step at a
// time, carrying the recurrent state from step to step, each drawn from
// softmax(logits/temperature).
func sample(b backend.Backend, c config, model *nn.Sequential, cor *corpus) (string, error) {
	V := len(cor.vocab)
	step, err := newModel(b, c, V, 1)
	if err != nil {
		return "", err
	}
	for i, p := range step.Params() {
		b.Copy(p.Value, model.Params()[i].Value)
	}
	x := backend.AllocInt32(b, 1, 1)
	defer b.Free(x)
	h, cs := b.Alloc(1, c.hidden), b.Alloc(1, c.hidden)
	defer b.Free(h)
	defer b.Free(cs)
	cell := step.Layers()[1]
	logits := make([]float32, V)
	// feed runs one step on token tok from the carried state and leaves
	// the logits of the next token in logits.
	feed := func(tok int32, first bool) {
		switch l := cell.(type) {
		case *nn.GRU:
			if !first {
				b.Copy(h, l.LastState())
				l.SetState(h)
			}
		case *nn.LSTM:
			if !first {
				lh, lc := l.LastState()
				b.Copy(h, lh)
				b.Copy(cs, lc)
				l.SetState(h, cs)
			}
		}
		backend.UploadInt32(b, x, []int32{tok})
		b.Download(logits, step.Forward(x, false))
	}
	var out strings.Builder
	for i, ch := range []byte(c.prompt) {
		tok := cor.index[ch]
		if tok < 0 {
			return "", fmt.Errorf("-prompt: character %q does not occur in the text", ch)
		}
		out.WriteByte(ch)
		feed(tok, i == 0)
	}
	rng := rand.New(rand.NewSource(c.seed))
	p := make([]float64, V)
	for range c.sample {
		tok := draw(rng, logits, p, c.temperature)
		out.WriteByte(cor.vocab[tok])
		feed(int32(tok), false)
	}
	return out.String(), nil
}

// draw returns an index drawn from softmax(logits/temperature), using p
// as scratch.
func draw(rng *rand.Rand, logits []float32, p []float64, temperature float64) int {
	m := math.Inf(-1)
	for _, v := range logits {
		m = math.Max(m, float64(v))
	}
	sum := 0.0
	for i, v := range logits {
		p[i] = math.Exp((float64(v) - m) / temperature)
		sum += p[i]
	}
	u := rng.Float64() * sum
	for i, w := range p {
		if u -= w; u < 0 {
			return i
		}
	}
	return len(p) - 1
}
