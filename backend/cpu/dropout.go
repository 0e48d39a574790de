package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// DropoutMask fills mask with 1/(1−p) where backend.DropoutUniform(seed, i)
// ≥ p and 0 elsewhere. It panics unless 0 ≤ p < 1.
func (b *Backend) DropoutMask(mask backend.Tensor, p float32, seed uint64) {
	tm := b.tensor("DropoutMask", mask)
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("cpu: DropoutMask: p = %g for mask %v, want 0 ≤ p < 1", p, tm.shape))
	}
	keep := 1 / (1 - p)
	parallelFor(len(tm.data), elemGrain/8, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if backend.DropoutUniform(seed, i) >= p {
				tm.data[i] = keep
			} else {
				tm.data[i] = 0
			}
		}
	})
}
