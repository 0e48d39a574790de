package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"

	"github.com/myelin-go/myelin/backend"
)

// GradCheckResult compares the backpropagated gradient g of one tensor with
// its central-difference estimate g̃.
type GradCheckResult struct {
	Name       string  // the parameter's name ("0.weight"), or "input" for ∂L/∂x
	RelDiff    float64 // ‖g − g̃‖/(‖g‖ + ‖g̃‖), Euclidean norms; 0 when both are 0, NaN when either holds NaN or Inf
	MaxAbsDiff float64 // max_i |g[i] − g̃[i]|, NaN when either holds NaN
}

// DefaultGradCheckEps is the relative step GradCheck uses when given 0.
const DefaultGradCheckEps = 1e-2

// GradCheck compares, for the loss L = loss(m(x), y) of one batch, the
// gradients that backpropagation computes with central differences
//
//	g̃[i] = (L(θ + h·eᵢ) − L(θ − h·eᵢ))/2h,  h = eps·max(1, |θᵢ|)
//
// for every element θᵢ of every parameter tensor and of the input x, and
// returns one result per parameter in m.Params order, then one named
// "input". x holds N samples of m.InShape and y N targets of m.OutShape,
// row-major; eps is the relative step (0 means DefaultGradCheckEps).
//
// The model runs in training mode, as in training: BatchNorm normalises
// with the batch's statistics (so the check covers the gradient through
// them). Dropout draws a new mask on every training Forward, which would
// make L a different function at every evaluation; GradCheck therefore
// sets every counter of the model (Model.Counters: Dropout's Step, any
// layer's random stream, at any depth) back before every Forward, so that
// all evaluations draw the same random numbers. Afterwards the model is as
// before (the parameter values, buffers and counters are restored) except
// that Grad holds the backpropagated gradients of the batch.
//
// The forward pass runs in float32, whose rounding error (about 10⁻⁷·|L|
// per evaluation) enters g̃ divided by 2h, and the truncation error of a
// central difference is about h²/6·|L‴|; a step of 10⁻² balances the two.
// As a guide, RelDiff below 10⁻³ is a match, up to 10⁻² is usual for
// models with kinks (ReLU, max-pooling, MAE), where a step that crosses a
// kink gives a meaningless quotient for that element, and above 10⁻¹ means
// a wrong gradient. A tensor whose true gradient is zero, such as the bias
// of a layer followed by BatchNorm (which subtracts it again), has RelDiff
// near 1 from rounding noise alone; judge it by MaxAbsDiff (leave such
// biases out with NoBias). Each element costs two forward passes: use a small
// model or batch, or GradCheckSample. A model fed int32 token indices (an
// Embedding first) is checked with GradCheckTokens.
func GradCheck(m Model, loss Loss, x, y []float32, eps float64) ([]GradCheckResult, error) {
	return gradCheck(m, loss, checkInput{x: x}, y, eps, pickAll)
}

// GradCheckSample is GradCheck on at most k elements of each tensor, drawn
// without replacement by rand.New(rand.NewSource(seed)) (every element of a
// tensor with k or fewer): RelDiff and MaxAbsDiff are computed over those
// elements. It makes a check of a large model affordable, at 2k forward
// passes per tensor.
func GradCheckSample(m Model, loss Loss, x, y []float32, eps float64, k int, seed int64) ([]GradCheckResult, error) {
	pick, err := pickSample("GradCheckSample", k, seed)
	if err != nil {
		return nil, err
	}
	return gradCheck(m, loss, checkInput{x: x}, y, eps, pick)
}

// GradCheckTokens is GradCheck for a model fed int32 token indices, such
// as a language model whose first layer is an Embedding: tokens holds N
// samples of m.InShape (each index in the range the model accepts, e.g.
// [0, Vocab)), uploaded as an int32 tensor, which needs a backend that
// implements backend.Indexer. Indices have no gradient, so the analytic
// gradients come from Model.Backward and the results are one per parameter
// in m.Params order, without "input". Everything else is as in GradCheck:
// the central differences, the step eps, the training mode, the rewound
// counters and the model restored afterwards.
func GradCheckTokens(m Model, loss Loss, tokens []int32, y []float32, eps float64) ([]GradCheckResult, error) {
	return gradCheck(m, loss, checkInput{tokens: tokens, isTokens: true}, y, eps, pickAll)
}

