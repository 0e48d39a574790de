package vec

import "fmt"

// BinOp is an elementwise binary operation of Binary, BinaryScalar and
// ScalarBinary.
type BinOp int

// The binary operations. Max and Min return NaN where either operand is
// NaN (torch.maximum, torch.minimum).
const (
	Add BinOp = iota
	Sub
	Mul
	Div
	Max
	Min
	numBinOps
)

// The slice-scalar kernels, indices into Kernels.scalar: x op s, and s op x
// for the two operations that do not commute.
const (
	addS = iota
	subS
	rsubS
	mulS
	divS
	rdivS
	maxS
	minS
	numScalarOps
)

// scalarRight and scalarLeft map a BinOp to the kernel computing x op s and
// s op x.
var (
	scalarRight = [numBinOps]int{Add: addS, Sub: subS, Mul: mulS, Div: divS, Max: maxS, Min: minS}
	scalarLeft  = [numBinOps]int{Add: addS, Sub: rsubS, Mul: mulS, Div: rdivS, Max: maxS, Min: minS}
)

// UnOp is an elementwise function of Unary.
type UnOp int

// The unary functions: eˣ (as in Exp), ln x (as in the log kernel: relative
// error at most 2·10⁻⁷, −Inf at 0, NaN below), √x, 1/√x, |x|, x², 1/x and
// −x, all but Exp and Log correctly rounded.
const (
	Exp UnOp = iota
	Log
	Sqrt
	Rsqrt
	Abs
	Square
	Recip
	Neg
	numUnOps
)

// Binary sets dst[i] = a[i] op b[i] for i < len(dst).
func (k *Kernels) Binary(op BinOp, dst, a, b []float32) {
	check("Binary", len(dst), len(a), len(b))
	k.binary[op](dst, a, b)
}

// BinaryScalar sets dst[i] = x[i] op s for i < len(dst).
func (k *Kernels) BinaryScalar(op BinOp, dst, x []float32, s float32) {
	check("BinaryScalar", len(dst), len(x))
	k.scalar[scalarRight[op]](dst, x, s)
}

// ScalarBinary sets dst[i] = s op x[i] for i < len(dst) (Max and Min
// return x[i]'s NaN where both are NaN).
func (k *Kernels) ScalarBinary(op BinOp, dst []float32, s float32, x []float32) {
	check("ScalarBinary", len(dst), len(x))
	k.scalar[scalarLeft[op]](dst, x, s)
}

// ntMin is the fewest elements (16 MB) that Unary writes with the NT
// twins of the assembly kernels: an output that large leaves the caches
// before it is read again anyway, and non-temporal stores save reading
// each of its cache lines before it is overwritten.
const ntMin = 1 << 22

// Unary sets dst[i] = op(x[i]) for i < len(dst). An assembly level stores
// a dst of at least ntMin elements with non-temporal stores; the values
// are the same.
func (k *Kernels) Unary(op UnOp, dst, x []float32) {
	check("Unary", len(dst), len(x))
	if f := k.unaryNT[op]; f != nil && len(dst) >= ntMin {
		f(dst, x)
		return
	}
	k.unary[op](dst, x)
}

// Clamp sets dst[i] = min(max(x[i], lo), hi) for i < len(dst), a NaN in x
// kept (torch.clamp); hi where lo > hi.
func (k *Kernels) Clamp(dst, x []float32, lo, hi float32) {
	check("Clamp", len(dst), len(x))
	k.clamp(dst, x, lo, hi)
}

// AddWideRows adds rows rows of len(acc) floats, ld ≥ len(acc) apart in x,
// to acc in row order for every column: acc[i] += float64(x[r·ld+i]) for
// r = 0, 1, …, rows−1, each addition in float64. Adding the rows of a
// reduced axis a few at a time gives the same bits as one at a time.
func (k *Kernels) AddWideRows(acc []float64, x []float32, ld, rows int) {
	if rows <= 0 || len(acc) == 0 {
		return
	}
	if ld < len(acc) {
		panic(fmt.Sprintf("vec: AddWideRows: rows %d apart, want at least len(acc) = %d", ld, len(acc)))
	}
	check("AddWideRows", (rows-1)*ld+len(acc), len(x))
	k.addWideRows(acc, x, ld, rows)
}

// MaxRow returns the largest element of x, −Inf if x is empty, and a NaN if
// any element is NaN (torch.amax); when +0 and −0 tie, either may be
// returned.
func (k *Kernels) MaxRow(x []float32) float32 { return k.maxRow(x) }

// MaxRows folds rows rows of len(m) floats, ld ≥ len(m) apart in x, into
// the running maxima m: m[i] = max(m[i], x[r·ld+i]) for r = 0, 1, …,
// rows−1, NaN where any is NaN (as Binary's Max).
func (k *Kernels) MaxRows(m, x []float32, ld, rows int) {
	if rows <= 0 || len(m) == 0 {
		return
	}
	if ld < len(m) {
		panic(fmt.Sprintf("vec: MaxRows: rows %d apart, want at least len(m) = %d", ld, len(m)))
	}
	check("MaxRows", (rows-1)*ld+len(m), len(x))
	k.maxRows(m, x, ld, rows)
}
