package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu/internal/freelist"
	"github.com/myelin-go/myelin/backend/cpu/internal/vec"
)

var _ backend.Math = (*Backend)(nil)

// maxBroadcastDims is the most dimensions a broadcast Binary may have after
// its adjacent dimensions of the same kind are merged (see layout): a
// broadcast alternating between the operands more often than this panics.
const maxBroadcastDims = 16

// binaryOps maps backend's binary operations to the vec kernels'.
var binaryOps = [...]vec.BinOp{
	backend.OpAdd: vec.Add, backend.OpSub: vec.Sub, backend.OpMul: vec.Mul,
	backend.OpDiv: vec.Div, backend.OpMax: vec.Max, backend.OpMin: vec.Min,
}

// unaryOps maps backend's unary functions to the vec kernels'.
var unaryOps = [...]vec.UnOp{
	backend.OpExp: vec.Exp, backend.OpLog: vec.Log, backend.OpSqrt: vec.Sqrt,
	backend.OpRsqrt: vec.Rsqrt, backend.OpAbs: vec.Abs, backend.OpSquare: vec.Square,
	backend.OpReciprocal: vec.Recip, backend.OpNeg: vec.Neg,
}

// mathKind is the loop a mathTask runs.
type mathKind int

const (
	mathSame      mathKind = iota // c = a op b, equal lengths
	mathScalarR                   // c = a op s
	mathScalarL                   // c = s op b
	mathBroadcast                 // c = a op b over a broadcast layout
	mathUnary                     // c = f(a)
	mathAffine                    // c = s·a + t
	mathClamp                     // c = min(max(a, s), t)
)

// layout is a broadcast Binary with its dimensions of size 1 dropped and
// adjacent dimensions merged where both operands repeat along both or
// along neither: dims[:nd] (the last is the inner run) and each operand's
// strides, 0 along the dimensions it repeats over.
type layout struct {
	nd     int
	dims   [maxBroadcastDims]int
	sa, sb [maxBroadcastDims]int
}

// mathTask runs one Math op over a range of elements, or of inner runs
// for mathBroadcast.
type mathTask struct {
	k       *vec.Kernels
	kind    mathKind
	bop     vec.BinOp
	uop     vec.UnOp
	a, b, c []float32
	s, t    float32
	l       layout
}

func (t *mathTask) run(_, lo, hi int) {
	k := t.k
	switch t.kind {
	case mathSame:
		k.Binary(t.bop, t.c[lo:hi], t.a[lo:hi], t.b[lo:hi])
	case mathScalarR:
		k.BinaryScalar(t.bop, t.c[lo:hi], t.a[lo:hi], t.s)
	case mathScalarL:
		k.ScalarBinary(t.bop, t.c[lo:hi], t.s, t.b[lo:hi])
	case mathUnary:
		k.Unary(t.uop, t.c[lo:hi], t.a[lo:hi])
	case mathAffine:
		k.ScaleShift(t.c[lo:hi], t.a[lo:hi], t.s, t.t)
	case mathClamp:
		k.Clamp(t.c[lo:hi], t.a[lo:hi], t.s, t.t)
	case mathBroadcast:
		t.runs(lo, hi)
	}
}

// runs computes the inner runs lo..hi−1 of a broadcast: run r is the
// element block c[r·inner : (r+1)·inner], its outer index r split over
// dims[:nd−1] by a counter kept along.
func (t *mathTask) runs(lo, hi int) {
	l := &t.l
	outer := l.nd - 1
	n := l.dims[outer]
	var idx [maxBroadcastDims]int
	offA, offB := 0, 0
	for j, r := outer-1, lo; j >= 0; j-- {
		idx[j] = r % l.dims[j]
		r /= l.dims[j]
		offA += idx[j] * l.sa[j]
		offB += idx[j] * l.sb[j]
	}
	k, op := t.k, t.bop
	for r := lo; r < hi; r++ {
		c := t.c[r*n : (r+1)*n]
		switch {
		case l.sa[outer] == 0:
			k.ScalarBinary(op, c, t.a[offA], t.b[offB:offB+n])
		case l.sb[outer] == 0:
			k.BinaryScalar(op, c, t.a[offA:offA+n], t.b[offB])
		default:
			k.Binary(op, c, t.a[offA:offA+n], t.b[offB:offB+n])
		}
		for j := outer - 1; j >= 0; j-- {
			idx[j]++
			offA += l.sa[j]
			offB += l.sb[j]
			if idx[j] < l.dims[j] {
				break
			}
			offA -= idx[j] * l.sa[j]
			offB -= idx[j] * l.sb[j]
			idx[j] = 0
		}
	}
}