// GradCheckTokensSample is GradCheckTokens on at most k elements of each
// parameter tensor, drawn as GradCheckSample draws them.
func GradCheckTokensSample(m Model, loss Loss, tokens []int32, y []float32, eps float64, k int, seed int64) ([]GradCheckResult, error) {
	pick, err := pickSample("GradCheckTokensSample", k, seed)
	if err != nil {
		return nil, err
	}
	return gradCheck(m, loss, checkInput{tokens: tokens, isTokens: true}, y, eps, pick)
}

// pickAll is the element picker of a full check: nil, every element.
func pickAll(n int) []int { return nil }

// pickSample returns the element picker of a sampled check of k elements
// per tensor from seed, or an error naming fn when k < 1.
func pickSample(fn string, k int, seed int64) (func(n int) []int, error) {
	if k < 1 {
		return nil, fmt.Errorf("nn: %s: k = %d elements per tensor, want at least 1", fn, k)
	}
	rng := rand.New(rand.NewSource(seed))
	return func(n int) []int {
		if n <= k {
			return nil
		}
		idx := rng.Perm(n)[:k]
		slices.Sort(idx)
		return idx
	}, nil
}

// checkInput is the batch a gradient check feeds the model: float values
// x, whose gradient is checked too, or int32 token indices.
type checkInput struct {
	x        []float32
	tokens   []int32
	isTokens bool
}

// size returns the number of input values.
func (in checkInput) size() int {
	if in.isTokens {
		return len(in.tokens)
	}
	return len(in.x)
}

// check returns an error for a float input holding NaN or Inf or a
// negative token index.
func (in checkInput) check() error {
	for _, v := range in.x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return errors.New("the input holds NaN or Inf")
		}
	}
	for i, t := range in.tokens {
		if t < 0 {
			return fmt.Errorf("token %d is %d, want an index ≥ 0", i, t)
		}
	}
	return nil
}

// upload returns a new tensor of shape holding the input on b: float32,
// or int32 for tokens (an error when b is not a backend.Indexer).
func (in checkInput) upload(b backend.Backend, shape []int) (backend.Tensor, error) {
	if !in.isTokens {
		t := b.Alloc(shape...)
		b.Upload(t, in.x)
		return t, nil
	}
	ix, ok := b.(backend.Indexer)
	if !ok {
		return nil, fmt.Errorf("backend %s does not implement backend.Indexer, which int32 token inputs need", b.Name())
	}
	t := ix.AllocInt32(shape...)
	ix.UploadInt32(t, in.tokens)
	return t, nil
}

