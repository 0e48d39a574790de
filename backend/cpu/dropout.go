package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
)

// dropoutTask fills a range of a dropout mask.
type dropoutTask struct {
	mask    []float32
	p, keep float32
	seed    uint64
}

// run sets mask[i] for i in [lo, hi), hashing each index as
// backend.DropoutUniform does; the hash stays scalar (no 64-bit multiply
// in AVX2, and at a few ns per element the mask is far from the cost of the
// layer it drops from).
func (t *dropoutTask) run(_, lo, hi int) {
	m := t.mask[lo:hi]
	for i := range m {
		v := t.keep
		if backend.DropoutUniform(t.seed, lo+i) < t.p {
			v = 0
		}
		m[i] = v
	}
}

var dropoutTasks freelist.List[dropoutTask]

// DropoutMask fills mask with 1/(1−p) where backend.DropoutUniform(seed, i)
// ≥ p and 0 elsewhere. It panics unless 0 ≤ p < 1.
func (b *Backend) DropoutMask(mask backend.Tensor, p float32, seed uint64) {
	tm := b.tensor("DropoutMask", mask)
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("cpu: DropoutMask: p = %g for mask %v, want 0 ≤ p < 1", p, tm.shape))
	}
	t := dropoutTasks.Get()
	*t = dropoutTask{mask: tm.data, p: p, keep: 1 / (1 - p), seed: seed}
	parallelDo(len(tm.data), elemGrain/8, t)
	*t = dropoutTask{}
	dropoutTasks.Put(t)
}
