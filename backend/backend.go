// Package backend defines the one narrow waist of Myelin: the Backend
// interface through which layers, losses, optimizers and user programs reach
// device memory and device compute.
//
// All data is float32, row-major; images are NCHW (batch, channels, height,
// width). A Tensor is an opaque handle to device memory owned by the Backend
// that allocated it; it has a Shape and nothing else. Host data moves in and
// out only through Upload and Download.
//
// Work may be asynchronous: an op may return before its result exists.
// Download waits for the work that writes its source; Sync waits for
// everything and reports the first failure, which stays reported (sticky)
// until Close. Misuse inside an op (shapes that do not fit, a tensor of
// another backend) panics with a message naming the op and the shapes, as
// gonum's BLAS does (Check is the one place those checks live); failures
// from outside are errors: Open returns one when there is no device, and
// out of memory is an error wrapping ErrOutOfMemory — returned by
// TryAlloc, and the panic value of Alloc, which nn's Trainer turns back
// into a returned error.
//
// Growing without breaking: Backend is a fixed core. Ops added later come
// as optional interfaces (Viewer, Math, Reducer, Indexer, BatchMatMuler,
// Allocator, Recurrent, Shifter, ConvPooler, Reshaper, ConvActivator)
// that a backend implements when it can; programs call them through this
// package's functions of the same names (Slice, Binary, Reduce, Gather,
// BatchMatMul, TryAlloc, ShiftImages, ConvPool, ConvAct, …), which use the backend's own op, else a fallback built from core ops (or
// other groups) where one exists, else panic with an *UnimplementedError
// naming the op, the backend and the interface that would provide it. A
// backend written against an older Myelin keeps compiling and keeps
// working for every model that needs only the ops it has; Lacks lists what
// it is missing, and backendtest.Run skips (and names) the conformance
// families of the groups it lacks.
//
// Reading tensors as matrices: MatMul, Softmax and the loss ops treat a
// tensor of shape [d0, d1, …, dk] as a matrix with d0 rows and d1·…·dk
// columns, so a [N, C, H, W] activation feeds a fully connected layer
// without a reshape. Ops with a channel axis (AddBias, BiasGrad) read
// [N, C, spatial…] with C = Shape[1] and the rest flattened.
package backend

import "fmt"