// gradCheck is GradCheck on input in, on the elements pick returns for a
// tensor of n elements (nil: all of them).
func gradCheck(m Model, loss Loss, in checkInput, y []float32, eps float64, pick func(n int) []int) ([]GradCheckResult, error) {
	name := "GradCheck"
	if in.isTokens {
		name = "GradCheckTokens"
	}
	if eps == 0 {
		eps = DefaultGradCheckEps
	}
	if !(eps > 0 && eps < 1) {
		return nil, fmt.Errorf("nn: %s: eps = %g, want a relative step in (0, 1), e.g. 1e-2", name, eps)
	}
	inShape := m.InShape()
	inLen, outLen := shapeLen(inShape), shapeLen(m.OutShape())
	if in.size() == 0 || in.size()%inLen != 0 {
		what := "input values"
		if in.isTokens {
			what = "tokens"
		}
		return nil, fmt.Errorf("nn: %s: %d %s are not a whole number of samples of shape %v", name, in.size(), what, inShape)
	}
	n := in.size() / inLen
	if len(y) != n*outLen {
		return nil, fmt.Errorf("nn: %s: %d target values for %d samples of output shape %v, want %d", name, len(y), n, m.OutShape(), n*outLen)
	}
	if err := in.check(); err != nil {
		return nil, fmt.Errorf("nn: %s: %w", name, err)
	}

	b := m.Backend()
	tx, err := in.upload(b, withBatch(n, inShape))
	if err != nil {
		return nil, fmt.Errorf("nn: %s: %w", name, err)
	}
	defer b.Free(tx)
	saved := newSnapshot(m, nil)
	defer saved.free()
	defer saved.restore()
	ty := b.Alloc(withBatch(n, m.OutShape())...)
	defer b.Free(ty)
	b.Upload(ty, y)

	forward := func() backend.Tensor {
		saved.rewindCounters()
		return m.Forward(tx, true)
	}
	lossAt := func() float64 {
		l, _ := loss.Loss(forward(), ty)
		v := make([]float32, 1)
		b.Download(v, l)
		return float64(v[0])
	}

	if err := tryForward(forward); err != nil {
		return nil, fmt.Errorf("nn: %s: %w", name, err)
	}
	if err := b.Sync(); err != nil {
		return nil, fmt.Errorf("nn: %s: the model's forward pass failed: %w", name, err)
	}
	_, dy := loss.Loss(forward(), ty)
	var dx []float32
	if in.isTokens {
		m.Backward(dy)
	} else {
		dx = make([]float32, len(in.x))
		b.Download(dx, m.BackwardInput(dy))
	}

	// numeric returns the central differences of L with respect to the
	// elements idx of values (every element when idx is nil), which set
	// writes to the device, in the order of idx.
	numeric := func(values []float32, idx []int, set func([]float32)) []float64 {
		if idx == nil {
			idx = make([]int, len(values))
			for i := range idx {
				idx[i] = i
			}
		}
		g := make([]float64, len(idx))
		for j, i := range idx {
			v := values[i]
			h := float32(eps * math.Max(1, math.Abs(float64(v))))
			values[i] = v + h
			set(values)
			plus := lossAt()
			values[i] = v - h
			set(values)
			minus := lossAt()
			values[i] = v
			// The step actually taken, after float32 rounding of v ± h.
			g[j] = (plus - minus) / (float64(v+h) - float64(v-h))
		}
		set(values)
		return g
	}

	var results []GradCheckResult
	for _, p := range m.Params() {
		analytic := make([]float32, p.Grad.Shape().Len())
		b.Download(analytic, p.Grad)
		values := make([]float32, len(analytic))
		b.Download(values, p.Value)
		idx := pick(len(values))
		g := numeric(values, idx, func(v []float32) { b.Upload(p.Value, v) })
		results = append(results, compareGrad(p.Name, gather(analytic, idx), g))
	}
	if in.isTokens {
		return results, nil
	}
	xs := append([]float32(nil), in.x...)
	idx := pick(len(xs))
	g := numeric(xs, idx, func(v []float32) { b.Upload(tx, v) })
	results = append(results, compareGrad("input", gather(dx, idx), g))
	return results, nil
}

// tryForward runs forward and returns the panic of a layer that refuses
// the batch as an error (BatchNorm needs 2 values per channel).
func tryForward(forward func() backend.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the model refuses the batch: %v", r)
		}
	}()
	forward()
	return nil
}

// gather returns the elements idx of v, or v itself when idx is nil.
func gather(v []float32, idx []int) []float32 {
	if idx == nil {
		return v
	}
	out := make([]float32, len(idx))
	for j, i := range idx {
		out[j] = v[i]
	}
	return out
}

// compareGrad returns the result for the backpropagated gradient g and the
// numeric estimate num of the tensor name.
func compareGrad(name string, g []float32, num []float64) GradCheckResult {
	var diff2, g2, n2, maxAbs float64
	for i, v := range g {
		d := float64(v) - num[i]
		diff2 += d * d
		g2 += float64(v) * float64(v)
		n2 += num[i] * num[i]
		maxAbs = math.Max(maxAbs, math.Abs(d))
	}
	r := GradCheckResult{Name: name, MaxAbsDiff: maxAbs}
	// NaN or Inf in either gradient makes RelDiff NaN, never 0.
	if den := math.Sqrt(g2) + math.Sqrt(n2); den > 0 || math.IsNaN(den) {
		r.RelDiff = math.Sqrt(diff2) / den
	}
	return r
}
