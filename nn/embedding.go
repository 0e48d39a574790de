package nn

import (
	"fmt"
	"math/rand"

	"github.com/myelin-go/myelin/backend"
)

// Embedding maps int32 token indices to learnt vectors
// (torch.nn.Embedding): for indices x [N, in...] (e.g. [N, T]) and weight
// W [Vocab, Dim], y[n, …, :] = W[x[n, …], :], so the output is
// [in..., Dim] per sample. The input must be an int32 tensor (see
// backend.Indexer); an index outside [0, Vocab) panics on the CPU and is
// reported by Sync on a device. The weight is PyTorch's "weight", drawn from
// N(0, 1) as PyTorch does.
//
// The gradient ∂L/∂W is the adjoint of the lookup: zero, then dy's rows
// added into the rows their indices name (backend.ScatterAdd), so a token
// used twice receives both gradients. The indices have no gradient:
// Backward returns nil, and an Embedding is the first layer of a model.
type Embedding struct {
	Vocab int // number of tokens V, ≥ 1
	Dim   int // vector size D, ≥ 1

	b      backend.Backend
	in     []int
	weight *Param
	x      backend.Tensor // the indices of the last Forward
	cur    *ioBufs
	bufs   BatchCache[ioBufs]
}

// Build implements Layer.
func (e *Embedding) Build(b backend.Backend, in []int, rng *rand.Rand) ([]int, error) {
	if e.Vocab < 1 || e.Dim < 1 {
		return nil, fmt.Errorf("%v: Vocab and Dim must be at least 1", e)
	}
	if err := CheckShape(in); err != nil {
		return nil, fmt.Errorf("%v: %w", e, err)
	}
	*e = Embedding{Vocab: e.Vocab, Dim: e.Dim, b: b, in: append([]int(nil), in...)}
	shape := []int{e.Vocab, e.Dim}
	e.weight = NewParam(b, "weight", shape, Normal(1), rng)
	return append(append([]int(nil), in...), e.Dim), nil
}

// Forward implements Layer: a Gather of the weight's rows. x must be an
// int32 tensor [N, in...].
func (e *Embedding) Forward(x backend.Tensor, train bool) backend.Tensor {
	n := CheckInput(e, x, e.in)
	if dt := backend.DTypeOf(x); dt != backend.Int32 {
		panic(fmt.Sprintf("nn: %v: Forward input holds %v, want int32 token indices (backend.AllocInt32)", e, dt))
	}
	e.cur = e.bufs.Get(n, func(n int) *ioBufs {
		return &ioBufs{y: e.b.Alloc(append(withBatch(n, e.in), e.Dim)...)}
	})
	e.x = x
	backend.Gather(e.b, e.weight.Value, x, e.cur.y)
	return e.cur.y
}

// Backward implements Layer: it writes ∂L/∂W and returns nil, since
// integer indices have no gradient.
func (e *Embedding) Backward(dy backend.Tensor) backend.Tensor {
	e.backwardParams(dy)
	return nil
}

func (e *Embedding) backwardParams(dy backend.Tensor) {
	if e.cur == nil {
		panicNoForward(e)
	}
	CheckGrad(e, dy, e.cur.y)
	e.b.Fill(e.weight.Grad, 0)
	backend.ScatterAdd(e.b, dy, e.x, e.weight.Grad)
}

// Params implements Layer: the weight [Vocab, Dim].
func (e *Embedding) Params() []*Param {
	if e.weight == nil {
		return nil
	}
	return []*Param{e.weight}
}

// String returns e.g. "Embedding(96, 64)".
func (e *Embedding) String() string { return fmt.Sprintf("Embedding(%d, %d)", e.Vocab, e.Dim) }
