// Package backendtest is the conformance suite for implementations of
// backend.Backend. Every backend Myelin ships runs it, and a third-party
// backend should too: one test function is enough.
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func() backend.Backend { return mybackend.New() })
//	}
//
// Run checks every method of the interface against plain float64 reference
// implementations written independently in this package, and checks every
// gradient op a second time by central differences of the float64 forward
// reference. Each op family is its own subtest ("MatMul", "Im2Col",
// "Conv2DBackwardData", "AdamStep", …) with a freshly opened backend, which
// Run syncs and closes at the end, failing the subtest if Sync or Close
// returns an error; so one family can be run alone with
// go test -run 'Conformance/MatMul$'. Inputs come from math/rand with fixed
// seeds, so a failure reproduces exactly. Under go test -short the largest
// cases are trimmed so that the suite stays fast with the race detector on.
//
// Before every op, its output tensors are filled with NaN through Upload
// (except those the contract says the op reads, such as C when beta ≠ 0 or
// Axpy's y), so an element the op fails to write shows up as NaN. A failing
// check reports how many elements are out of tolerance and, for the first of
// them, its index, the value got, the value wanted and the tolerance.
//
// # Tolerances
//
// The contract is float32 arithmetic. With u = 2⁻²⁴ the float32 unit
// roundoff and γₙ = n·u/(1−n·u), the suite allows:
//
//   - Pure data movement (Upload/Download, Fill, Copy, Im2Col, MaxPool and
//     its argmax, CountCorrect): no error at all; results must be exact.
//   - A single rounded operation per element (Add, Mul, Scale, AddBias):
//     |got − want| ≤ 2u·|want|, and Axpy (two operations) 4u·(|αx| + |y|).
//   - Sums and dot products of n terms (MatMul, Col2Im, the convolutions,
//     the pooling ops and their gradients, BiasGrad, SoftmaxBackward):
//     |got − want| ≤ γₙ₊₂·M, where M is the same sum taken over the absolute
//     values of the terms. This is the classical worst-case bound for
//     float32 summation in any order, so it holds for blocked, tiled,
//     split-K and FMA implementations alike, while an indexing mistake, a
//     missed term or a reduced-precision unit (TF32, float16 accumulation)
//     shows up as an error orders of magnitude larger.
//   - Sum: the bound above, but never more than 10⁻⁵·Σ|x|, which pairwise,
//     blocked or float64 accumulation meets by a wide margin even for a
//     million terms (naive float32 accumulation does not).
//   - Transcendental functions (the activations, Softmax, the loss):
//     relative error 10⁻⁵ plus an absolute 10⁻⁶ on the natural scale of the
//     value (1 for an activation, a probability or the loss, |dy| for a
//     derivative, 1/N for the loss gradient), so a fast exp or log a few
//     dozen ulps off passes but a wrong formula, a lost term or an overflow
//     does not. Inputs of ±30 and ±100, and logits of ±1000, must give
//     finite results wherever the true value is finite.
//   - Optimizer steps, run several times in a row on parameters, gradients
//     and buffers of unit scale: 10⁻⁶ (about 16u) per step times
//     (1 + |want|), for the parameters and every buffer.
//   - DropoutMask: exact. Every element is compared with an independent
//     implementation of backend.DropoutUniform's hash: 0 exactly where
//     the draw is below p, and 1/(1−p) to 2u elsewhere (the division may
//     be rounded in float32). p = 0.5 must keep a fraction within five
//     binomial standard deviations of one half.
//   - SigmoidCrossEntropy: as the transcendental functions above, with
//     logits of ±100 and ±1000. MeanAbsError: the loss to the sum bound
//     plus 2u of |pred| + |target| per term (the subtraction), and the
//     gradient ±1/L or exactly 0 where pred = target, to 2u.
//   - Batch normalisation: per channel of M values, the mean to
//     γ_{M+2}·mean|x| and the variance to γ_{2M+4}·mean x² (a bound that
//     one-pass and two-pass summation both meet), carried through to
//     1/√(σ² + ε) with transRelTol added; y, and BatchNormInfer's y, to
//     those errors carried through plus 4u of every term of the affine
//     form x·(γ·invStd) + (β − μ·γ·invStd), which may be much larger than
//     y when |μ| is large against σ; the running statistics (the variance
//     unbiased, ·M/(M−1)) to 4u of their terms plus momentum times the
//     error of μ or σ². BatchNormBackward: with s the largest
//     (|x| + |μ|)·invStd of the channel and S = Σ|dy|, dβ to γ_{M+2}·S,
//     dγ to γ_{M+4}·s·S and dx to 2·|γ|·invStd/M·γ_{M+8}·(M·|dy| + S +
//     s²·S). Its central differences are of L = Σ y∘r for a random r,
//     through the batch statistics.
//   - The optional groups (backend.Math, backend.Reducer; a family whose
//     group the backend lacks is skipped with a message naming it): Binary,
//     Sqrt, Square and Reciprocal to 2u, Rsqrt to 4u, Abs, Neg, Clamp and
//     the Max and Min of Binary exactly, Exp and Log as the transcendental
//     functions, Affine to 4u of |αx| + |β|; NaNs and infinities exactly
//     where the float64 reference has them (a value beyond the float32
//     range counts as infinite). Reduce: sums and means to the sum bound
//     above with the accumulated β·y among the terms, Max exactly (2u once
//     β·y is added); ArgMax exactly, the first index on ties and the first
//     NaN where there is one. BiasGradAdd and ActivateBackwardAdd: the
//     bounds of BiasGrad and ActivateBackward with the old β·db or β·dx
//     added (2u of it for ActivateBackwardAdd).
//
// Optional op groups (backend.Viewer, backend.Indexer,
// backend.BatchMatMuler, backend.Allocator, backend.Shifter) have families
// of their own ("Views", "CopyRegion", "Gather", "ScatterAdd", "OneHot",
// "CountCorrectLabels", "BatchMatMul", "TryAlloc", "ShiftImages"); on a
// backend that lacks the group, the family is skipped with a message
// naming it (ShiftImages still checks its fallback on a backend with
// Viewer and Indexer). Views, CopyRegion, Gather, OneHot,
// CountCorrectLabels and ShiftImages move data and must be exact, CopyRegion's accumulation the float32 sum; views used as inputs
// and outputs of core ops get those ops' tolerances, and the elements of
// the base outside the view must stay NaN. ScatterAdd must equal, bit for
// bit, the float32 sum of the table row and the source rows in the order
// of the indices (the contract makes it deterministic), and also the
// float64 sum to the summation bound. BatchMatMul has MatMul's bound per
// product.
//
// Central-difference checks add 10⁻⁶ of the largest finite-difference
// derivative to the bound of the reference check, which covers the float64
// truncation and rounding error of the differences themselves.
package backendtest
