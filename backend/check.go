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

// Region checks a CopyRegion call: every box size is non-negative and, when
// the box is not empty, each region stays inside its tensor (dst of shape
// dst, src of shape src), whatever the signs of its strides. It returns the
// number of elements in the box (0: nothing to copy).
func (c Check) Region(op string, dst Shape, dr Region, src Shape, sr Region, size [4]int) (total int) {
	total = 1
	for _, s := range size {
		if s < 0 {
			panic(fmt.Sprintf("%s: %s: negative box size %v", c, op, size))
		}
		total *= s
	}
	if total > 0 {
		c.region(op, "dst", dst, dr, size)
		c.region(op, "src", src, sr, size)
	}
	return total
}

// region panics unless every element of the non-empty box size at r lies in
// a tensor of shape s; name names the tensor.
func (c Check) region(op, name string, s Shape, r Region, size [4]int) {
	n := s.Len()
	lo, hi := r.Offset, r.Offset
	ok := lo >= 0 && lo < n
	for k := 0; ok && k < 4; k++ {
		if size[k] == 1 {
			continue
		}
		st := r.Strides[k]
		if st < 0 {
			st = -st
		}
		// (size−1)·|stride| must fit in the n−1 elements' span; the
		// division keeps the product from overflowing.
		if st > 0 && size[k]-1 > (n-1)/st {
			ok = false
			break
		}
		if r.Strides[k] < 0 {
			lo -= (size[k] - 1) * st
		} else {
			hi += (size[k] - 1) * st
		}
		ok = lo >= 0 && hi < n
	}
	if !ok {
		panic(fmt.Sprintf("%s: %s: %s region (offset %d, strides %v) with box size %v reaches outside %s of shape %v (%d elements)",
			c, op, name, r.Offset, r.Strides, size, name, s, n))
	}
}

// Axis splits x's shape around axis into the elements before it (outer),
// along it (n) and after it (inner), for a reduction along axis whose
// output out (named name) must have outer·inner elements. axis may count
// from the end when negative, as PyTorch's dim does (−1 is the last axis).
func (c Check) Axis(op string, x Shape, axis int, name string, out Shape) (outer, n, inner int) {
	a := axis
	if a < 0 {
		a += len(x)
	}
	if a < 0 || a >= len(x) {
		panic(fmt.Sprintf("%s: %s: axis %d of x %v: want −%d ≤ axis < %d", c, op, axis, x, len(x), len(x)))
	}
	outer, n, inner = Shape(x[:a]).Len(), x[a], Shape(x[a+1:]).Len()
	if out.Len() != outer*inner {
		panic(fmt.Sprintf("%s: %s: %s has shape %v, want %d elements: x %v without axis %d", c, op, name, out, outer*inner, x, axis))
	}
	return outer, n, inner
}

// BatchMatMul returns the batch and the sizes of C[i] = op(A[i])·op(B[i])
// for a, b and cs of three dimensions [batch, rows, columns], panicking
// unless the batches agree, the inner dimensions agree and C[i] is m×n.
func (c Check) BatchMatMul(op string, transA, transB bool, a, b, cs Shape) (batch, m, n, k int) {
	if len(a) != 3 || len(b) != 3 || len(cs) != 3 {
		panic(fmt.Sprintf("%s: %s: A %v, B %v, C %v: want three dimensions each, [batch, rows, columns]", c, op, a, b, cs))
	}
	batch, m, k = a[0], a[1], a[2]
	if transA {
		m, k = k, m
	}
	kb, n := b[1], b[2]
	if transB {
		kb, n = n, kb
	}
	if b[0] != batch || cs[0] != batch || k != kb || cs[1] != m || cs[2] != n {
		panic(fmt.Sprintf("%s: %s: op(A) %d×%d×%d (A %v, transA %t), op(B) %d×%d×%d (B %v, transB %t), C %v: want C [%d, %d, %d], equal batches and inner dimensions",
			c, op, batch, m, k, a, transA, b[0], kb, n, b, transB, cs, batch, m, n))
	}
	return batch, m, n, k
}

// Broadcast panics unless a and b broadcast, by PyTorch's rule, to exactly
// c (see BroadcastShape).
func (c Check) Broadcast(op string, a, b, cs Shape) {
	nd := max(len(a), len(b))
	ok := len(cs) == nd
	for i := 0; ok && i < nd; i++ {
		da, db := dimAligned(a, i, nd), dimAligned(b, i, nd)
		ok = (da == cs[i] || da == 1) && (db == cs[i] || db == 1) && max(da, db) == cs[i]
	}
	if !ok {
		panic(fmt.Sprintf("%s: %s: shapes a %v and b %v do not broadcast to c %v (aligned at the last dimension, each size must match c's or be 1)", c, op, a, b, cs))
	}
}