var mathTasks freelist.List[mathTask]

// runMath runs t over n items (elements, or inner runs of inner elements
// each) in parallel and returns t to its pool.
func runMath(t *mathTask, n, grain int) {
	parallelDo(n, grain, t)
	*t = mathTask{}
	mathTasks.Put(t)
}

// broadcastLayout returns the layout of c = a op b for shapes sa and sb,
// and panics with the op's name and the shapes unless they broadcast to
// c's shape sc (PyTorch's rule: aligned at the last dimension, a size 1 or
// a missing leading dimension repeats).
func broadcastLayout(op string, sa, sb, sc backend.Shape) layout {
	bad := func() {
		panic(fmt.Sprintf("cpu: %s: shapes a %v and b %v do not broadcast to c %v (aligned at the last dimension, each size must match c's or be 1)", op, sa, sb, sc))
	}
	nd := max(len(sa), len(sb))
	if len(sc) != nd {
		bad()
	}
	dim := func(s backend.Shape, i int) int { // size of s at aligned position i, 1 if missing
		if j := i - (nd - len(s)); j >= 0 {
			return s[j]
		}
		return 1
	}
	var l layout
	prevA, prevB := false, false // whether a and b repeat along the previous kept dimension
	for i := range nd {
		da, db, dc := dim(sa, i), dim(sb, i), sc[i]
		if (da != dc && da != 1) || (db != dc && db != 1) || max(da, db) != dc {
			bad()
		}
		if dc == 1 {
			continue
		}
		repA, repB := da == 1, db == 1
		if l.nd > 0 && repA == prevA && repB == prevB {
			l.dims[l.nd-1] *= dc
			continue
		}
		if l.nd == maxBroadcastDims {
			panic(fmt.Sprintf("cpu: %s: shapes a %v and b %v alternate their broadcast dimensions more than %d times", op, sa, sb, maxBroadcastDims))
		}
		l.dims[l.nd] = dc
		if !repA {
			l.sa[l.nd] = 1
		}
		if !repB {
			l.sb[l.nd] = 1
		}
		l.nd++
		prevA, prevB = repA, repB
	}
	// Strides: an operand's stride along a dimension it does not repeat
	// over is the product of the later such dimensions.
	strideA, strideB := 1, 1
	for j := l.nd - 1; j >= 0; j-- {
		if l.sa[j] != 0 {
			l.sa[j] = strideA
			strideA *= l.dims[j]
		}
		if l.sb[j] != 0 {
			l.sb[j] = strideB
			strideB *= l.dims[j]
		}
	}
	return l
}

// sameData reports whether x and y start at the same element.
func sameData(x, y []float32) bool { return len(x) > 0 && len(y) > 0 && &x[0] == &y[0] }

