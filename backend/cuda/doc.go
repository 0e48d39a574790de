// Package cuda is Myelin's NVIDIA GPU backend. It is compiled only with
// the build tag cuda; without it the package holds nothing but Options, and
// backend.Open("cuda") says how to build with CUDA.
//
// Build and test with scripts/cuda.sh, which points cgo at the CUDA
// headers (CUDA_HOME, default /usr/local/cuda):
//
//	scripts/cuda.sh test ./...
//	scripts/cuda.sh run ./cmd/mnist -backend cuda
//
// Importing the package in a cuda build registers the backend as "cuda"
// with priority 10, above the CPU, so backend.Open("auto") picks the GPU
// when one works. The driver (libcuda) and cuBLAS are loaded at run time
// with dlopen, not linked: a program built with -tags cuda starts on any
// machine, and where there is no driver, no GPU or no cuBLAS, Open("cuda")
// returns an error saying which, and auto selection falls back to the CPU
// and reports why (backend.OpenReport).
//
// The kernels are the PTX of package kernels, JIT-compiled by the driver
// when the backend opens; matrix products and convolutions (im2col, then
// strided-batched GEMM) run on cuBLAS. All work is queued on one stream and
// is asynchronous: ops return at once, Download and Sync wait. Reductions
// use no floating-point atomics, so every result repeats bit for bit from
// run to run on the same GPU. Device memory comes from a caching allocator:
// freed blocks are kept for reuse by size class, so a training loop that
// frees and allocates the same shapes every step makes no device
// allocations after the first; Close frees everything and releases the
// GPU.
//
// Besides the core Backend, the backend implements every optional op
// group of package backend: views (Reshape, Slice, SliceInto and, as
// Reshaper, ReshapeInto give tensors that address memory inside their
// base's block; Free of a view
// is a no-op and a view dies with its base; CopyRegion is one kernel over
// a strided box), elementwise Math with PyTorch broadcasting, axis
// reductions and accumulating gradient ops (Reducer), int32 tensors and
// the ops that index with them (Indexer), BatchMatMul through
// cublasSgemmStridedBatched, TryAlloc, the GRU and LSTM cells
// (Recurrent: one kernel per cell op, one thread per element of the
// state, no scratch memory), ShiftImages (Shifter: one kernel), and the
// convolution fused with its bias, ReLU and max pooling (ConvPooler: the
// convolution as Conv2D computes it, into scratch memory, then one kernel
// for the pooling, the bias and the ReLU, and one back for their
// gradients; with reluX the gradient of the ReLU before the convolution is
// applied as dx is written), and the convolution with its bias and ReLU
// (ConvActivator: Conv2D's product, then the AddBias and Activate kernels
// in place). Float ops panic when handed an int32 tensor.
//
// Failures from the device are errors. When the device is out of memory
// (CUDA_ERROR_OUT_OF_MEMORY, even after the allocator's cache has been
// returned to it), TryAlloc returns an error that wraps
// backend.ErrOutOfMemory and the driver's *Error, and the backend stays
// usable; Alloc and AllocInt32 panic with that same error as the panic
// value, so a caller that recovers can test it with errors.Is. Failures
// of queued work are kept and reported by Sync (sticky), among them an
// index out of range met by Gather, ScatterAdd, OneHot or
// CountCorrectLabels: the kernels record the first such index in device
// memory, write zeros for it, and Sync reports it as an *IndexError.
//
// The environment variables MYELIN_CUDA_DEVICE (device number, default 0)
// and MYELIN_CUDA_TF32 (1 for TF32 tensor-core GEMMs, default 0) configure
// the backend that backend.Open makes; see Options.
package cuda
