package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn/safetensors"
)

// Names of the entries a training checkpoint holds besides the weights, and
// of its metadata.
const (
	optPrefix     = "optimizer." // "optimizer.<param name>.<buffer>"
	rngPrefix     = "rng."       // "rng.<counter name>" of the random streams (Counter.Stream)
	metaVersion   = "myelin.checkpoint"
	metaEpoch     = "myelin.epoch"
	metaBatch     = "myelin.batch"
	metaSeed      = "myelin.seed"
	metaLR        = "myelin.lr"
	metaOptimizer = "myelin.optimizer"
	metaExtra     = "myelin.extra"
)

// SaveWeights writes m's parameters, buffers and counters other than
// random streams (BatchNorm's "<i>.num_batches_tracked", int64) to path in
// the safetensors format with PyTorch's names and layouts, atomically.
//
// For a Sequential the names and layouts are those of the state_dict of
// the equivalent torch.nn.Sequential (the same layers in the same order;
// activations, pooling, Flatten and Dropout count as layers and hold
// nothing; a layer inside a container is named by its path, as
// "<i>.body.<j>.weight" for Residual):
// "<i>.weight" [out, in, kh, kw] and "<i>.bias" [out] for Conv2D,
// "<i>.weight" [out, in] and "<i>.bias" [out] for Dense, and "<i>.weight",
// "<i>.bias", "<i>.running_mean", "<i>.running_var" [C] (float32) and
// "<i>.num_batches_tracked" (int64 scalar) for BatchNorm, which is
// BatchNorm1d after Dense or Flatten and BatchNorm2d after Conv2D. The
// metadata holds "format": "pt", as PyTorch tools expect.
func SaveWeights(m Model, path string) error {
	tensors := modelState(m).save(m.Backend())
	if err := safetensors.WriteFile(path, tensors, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("nn: SaveWeights: %w", err)
	}
	return nil
}

// LoadWeights reads a safetensors file written by SaveWeights or by PyTorch
// (state_dict of the equivalent torch.nn.Sequential) into m; names, dtypes
// and shapes must match m exactly (error otherwise). Float tensors must be
// F32 (in PyTorch, save model.float()); num_batches_tracked is I64. A
// training checkpoint (SaveCheckpoint) loads too: its optimizer and
// random-stream entries are ignored. The error lists every missing and unexpected name
// and names each tensor whose dtype or shape differs, with both shapes.
// Nothing in m changes unless the whole file fits.
func LoadWeights(m Model, path string) error {
	tensors, meta, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("nn: LoadWeights: %w", err)
	}
	if _, ok := meta[metaVersion]; ok {
		for name := range tensors {
			if strings.HasPrefix(name, optPrefix) || strings.HasPrefix(name, rngPrefix) {
				delete(tensors, name)
			}
		}
	}
	if err := modelState(m).load(m.Backend(), tensors); err != nil {
		return fmt.Errorf("nn: LoadWeights %s: %w", path, err)
	}
	return nil
}

// Checkpoint is the training state beside the weights in a training checkpoint.
type Checkpoint struct {
	Epoch int     // epochs finished
	Batch int     // batches finished in epoch Epoch+1 (0 at an epoch boundary)
	Seed  int64   // the Trainer's Seed
	LR    float32 // the learning rate, positive (SaveCheckpoint: 0 for opt.LR()); LoadCheckpoint sets it on the optimizer
	// Extra is free-form (e.g. flags, early-stopping state as JSON).
	Extra map[string]string
}

// SaveCheckpoint writes weights + buffers + counters + opt.State + c,
// atomically, to path: a safetensors file holding what SaveWeights writes
// and, besides, opt.State(m.Params()) (float32 buffers as
// "optimizer.<buffer name>", step counters as int64 scalars
// "optimizer.<param name>.step"), the random streams' counters (int64
// scalars "rng.<counter name>": Dropout's "rng.<i>.step" and
// "rng.<i>.seed", at any depth), and c and opt.String() in the metadata
// ("myelin.epoch", "myelin.batch", "myelin.seed", "myelin.lr",
// "myelin.optimizer", and "myelin.extra" as a JSON object). PyTorch's
// load_state_dict takes the file after dropping the "optimizer." and "rng."
// entries. A c.LR of 0 saves opt.LR(); a negative or non-finite c.LR, or a
// negative Epoch or Batch, is an error.
func SaveCheckpoint(path string, m Model, opt Optimizer, c Checkpoint) error {
	if c.LR == 0 {
		c.LR = opt.LR()
	}
	if err := c.check(); err != nil {
		return fmt.Errorf("nn: SaveCheckpoint: %w", err)
	}
	extra, err := json.Marshal(c.Extra)
	if err != nil {
		return fmt.Errorf("nn: SaveCheckpoint: Extra: %w", err)
	}
	meta := map[string]string{
		"format":      "pt",
		metaVersion:   "1",
		metaEpoch:     strconv.Itoa(c.Epoch),
		metaBatch:     strconv.Itoa(c.Batch),
		metaSeed:      strconv.FormatInt(c.Seed, 10),
		metaLR:        strconv.FormatFloat(float64(c.LR), 'g', -1, 32),
		metaOptimizer: opt.String(),
		metaExtra:     string(extra),
	}
	tensors := trainingState(m, opt).save(m.Backend())
	if err := safetensors.WriteFile(path, tensors, meta); err != nil {
		return fmt.Errorf("nn: SaveCheckpoint: %w", err)
	}
	return nil
}

