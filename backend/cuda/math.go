//go:build cuda

package cuda

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/kernels"
)

// maxBcastDims is the number of collapsed dimensions binary_bcast takes.
const maxBcastDims = 4

// bdim is one collapsed dimension of a broadcast: its size in c and each
// operand's stride along it, in elements (0 where the operand repeats).
type bdim struct{ n, sa, sb int }

// Binary writes c = a op b elementwise with PyTorch's broadcasting
// (torch.add, sub, mul, div, maximum, minimum): the shapes align at their
// last dimension, and a dimension of 1, or a missing leading one, repeats.
// c must have the broadcast shape (leading 1s aside) and may be an
// operand of that same shape. Division is correctly rounded; max and min
// give NaN where either operand is NaN.
//
// Equal shapes take one flat kernel. Otherwise the dimensions are
// collapsed (1s dropped, neighbours that both operands read contiguously
// or both repeat merged) and one kernel reads each operand through its
// strides over up to four collapsed dimensions; shapes that need more
// (broadcast patterns alternating five or more times) loop on the host
// over the outer ones.
func (b *Backend) Binary(op backend.BinaryOp, a, bt, c backend.Tensor) {
	const name = "Binary"
	ta, tb, tc := b.tensor(name, a), b.tensor(name, bt), b.tensor(name, c)
	if op < backend.OpAdd || op > backend.OpMin {
		panic(fmt.Sprintf("cuda: Binary: unknown operation %v", op))
	}
	shape, ok := broadcastShape(ta.shape, tb.shape)
	if !ok {
		panic(fmt.Sprintf("cuda: Binary %v: shapes a %v and b %v do not broadcast", op, ta.shape, tb.shape))
	}
	if !trimOnes(tc.shape).Equal(trimOnes(shape)) {
		panic(fmt.Sprintf("cuda: Binary %v: c has shape %v, want the broadcast shape %v of a %v and b %v", op, tc.shape, shape, ta.shape, tb.shape))
	}
	for _, x := range []*tensor{ta, tb} {
		if tc.overlaps(x) && (tc.ptr != x.ptr || x.len() != tc.len()) {
			panic(fmt.Sprintf("cuda: Binary %v: c %v shares memory with an operand of shape %v that is not c itself", op, tc.shape, x.shape))
		}
	}
	n := tc.len()
	dims := collapse(shape, ta.shape, tb.shape)
	if len(dims) == 1 && dims[0].sa == 1 && dims[0].sb == 1 {
		b.launch(name, kernels.BinarySame, b.grid(n), new(args).i32(int(op)).ptr(ta).ptr(tb).ptr(tc).i64(n))
		return
	}
	b.binaryBcast(int(op), ta.ptr, tb.ptr, tc.ptr, dims)
}

// binaryBcast launches binary_bcast over the collapsed dimensions dims
// (outermost first) of c at address c, looping over the outer ones when
// there are more than four.
func (b *Backend) binaryBcast(op int, a, bp, c uint64, dims []bdim) {
	if len(dims) > maxBcastDims {
		inner := 1
		for _, d := range dims[1:] {
			inner *= d.n
		}
		d := dims[0]
		for i := range d.n {
			b.binaryBcast(op, a+4*uint64(i*d.sa), bp+4*uint64(i*d.sb), c+4*uint64(i*inner), dims[1:])
		}
		return
	}
	var g [3 * maxBcastDims]int // dims, a's strides, b's strides, innermost last
	n := 1
	for k := range maxBcastDims {
		g[k] = 1
	}
	for i, d := range dims {
		k := maxBcastDims - len(dims) + i
		g[k], g[maxBcastDims+k], g[2*maxBcastDims+k] = d.n, d.sa, d.sb
		n *= d.n
	}
	b.launch("Binary", kernels.BinaryBcast, b.grid(n), new(args).i32(op).addr(a).addr(bp).addr(c).i64(n).longs(g[:]...))
}

