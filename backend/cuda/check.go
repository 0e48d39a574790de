//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// checkSameLen panics with the op's name unless every tensor in ts has as
// many elements as the first; names name them.
func checkSameLen(op string, names []string, ts ...*tensor) {
	for i, t := range ts[1:] {
		if t.len() != ts[0].len() {
			panic(fmt.Sprintf("cuda: %s: %s has shape %v, want %d elements like %s %v", op, names[i+1], t.shape, ts[0].len(), names[0], ts[0].shape))
		}
	}
}

// checkSameShape panics with the op's name unless every tensor in ts has
// the shape of the first; names name them.
func checkSameShape(op string, names []string, ts ...*tensor) {
	for i, t := range ts[1:] {
		if !t.shape.Equal(ts[0].shape) {
			panic(fmt.Sprintf("cuda: %s: %s has shape %v, want the shape %v of %s", op, names[i+1], t.shape, ts[0].shape, names[0]))
		}
	}
}

// checkScalar panics with the op's name unless t has one element.
func checkScalar(op, name string, t *tensor) {
	if t.len() != 1 {
		panic(fmt.Sprintf("cuda: %s: %s has shape %v, want one element", op, name, t.shape))
	}
}

// checkShape panics with the op's name unless t has exactly the shape want,
// which geometry g (a ConvGeom or PoolGeom) calls for.
func checkShape(op, name string, t *tensor, g any, want ...int) {
	if !t.shape.Equal(want) {
		panic(fmt.Sprintf("cuda: %s: %s has shape %v, want %v for geometry %+v", op, name, t.shape, backend.Shape(want), g))
	}
}

// checkGeom panics with the op's name if err, from a geometry's Check, is
// not nil.
func checkGeom(op string, err error) {
	if err != nil {
		panic("cuda: " + op + ": " + err.Error())
	}
}

// channels returns the batch size, channels and per-channel spatial size
// of y read as [N, C, spatial…], after checking that every tensor in per
// has C elements.
func channels(op, yName string, y *tensor, per ...*tensor) (n, c, spatial int) {
	if len(y.shape) < 2 {
		panic(fmt.Sprintf("cuda: %s: %s has shape %v, want [N, C, spatial…] with at least 2 dimensions", op, yName, y.shape))
	}
	n, c = y.shape[0], y.shape[1]
	for _, t := range per {
		if t.len() != c {
			panic(fmt.Sprintf("cuda: %s: %s has shape %v (C = %d) but a per-channel operand has shape %v", op, yName, y.shape, c, t.shape))
		}
	}
	return n, c, y.len() / (n * c)
}