// LoadCheckpoint restores what SaveCheckpoint wrote into m and opt and
// returns c. The names, dtypes and shapes of the weights and of the
// optimizer state must match m and opt exactly, and opt must be of the kind
// that wrote the file (Adam, AdamW, SGD, RMSprop or Adadelta; its other
// hyper-parameters may differ). It sets opt's learning rate to c.LR. A
// file whose metadata no training can have written (a negative epoch or
// batch count, a learning rate that is not a positive finite number) is
// refused with an error naming the entry.
// Nothing in m or opt changes unless the whole file fits.
func LoadCheckpoint(path string, m Model, opt Optimizer) (Checkpoint, error) {
	tensors, meta, err := safetensors.ReadFile(path)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("nn: LoadCheckpoint: %w", err)
	}
	c, err := parseCheckpointMeta(meta)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("nn: LoadCheckpoint %s: %w", path, err)
	}
	if saved, ours := optKind(meta[metaOptimizer]), optKind(opt.String()); saved != ours {
		return Checkpoint{}, fmt.Errorf("nn: LoadCheckpoint %s: the file holds the state of %s, the optimizer is %s", path, meta[metaOptimizer], opt)
	}
	if err := trainingState(m, opt).load(m.Backend(), tensors); err != nil {
		return Checkpoint{}, fmt.Errorf("nn: LoadCheckpoint %s: %w", path, err)
	}
	opt.SetLR(c.LR)
	return c, nil
}

// check returns an error naming every field of c that no training can
// have produced: a negative Epoch or Batch, a learning rate that is not a
// positive finite number.
func (c Checkpoint) check() error {
	var errs []error
	if c.Epoch < 0 {
		errs = append(errs, fmt.Errorf("epoch %d is negative", c.Epoch))
	}
	if c.Batch < 0 {
		errs = append(errs, fmt.Errorf("batch %d is negative", c.Batch))
	}
	if lr := float64(c.LR); !(lr > 0) || math.IsInf(lr, 0) {
		errs = append(errs, fmt.Errorf("learning rate %g: want a positive finite rate", lr))
	}
	return errors.Join(errs...)
}

// ReadCheckpoint returns the Checkpoint that SaveCheckpoint stored in the
// file at path, checked as LoadCheckpoint checks it, without reading the
// tensors: to see where a run stopped, or what its Extra says, before
// building the model and optimizer to load it into.
func ReadCheckpoint(path string) (Checkpoint, error) {
	meta, err := safetensors.ReadMetadataFile(path)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("nn: ReadCheckpoint: %w", err)
	}
	c, err := parseCheckpointMeta(meta)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("nn: ReadCheckpoint %s: %w", path, err)
	}
	return c, nil
}

// optKind returns the name of an optimizer from its String, the part
// before the parenthesis ("Adam" of "Adam(lr 0.001, …)").
func optKind(s string) string {
	kind, _, _ := strings.Cut(s, "(")
	return kind
}

// parseCheckpointMeta returns the Checkpoint that SaveCheckpoint stored in
// the metadata.
func parseCheckpointMeta(meta map[string]string) (Checkpoint, error) {
	for _, k := range []string{metaVersion, metaEpoch, metaBatch, metaSeed, metaLR, metaOptimizer, metaExtra} {
		if _, ok := meta[k]; !ok {
			return Checkpoint{}, fmt.Errorf("not a training checkpoint: no %q in the metadata (weights alone load with LoadWeights)", k)
		}
	}
	if v := meta[metaVersion]; v != "1" {
		return Checkpoint{}, fmt.Errorf("checkpoint version %q, this version of Myelin reads 1", v)
	}
	var c Checkpoint
	var errs []error
	var err error
	if c.Epoch, err = strconv.Atoi(meta[metaEpoch]); err != nil || c.Epoch < 0 {
		errs = append(errs, fmt.Errorf("%s %q is not an epoch count (a whole number ≥ 0)", metaEpoch, meta[metaEpoch]))
	}
	if c.Batch, err = strconv.Atoi(meta[metaBatch]); err != nil || c.Batch < 0 {
		errs = append(errs, fmt.Errorf("%s %q is not a batch count (a whole number ≥ 0)", metaBatch, meta[metaBatch]))
	}
	if c.Seed, err = strconv.ParseInt(meta[metaSeed], 10, 64); err != nil {
		errs = append(errs, fmt.Errorf("%s %q is not an integer", metaSeed, meta[metaSeed]))
	}
	lr, err := strconv.ParseFloat(meta[metaLR], 32)
	if err != nil || !(lr > 0) || math.IsInf(lr, 0) {
		errs = append(errs, fmt.Errorf("%s %q is not a learning rate (a positive finite number)", metaLR, meta[metaLR]))
	}
	c.LR = float32(lr)
	if err := json.Unmarshal([]byte(meta[metaExtra]), &c.Extra); err != nil {
		errs = append(errs, fmt.Errorf("%s is not a JSON object of strings: %v", metaExtra, err))
	}
	return c, errors.Join(errs...)
}