// broadcastShape returns the shape PyTorch broadcasts a and b to, and
// whether they broadcast.
func broadcastShape(a, b backend.Shape) (backend.Shape, bool) {
	n := max(len(a), len(b))
	s := make(backend.Shape, n)
	for i := range n {
		da, db := dimFromEnd(a, n-1-i), dimFromEnd(b, n-1-i)
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

// dimFromEnd returns dimension len(s)−1−k of s, 1 where s has none.
func dimFromEnd(s backend.Shape, k int) int {
	if k >= len(s) {
		return 1
	}
	return s[len(s)-1-k]
}

// trimOnes returns s without its leading dimensions of size 1.
func trimOnes(s backend.Shape) backend.Shape {
	for len(s) > 0 && s[0] == 1 {
		s = s[1:]
	}
	return s
}

// collapse returns the dimensions of the broadcast shape c of operands a
// and b, outermost first, with each operand's element strides (0 where
// it repeats), dimensions of size 1 dropped and each dimension merged into
// the one inside it when both operands step through the pair as through
// one dimension. It returns one dimension for a single-element c.
func collapse(c, a, b backend.Shape) []bdim {
	var in []bdim // innermost first
	sa, sb := 1, 1
	for k := len(c) - 1; k >= 0; k-- {
		n := c[k]
		da, db := dimFromEnd(a, len(c)-1-k), dimFromEnd(b, len(c)-1-k)
		if n == 1 {
			continue
		}
		d := bdim{n: n}
		if da != 1 {
			d.sa = sa
		}
		if db != 1 {
			d.sb = sb
		}
		sa *= da
		sb *= db
		if m := len(in) - 1; m >= 0 && d.sa == in[m].sa*in[m].n && d.sb == in[m].sb*in[m].n {
			in[m].n *= n
			continue
		}
		in = append(in, d)
	}
	if len(in) == 0 {
		return []bdim{{n: 1, sa: 1, sb: 1}}
	}
	out := make([]bdim, len(in))
	for i, d := range in {
		out[len(in)-1-i] = d
	}
	return out
}

// Unary writes y = op(x) elementwise (torch.exp, log, sqrt, rsqrt, abs,
// square, reciprocal, neg); y may be x. sqrt, reciprocal and rsqrt are
// correctly rounded but for rsqrt's double rounding; exp and log err by at
// most 2 ulp.
func (b *Backend) Unary(op backend.UnaryOp, x, y backend.Tensor) {
	tx, ty := b.tensor("Unary", x), b.tensor("Unary", y)
	if op < backend.OpExp || op > backend.OpNeg {
		panic(fmt.Sprintf("cuda: Unary: unknown function %v", op))
	}
	b.checkMap("Unary "+op.String(), tx, ty)
	n := tx.len()
	b.launch("Unary", kernels.Unary, b.grid(n), new(args).i32(int(op)).ptr(tx).ptr(ty).i64(n))
}

// Affine writes y = alpha·x + beta elementwise with one rounding (a fused
// multiply-add); y may be x.
func (b *Backend) Affine(alpha, beta float32, x, y backend.Tensor) {
	tx, ty := b.tensor("Affine", x), b.tensor("Affine", y)
	b.checkMap("Affine", tx, ty)
	n := tx.len()
	b.launch("Affine", kernels.Affine, b.grid(n), new(args).f32(alpha).f32(beta).ptr(tx).ptr(ty).i64(n))
}

// Clamp writes y = min(max(x, lo), hi) elementwise (torch.clamp: hi where
// lo > hi, NaN stays NaN); y may be x.
func (b *Backend) Clamp(lo, hi float32, x, y backend.Tensor) {
	tx, ty := b.tensor("Clamp", x), b.tensor("Clamp", y)
	b.checkMap("Clamp", tx, ty)
	n := tx.len()
	b.launch("Clamp", kernels.Clamp, b.grid(n), new(args).f32(lo).f32(hi).ptr(tx).ptr(ty).i64(n))
}

// checkMap panics with op's name unless x and y have the same length and
// y is x or shares no memory with it.
func (b *Backend) checkMap(op string, x, y *tensor) {
	if x.len() != y.len() {
		panic(fmt.Sprintf("cuda: %s: lengths differ: x %v, y %v", op, x.shape, y.shape))
	}
	if y.overlaps(x) && y.ptr != x.ptr {
		panic(fmt.Sprintf("cuda: %s: y %v overlaps x %v without being x", op, y.shape, x.shape))
	}
}