// Binary writes c = a op b elementwise with PyTorch's broadcasting (see
// backend.Math): equal shapes and a one-element operand run one kernel over
// all of c; any other broadcast runs a kernel per inner run of c (a row
// of [N, D] against a [D] row, a plane of [N, C, H, W] against its
// channel's element of a [C, 1, 1] tensor), split over the worker pool. c
// may be a or b when it has that operand's shape.
func (b *Backend) Binary(op backend.BinaryOp, a, bt, c backend.Tensor) {
	if op < 0 || int(op) >= len(binaryOps) {
		panic(fmt.Sprintf("cpu: Binary: unknown operation %v", op))
	}
	ta, tb, tc := b.tensor("Binary", a), b.tensor("Binary", bt), b.tensor("Binary", c)
	na, nb, nc := len(ta.data), len(tb.data), len(tc.data)
	if (sameData(tc.data, ta.data) && na != nc) || (sameData(tc.data, tb.data) && nb != nc) {
		panic(fmt.Sprintf("cpu: Binary: c %v is an operand of another shape (a %v, b %v): it may alias only an operand of its own shape", tc.shape, ta.shape, tb.shape))
	}
	t := mathTasks.Get()
	*t = mathTask{k: vec.For(b.level), bop: binaryOps[op], a: ta.data, b: tb.data, c: tc.data}
	switch {
	case na == nc && nb == nc && ta.shape.Equal(tb.shape) && ta.shape.Equal(tc.shape):
		t.kind = mathSame
	case nb == 1 && na == nc && ta.shape.Equal(tc.shape) && len(tb.shape) <= len(tc.shape):
		t.kind, t.s = mathScalarR, tb.data[0]
	case na == 1 && nb == nc && tb.shape.Equal(tc.shape) && len(ta.shape) <= len(tc.shape):
		t.kind, t.s = mathScalarL, ta.data[0]
	default:
		l := broadcastLayout("Binary", ta.shape, tb.shape, tc.shape)
		switch {
		case l.nd == 0 || (l.nd == 1 && l.sa[0] == 1 && l.sb[0] == 1): // equal but for 1s
			t.kind = mathSame
		case l.nd == 1 && l.sa[0] == 0:
			t.kind, t.s = mathScalarL, ta.data[0]
		case l.nd == 1:
			t.kind, t.s = mathScalarR, tb.data[0]
		}
		if l.nd <= 1 {
			break
		}
		t.kind, t.l = mathBroadcast, l
		inner := l.dims[l.nd-1]
		runMath(t, nc/inner, max(1, elemGrain/inner))
		return
	}
	runMath(t, nc, elemGrain)
}

// unaryArgs checks that y has x's length and returns both as tensors.
func (b *Backend) unaryArgs(op string, x, y backend.Tensor) (tx, ty *tensor) {
	tx, ty = b.tensor(op, x), b.tensor(op, y)
	check.SameLen(op, []string{"x", "y"}, tx.shape, ty.shape)
	return tx, ty
}

// Unary writes y = op(x) elementwise; y may be x. Exp and Log are the vec
// package's polynomial kernels (relative error at most 2·10⁻⁷), the
// others correctly rounded.
func (b *Backend) Unary(op backend.UnaryOp, x, y backend.Tensor) {
	if op < 0 || int(op) >= len(unaryOps) {
		panic(fmt.Sprintf("cpu: Unary: unknown function %v", op))
	}
	tx, ty := b.unaryArgs("Unary", x, y)
	grain := elemGrain
	if op == backend.OpExp || op == backend.OpLog {
		grain = mathGrain
	}
	t := mathTasks.Get()
	*t = mathTask{k: vec.For(b.level), kind: mathUnary, uop: unaryOps[op], a: tx.data, c: ty.data}
	runMath(t, len(ty.data), grain)
}

// Affine writes y = alpha·x + beta elementwise (one rounding on the
// assembly levels, which fuse the multiply-add); y may be x.
func (b *Backend) Affine(alpha, beta float32, x, y backend.Tensor) {
	tx, ty := b.unaryArgs("Affine", x, y)
	t := mathTasks.Get()
	*t = mathTask{k: vec.For(b.level), kind: mathAffine, a: tx.data, c: ty.data, s: alpha, t: beta}
	runMath(t, len(ty.data), elemGrain)
}

// Clamp writes y = min(max(x, lo), hi) elementwise (torch.clamp): a NaN in
// x stays NaN, and every element is hi when lo > hi. y may be x.
func (b *Backend) Clamp(lo, hi float32, x, y backend.Tensor) {
	tx, ty := b.unaryArgs("Clamp", x, y)
	t := mathTasks.Get()
	*t = mathTask{k: vec.For(b.level), kind: mathClamp, a: tx.data, c: ty.data, s: lo, t: hi}
	runMath(t, len(ty.data), elemGrain)
}
