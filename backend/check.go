package backend

import (
	"fmt"
	"slices"
)

// Check is the shape checking every backend shares: its value is the
// backend's name, which starts each panic message, followed by the op's
// name and the shapes involved, as in "cpu: Add: b has shape [2 3], want 6
// elements like a [3 3]". Backends written outside this module use it too:
//
//	var check = backend.Check("mydev")
//	m, n, k := check.MatMul("MatMul", transA, transB, a.Shape(), b.Shape(), c.Shape())
//
// The methods allocate nothing unless they panic.
type Check string

// SameLen panics unless every shape in shapes has as many elements as the
// first; names name them.
func (c Check) SameLen(op string, names []string, shapes ...Shape) {
	for i, s := range shapes[1:] {
		if s.Len() != shapes[0].Len() {
			panic(fmt.Sprintf("%s: %s: %s has shape %v, want %d elements like %s %v", c, op, names[i+1], s, shapes[0].Len(), names[0], shapes[0]))
		}
	}
}

// SameShape panics unless every shape in shapes equals the first; names
// name them.
func (c Check) SameShape(op string, names []string, shapes ...Shape) {
	for i, s := range shapes[1:] {
		if !s.Equal(shapes[0]) {
			panic(fmt.Sprintf("%s: %s: %s has shape %v, want the shape %v of %s", c, op, names[i+1], s, shapes[0], names[0]))
		}
	}
}

// Scalar panics unless s has one element.
func (c Check) Scalar(op, name string, s Shape) {
	if s.Len() != 1 {
		panic(fmt.Sprintf("%s: %s: %s has shape %v, want one element", c, op, name, s))
	}
}

// Geom panics with the op's name if err, from ConvGeom.Check or
// PoolGeom.Check, is not nil.
func (c Check) Geom(op string, err error) {
	if err != nil {
		panic(fmt.Sprintf("%s: %s: %v", c, op, err))
	}
}

// Channels returns the batch size n, the channels ch and the per-channel
// spatial size of y read as [N, C, spatial…], after checking that y has at
// least two dimensions and that every shape in per has ch elements (a bias,
// a BatchNorm statistic).
func (c Check) Channels(op, name string, y Shape, per ...Shape) (n, ch, spatial int) {
	if len(y) < 2 {
		panic(fmt.Sprintf("%s: %s: %s has shape %v, want [N, C, spatial…] with at least 2 dimensions", c, op, name, y))
	}
	n, ch = y[0], y[1]
	for _, s := range per {
		if s.Len() != ch {
			panic(fmt.Sprintf("%s: %s: %s has shape %v (C = %d) but a per-channel operand has shape %v", c, op, name, y, ch, s))
		}
	}
	return n, ch, y.Len() / (n * ch)
}

// MatMul returns the sizes of C = op(A)·op(B), op(A) m×k and op(B) k×n,
// reading each shape as a matrix (see the package doc), and panics unless
// the inner dimensions agree and C is m×n.
func (c Check) MatMul(op string, transA, transB bool, a, b, cs Shape) (m, n, k int) {
	m, k = a.Rows(), a.Cols()
	if transA {
		m, k = k, m
	}
	kb, n := b.Rows(), b.Cols()
	if transB {
		kb, n = n, kb
	}
	if k != kb || cs.Rows() != m || cs.Cols() != n {
		panic(fmt.Sprintf("%s: %s: op(A) %d×%d (A %v, transA %t), op(B) %d×%d (B %v, transB %t), C %v: want C %d×%d and equal inner dimensions",
			c, op, m, k, a, transA, kb, n, b, transB, cs, m, n))
	}
	return m, n, k
}

// geometry is a convolution or pooling geometry, named in shape errors.
type geometry interface {
	ConvGeom | PoolGeom
}

// CheckGeomShape panics unless s is exactly want, the shape that geometry g
// calls for; who is the backend's name. It allocates nothing unless it
// panics (want is copied into the message only then).
func CheckGeomShape[G geometry](who Check, op, name string, s Shape, g G, want ...int) {
	if !s.Equal(want) {
		panic(fmt.Sprintf("%s: %s: %s has shape %v, want %v for geometry %+v", who, op, name, s, Shape(slices.Clone(want)), g))
	}
}
