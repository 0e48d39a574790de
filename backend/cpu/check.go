package cpu

import (
	"fmt"
	"slices"

	"github.com/myelin-go/myelin/backend"
)

// checkSameLen panics with the op's name unless every tensor in ts has as
// many elements as the first; names name them.
func checkSameLen(op string, names []string, ts ...*tensor) {
	for i, t := range ts[1:] {
		if len(t.data) != len(ts[0].data) {
			panic(fmt.Sprintf("cpu: %s: %s has shape %v, want %d elements like %s %v", op, names[i+1], t.shape, len(ts[0].data), names[0], ts[0].shape))
		}
	}
}

// checkSameShape panics with the op's name unless every tensor in ts has
// the shape of the first; names name them.
func checkSameShape(op string, names []string, ts ...*tensor) {
	for i, t := range ts[1:] {
		if !t.shape.Equal(ts[0].shape) {
			panic(fmt.Sprintf("cpu: %s: %s has shape %v, want the shape %v of %s", op, names[i+1], t.shape, ts[0].shape, names[0]))
		}
	}
}

// checkScalar panics with the op's name unless t has one element.
func checkScalar(op, name string, t *tensor) {
	if len(t.data) != 1 {
		panic(fmt.Sprintf("cpu: %s: %s has shape %v, want one element", op, name, t.shape))
	}
}

// checkConvGeom panics with the op's name if g is invalid.
func checkConvGeom(op string, g backend.ConvGeom) {
	if err := g.Check(); err != nil {
		panic("cpu: " + op + ": " + err.Error())
	}
}

// checkPoolGeom panics with the op's name if g is invalid.
func checkPoolGeom(op string, g backend.PoolGeom) {
	if err := g.Check(); err != nil {
		panic("cpu: " + op + ": " + err.Error())
	}
}

// geometry is a convolution or pooling geometry, named in shape errors.
type geometry interface {
	backend.ConvGeom | backend.PoolGeom
}

// checkShape panics with the op's name unless t has exactly the shape want,
// which geometry g calls for. It allocates nothing unless it panics: g is a
// value, not an interface the caller would box, and want is copied into the
// message only on failure, so the caller's variadic slice stays on its
// stack.
func checkShape[G geometry](op, name string, t *tensor, g G, want ...int) {
	if !t.shape.Equal(want) {
		panic(fmt.Sprintf("cpu: %s: %s has shape %v, want %v for geometry %+v", op, name, t.shape, backend.Shape(slices.Clone(want)), g))
	}
}