// Backend is a compute device: memory plus the ops that training a neural
// network needs. Implementations register themselves with Register and are
// opened by name with Open.
type Backend interface {
	// Name returns the registered name of the backend, e.g. "cpu".
	Name() string
	// Device describes the device in one line: model, features, threads
	// or memory — what a benchmark report should record.
	Device() string

	// Alloc returns a new tensor of the given shape. Its contents are
	// unspecified until written. Every dimension must be positive.
	Alloc(shape ...int) Tensor
	// Free releases t. Using t afterwards is a bug. Freeing nil is a no-op.
	Free(t Tensor)
	// Upload copies src into dst; len(src) must equal dst's length. src may
	// be reused as soon as Upload returns.
	Upload(dst Tensor, src []float32)
	// Download copies src into dst after the work that writes src is done;
	// len(dst) must equal src's length.
	Download(dst []float32, src Tensor)
	// Fill sets every element of t to v.
	Fill(t Tensor, v float32)
	// Copy copies src into dst. The two must have the same length; their
	// shapes may differ, so Copy also reshapes (e.g. flattening).
	Copy(dst, src Tensor)

	// MatMul computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or
	// its transpose Xᵀ as transA and transB say. op(A) is m×k, op(B) is k×n
	// and C is m×n, reading each tensor as a matrix (see the package doc).
	// When beta is 0, C's old contents are ignored (NaN does not propagate).
	// C must not share memory with A or B.
	MatMul(transA, transB bool, alpha float32, a, b Tensor, beta float32, c Tensor)

	// Im2Col unfolds x [N, C, H, W] into col [N, C·KH·KW, OH·OW]: row
	// (c·KH+i)·KW+j of image n's block holds, for each output position
	// (oh, ow), the input x[n, c, oh·SH−PH+i·DH, ow·SW−PW+j·DW], or 0 where
	// that falls in the padding.
	Im2Col(x, col Tensor, g ConvGeom)
	// Col2Im is the adjoint of Im2Col: it overwrites x [N, C, H, W] with
	// the sum of the col entries that Im2Col would have read from each
	// input element (entries that map to padding are dropped).
	Col2Im(col, x Tensor, g ConvGeom)

	// Conv2D computes the cross-correlation y[n, f, oh, ow] =
	// Σ_{c,i,j} w[f, c, i, j]·x[n, c, oh·SH−PH+i·DH, ow·SW−PW+j·DW] (zero
	// padding) for x [N, C, H, W], w [F, C, KH, KW], y [N, F, OH, OW]. No
	// bias: add it with AddBias.
	Conv2D(x, w, y Tensor, g ConvGeom)
	// Conv2DBackwardData overwrites dx [N, C, H, W] with ∂L/∂x given
	// dy = ∂L/∂y [N, F, OH, OW] and the filters w [F, C, KH, KW].
	Conv2DBackwardData(dy, w, dx Tensor, g ConvGeom)
	// Conv2DBackwardFilter overwrites dw [F, C, KH, KW] with ∂L/∂w given
	// the layer input x [N, C, H, W] and dy [N, F, OH, OW], summed over the
	// batch.
	Conv2DBackwardFilter(x, dy, dw Tensor, g ConvGeom)

	// MaxPool writes y [N, C, OH, OW] with the maximum of each window of
	// x [N, C, H, W] (padding never wins) and argmax, shaped like y, with
	// the index h·W+w within its (n, c) plane of the element chosen (as a
	// float32, exact for planes below 2²⁴ elements). Ties go to the first
	// element in row-major window order.
	MaxPool(x, y, argmax Tensor, g PoolGeom)
	// MaxPoolBackward overwrites dx [N, C, H, W] with dy routed to the
	// elements argmax names; elements chosen by several windows receive
	// the sum.
	MaxPoolBackward(dy, argmax, dx Tensor, g PoolGeom)
	// AvgPool writes y [N, C, OH, OW] with the mean of each window of
	// x [N, C, H, W]. Padding counts as zeros in the window, and the sum is
	// always divided by KH·KW (PyTorch's count_include_pad=True).
	AvgPool(x, y Tensor, g PoolGeom)
	// AvgPoolBackward overwrites dx [N, C, H, W] with the gradient of
	// AvgPool: each dy spread evenly, 1/(KH·KW) to every element in its
	// window.
	AvgPoolBackward(dy, dx Tensor, g PoolGeom)

	// Activate writes y = f(x) elementwise for the activation a. x and y
	// have the same length and may be the same tensor.
	Activate(a Activation, x, y Tensor)
	// ActivateBackward writes dx = dy·f′(x), where y = f(x) is the output
	// Activate produced (some derivatives are cheaper from y). dx may be
	// the same tensor as dy.
	ActivateBackward(a Activation, x, y, dy, dx Tensor)
	// Softmax writes each row of y with the softmax of the same row of x
	// (rows as in the package doc), computed stably (max subtracted).
	Softmax(x, y Tensor)
	// SoftmaxBackward writes dx = y∘(dy − rowsum(dy∘y)) for y = Softmax(x).
	SoftmaxBackward(y, dy, dx Tensor)
	// SoftmaxCrossEntropy is softmax followed by cross-entropy, fused. For
	// logits and target [N, K] (target rows are probability vectors, e.g.
	// one-hot), it writes loss[0] = −(1/N)·Σ_n Σ_k target[n,k]·log
	// softmax(logits[n])[k] and grad = (softmax(logits) − target)/N, the
	// gradient of that loss with respect to logits. loss has one element.
	SoftmaxCrossEntropy(logits, target, grad, loss Tensor)
	// CountCorrect adds to count[0] the number of rows n whose arg-max in
	// pred equals the arg-max in target (first maximum on ties); pred and
	// target are [N, K]. It lets a trainer keep accuracy on the device.
	CountCorrect(pred, target, count Tensor)

	// Add writes c = a + b elementwise; c may alias a or b.
	Add(a, b, c Tensor)
	// Mul writes c = a∘b elementwise; c may alias a or b.
	Mul(a, b, c Tensor)
	// Scale multiplies every element of x by alpha in place.
	Scale(alpha float32, x Tensor)
	// Axpy adds alpha·x to y elementwise.
	Axpy(alpha float32, x, y Tensor)
	// AddBias adds b[c] to every y[n, c, …]: b has Shape[1] of y elements,
	// one per channel of a convolution output or per column of a dense one.
	AddBias(y, b Tensor)
	// BiasGrad overwrites db[c] with Σ over n and space of dy[n, c, …].
	BiasGrad(dy, db Tensor)
	// Sum writes the sum of all elements of x into dst[0].
	Sum(x, dst Tensor)

	// BatchNormTrain normalises x [N, C, spatial…] per channel with the
	// batch's own statistics. For channel c over its M = N·spatial
	// elements, μ = mean, σ² = biased variance (divided by M),
	// invStd = 1/√(σ² + eps) and
	//
	//	y = gamma[c]·(x − μ)·invStd + beta[c]
	//
	// It writes mean[c] = μ and invStd[c] for BatchNormBackward, and
	// updates the running statistics as PyTorch does, with m = momentum:
	// runMean ← (1−m)·runMean + m·μ, runVar ← (1−m)·runVar + m·σ²·M/(M−1)
	// (the unbiased variance; M must be at least 2). gamma, beta, mean,
	// invStd, runMean and runVar have C elements. y may be x.
	BatchNormTrain(x, gamma, beta, y, mean, invStd, runMean, runVar Tensor, momentum, eps float32)
	// BatchNormInfer normalises x [N, C, spatial…] with the running
	// statistics: y = gamma[c]·(x − runMean[c])/√(runVar[c] + eps) +
	// beta[c]. y may be x.
	BatchNormInfer(x, gamma, beta, runMean, runVar, y Tensor, eps float32)
	// BatchNormBackward writes the gradients of BatchNormTrain's y given
	// dy, the same x and gamma, and the mean and invStd it wrote. With
	// x̂ = (x − μ)·invStd, sums over channel c's M elements:
	//
	//	dbeta[c]  = Σ dy
	//	dgamma[c] = Σ dy·x̂
	//	dx        = gamma[c]·invStd/M·(M·dy − dbeta[c] − x̂·dgamma[c])
	//
	// dx may be dy.
	BatchNormBackward(x, dy, gamma, mean, invStd, dx, dgamma, dbeta Tensor)

	// DropoutMask fills mask for inverted dropout with drop probability p
	// (0 ≤ p < 1): element i is 1/(1−p) when DropoutUniform(seed, i) ≥ p
	// and 0 otherwise. The draw is a fixed function of seed and i, so every
	// backend makes the same mask. Dropout is then Mul(x, mask, y) forward
	// and Mul(dy, mask, dx) backward.
	DropoutMask(mask Tensor, p float32, seed uint64)

	// SigmoidCrossEntropy is binary cross-entropy on sigmoid outputs,
	// computed from the logits z for stability. For z and target t of equal
	// length L (t in [0, 1]) it writes
	//
	//	loss[0] = (1/L)·Σ max(z, 0) − z·t + log(1 + e^(−|z|))
	//	grad    = (σ(z) − t)/L
	//
	// the mean of −t·log σ(z) − (1−t)·log(1−σ(z)) and its gradient.
	SigmoidCrossEntropy(logits, target, grad, loss Tensor)
	// MeanAbsError writes, for pred and target of equal length L,
	// loss[0] = (1/L)·Σ|pred − target| and grad = sign(pred − target)/L
	// (0 where they are equal).
	MeanAbsError(pred, target, grad, loss Tensor)

	// The optimizer steps read g without modifying it.
	//
	// SGDStep updates parameter p with its gradient g in one fused pass;
	// v is the momentum buffer (same shape as p; may be nil when
	// h.Momentum is 0). See SGD for the formula.
	SGDStep(p, g, v Tensor, h SGD)
	// RMSpropStep updates p with gradient g and mean-square buffer s. See
	// RMSprop for the formula.
	RMSpropStep(p, g, s Tensor, h RMSprop)
	// AdamStep updates p with gradient g and moment buffers m and v. See
	// Adam for the formula.
	AdamStep(p, g, m, v Tensor, h Adam)
	// AdadeltaStep updates p with gradient g, squared-gradient average s
	// and squared-update average u. See Adadelta for the formula.
	AdadeltaStep(p, g, s, u Tensor, h Adadelta)

	// Sync waits for all submitted work and returns the first error any
	// of it met, again on every later call (the error is sticky).
	Sync() error
	// Close frees every tensor the backend allocated and releases the
	// device. The backend must not be used afterwards.
	Close() error
}

// Tensor is a handle to an array of float32 on a Backend's device.
type Tensor interface {
	// Shape returns the tensor's dimensions. The caller must not modify it.
	Shape() Shape
}

// Shape lists a tensor's dimensions, outermost first.
type Shape []int

// Len returns the number of elements, the product of the dimensions (1 for
// an empty shape).
func (s Shape) Len() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Rows returns the number of rows when a tensor of this shape is read as a
// matrix: the first dimension.
func (s Shape) Rows() int {
	if len(s) == 0 {
		return 1
	}
	return s[0]
}

// Cols returns the number of columns when a tensor of this shape is read as
// a matrix: the product of every dimension after the first.
func (s Shape) Cols() int {
	if len(s) == 0 {
		return 1
	}
	return Shape(s[1:]).Len()
}

// Equal reports whether s and t have the same dimensions.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// String formats the shape as [2 3 4].
func (s Shape) String() string { return fmt.Sprint([]int(s)) }