// BroadcastShape returns the shape that a and b broadcast to by PyTorch's
// rule (torch.broadcast_shapes): the shapes are aligned at their last
// dimension, a missing leading dimension counts as 1, and at each position
// the sizes must be equal or one of them 1, which repeats. ok is false when
// they do not broadcast.
func BroadcastShape(a, b Shape) (s Shape, ok bool) {
	nd := max(len(a), len(b))
	s = make(Shape, nd)
	for i := range nd {
		da, db := dimAligned(a, i, nd), dimAligned(b, i, nd)
		switch {
		case da == db || db == 1:
			s[i] = da
		case da == 1:
			s[i] = db
		default:
			return nil, false
		}
	}
	return s, true
}

// dimAligned returns the size of s at position i of nd dimensions aligned
// at the last one: 1 where s has no such dimension.
func dimAligned(s Shape, i, nd int) int {
	if j := i - (nd - len(s)); j >= 0 {
		return s[j]
	}
	return 1
}

// ShiftImages checks a ShiftImages call: x is [N, C, H, W], y has x's
// shape and shifts is [N, 2]. It returns N, C, H and W.
func (c Check) ShiftImages(op string, x, shifts, y Shape) (n, ch, h, w int) {
	if len(x) != 4 {
		panic(fmt.Sprintf("%s: %s: x has shape %v, want [N, C, H, W]", c, op, x))
	}
	c.SameShape(op, []string{"x", "y"}, x, y)
	if len(shifts) != 2 || shifts[0] != x[0] || shifts[1] != 2 {
		panic(fmt.Sprintf("%s: %s: shifts has shape %v, want [%d, 2] (dy, dx) for x %v", c, op, shifts, x[0], x))
	}
	return x[0], x[1], x[2], x[3]
}

// GRUCell checks a GRUCell call (Recurrent): h and hNew are [N, H] (read
// as matrices: rows and columns), gx and gh are [N, 3H], bhh has 3H
// elements. It returns N and H.
func (c Check) GRUCell(op string, gx, gh, bhh, h, hNew Shape) (n, hidden int) {
	n, hidden = c.cell(op, 3, []string{"h", "gx", "gh"}, h, gx, gh)
	c.SameShape(op, []string{"h", "hNew"}, h, hNew)
	if bhh.Len() != 3*hidden {
		panic(fmt.Sprintf("%s: %s: bhh has shape %v, want %d elements for h %v", c, op, bhh, 3*hidden, h))
	}
	return n, hidden
}

// GRUCellBackward checks a GRUCellBackward call: h, dhNew and dh are
// [N, H], gx, gh, dgx and dgh [N, 3H]. It returns N and H.
func (c Check) GRUCellBackward(op string, gx, gh, h, dhNew, dgx, dgh, dh Shape) (n, hidden int) {
	n, hidden = c.cell(op, 3, []string{"h", "gx", "gh", "dgx", "dgh"}, h, gx, gh, dgx, dgh)
	c.SameShape(op, []string{"h", "dhNew", "dh"}, h, dhNew, dh)
	return n, hidden
}

// LSTMCell checks an LSTMCell call: cs (the cell state c), cNew and hNew
// are [N, H], gates is [N, 4H]. It returns N and H.
func (c Check) LSTMCell(op string, gates, cs, cNew, hNew Shape) (n, hidden int) {
	n, hidden = c.cell(op, 4, []string{"c", "gates"}, cs, gates)
	c.SameShape(op, []string{"c", "cNew", "hNew"}, cs, cNew, hNew)
	return n, hidden
}

// LSTMCellBackward checks an LSTMCellBackward call: cs, cNew, dhNew and dc
// are [N, H], gates and dgates [N, 4H]. It returns N and H.
func (c Check) LSTMCellBackward(op string, gates, cs, cNew, dhNew, dc, dgates Shape) (n, hidden int) {
	n, hidden = c.cell(op, 4, []string{"c", "gates", "dgates"}, cs, gates, dgates)
	c.SameShape(op, []string{"c", "cNew", "dhNew", "dc"}, cs, cNew, dhNew, dc)
	return n, hidden
}

// cell returns the rows N and columns H of a recurrent cell's state, after
// checking that every shape in gates is [N, g·H] read as a matrix; names
// name state, then gates.
func (c Check) cell(op string, g int, names []string, state Shape, gates ...Shape) (n, hidden int) {
	n, hidden = state.Rows(), state.Cols()
	for i, s := range gates {
		if s.Rows() != n || s.Cols() != g*hidden {
			panic(fmt.Sprintf("%s: %s: %s has shape %v, want [%d %d] for %s %v", c, op, names[i+1], s, n, g*hidden, names[0], state))
		}
	}
	return n, hidden
}