// state names the tensors and counters that a file saves and restores.
type state struct {
	floats map[string]backend.Tensor // float32 tensors, saved as F32
	ints   map[string]Counter        // counters, saved as I64 scalars
}

// modelState returns the state SaveWeights saves: m's parameters, buffers
// and the counters that are not random streams.
func modelState(m Model) *state {
	s := &state{floats: map[string]backend.Tensor{}, ints: map[string]Counter{}}
	for _, p := range append(m.Params(), m.Buffers()...) {
		s.floats[p.Name] = p.Value
	}
	for _, c := range m.Counters() {
		if !c.Stream {
			s.ints[c.Name] = c
		}
	}
	return s
}

// trainingState returns the state SaveCheckpoint saves: modelState, opt's
// state for m's parameters and the random streams' counters.
func trainingState(m Model, opt Optimizer) *state {
	s := modelState(m)
	st := opt.State(m.Params())
	for _, p := range st.Buffers {
		s.floats[optPrefix+p.Name] = p.Value
	}
	for name, step := range st.Steps {
		s.ints[optPrefix+name] = Counter{
			Get: func() int64 { return int64(*step) },
			Set: func(v int64) { *step = int(v) },
		}
	}
	for _, c := range m.Counters() {
		if c.Stream {
			s.ints[rngPrefix+c.Name] = c
		}
	}
	return s
}

// save downloads the state from b into safetensors tensors.
func (s *state) save(b backend.Backend) map[string]safetensors.Tensor {
	out := make(map[string]safetensors.Tensor, len(s.floats)+len(s.ints))
	for name, t := range s.floats {
		v := make([]float32, t.Shape().Len())
		b.Download(v, t)
		out[name] = safetensors.FromFloat32(t.Shape(), v)
	}
	for name, c := range s.ints {
		out[name] = safetensors.FromInt64([]int{}, []int64{c.Get()})
	}
	return out
}

// load checks that tensors hold exactly the state's names with matching
// dtypes, shapes and values, and then uploads them to b. On error nothing
// is changed; the error lists every problem found.
func (s *state) load(b backend.Backend, tensors map[string]safetensors.Tensor) error {
	var missing, unexpected []string
	for name := range s.floats {
		if _, ok := tensors[name]; !ok {
			missing = append(missing, name)
		}
	}
	for name := range s.ints {
		if _, ok := tensors[name]; !ok {
			missing = append(missing, name)
		}
	}
	for name := range tensors {
		_, isFloat := s.floats[name]
		_, isInt := s.ints[name]
		if !isFloat && !isInt {
			unexpected = append(unexpected, name)
		}
	}
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("missing %s", nameList(missing)))
	}
	if len(unexpected) > 0 {
		errs = append(errs, fmt.Errorf("unexpected %s", nameList(unexpected)))
	}
	floats := map[string][]float32{}
	ints := map[string]int64{}
	for _, name := range sortedKeys(tensors) {
		f := tensors[name]
		if t, ok := s.floats[name]; ok {
			v, err := values(f, safetensors.F32, t.Shape(), f.Float32)
			if err != nil {
				errs = append(errs, fmt.Errorf("tensor %q: %w", name, err))
			}
			floats[name] = v
		} else if c, ok := s.ints[name]; ok {
			v, err := values(f, safetensors.I64, []int{}, f.Int64)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("tensor %q: %w", name, err))
			case v[0] < 0 && !c.Stream:
				errs = append(errs, fmt.Errorf("tensor %q: count %d is negative", name, v[0]))
			default:
				ints[name] = v[0]
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for name, v := range floats {
		b.Upload(s.floats[name], v)
	}
	for name, v := range ints {
		s.ints[name].Set(v)
	}
	return nil
}

// values checks that f has dtype and shape and returns its elements from
// conv.
func values[T any](f safetensors.Tensor, dtype string, shape []int, conv func() ([]T, error)) ([]T, error) {
	if f.DType != dtype {
		return nil, fmt.Errorf("dtype %s, want %s", f.DType, dtype)
	}
	if !backend.Shape(f.Shape).Equal(shape) {
		return nil, fmt.Errorf("shape %v in the file, %v in the model", f.Shape, shape)
	}
	return conv()
}

// nameList formats sorted names, at most 10 of them, with a count of the
// others: "2 tensors: 0.bias, 0.weight".
func nameList(names []string) string {
	sort.Strings(names)
	const most = 10
	s := fmt.Sprintf("%d tensors: %s", len(names), strings.Join(names[:min(len(names), most)], ", "))
	if len(names) > most {
		s += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return s
}

// sortedKeys returns the keys of m in sorted order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
