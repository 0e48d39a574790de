// Package kernels holds Myelin's CUDA kernels: the CUDA C sources (*.cu),
// the PTX that CUDA 11.8's nvcc generates from them for the virtual
// architecture compute_52, and that PTX embedded in the binary, so that the
// cuda backend loads it with the driver's JIT compiler and users never need
// nvcc. PTX ISA 7.8 for compute_52 loads on every driver from 520 on and
// every GPU from Maxwell to Blackwell.
//
// The PTX is committed. After editing a .cu file, regenerate it with
//
//	go generate ./kernels
//
// which needs CUDA 11.8's nvcc (Debian: apt-get install nvidia-cuda-toolkit
// from non-free) and refuses any other release. Where there is no GPU,
// ci/kernel-emu.sh runs the kernels of the optional op groups on the CPU
// (kernels/emu) against references.
package kernels

//go:generate ./generate.sh

import (
	"embed"
	"fmt"
)

//go:embed *.ptx
var ptx embed.FS

// Module is one compiled source file: the PTX of name.cu.
type Module struct {
	Name string // file name without extension, e.g. "reduce"
	PTX  string // the PTX text, as nvcc wrote it
}

// Modules returns every embedded PTX module, in file-name order.
func Modules() []Module {
	entries, err := ptx.ReadDir(".")
	if err != nil {
		panic("kernels: reading the embedded PTX: " + err.Error())
	}
	ms := make([]Module, 0, len(entries))
	for _, e := range entries {
		text, err := ptx.ReadFile(e.Name())
		if err != nil {
			panic("kernels: reading the embedded PTX: " + err.Error())
		}
		ms = append(ms, Module{Name: e.Name()[:len(e.Name())-len(".ptx")], PTX: string(text)})
	}
	return ms
}

// Kernel names one entry point of the PTX.
type Kernel int

// The kernels, grouped by the module that holds them. Their parameters are
// documented in the .cu sources.
const (
	// elementwise.cu
	Add Kernel = iota
	Mul
	Scale
	Axpy
	AddBias
	Activate
	ActivateBackward
	DropoutMask
	SGD
	RMSprop
	Adam
	Adadelta
	BinarySame
	BinaryBcast
	Unary
	Affine
	Clamp
	CopyRegion

	// geometry.cu
	Im2Col
	Col2Im
	MaxPool
	MaxPoolBackward
	ConvPool
	ConvPoolBackward
	AvgPool
	AvgPoolBackward
	ShiftImages

	// reduce.cu
	SumPartial
	SumPartialF64
	SumFinal
	BiasGradPart
	BiasGrad
	BatchSum
	Softmax
	SoftmaxBackward
	SoftmaxXent
	ArgmaxMatch
	SigmoidXent
	AbsError
	BNStats
	BNApply
	BNInfer
	BNBackwardSums
	BNBackwardDx
	ReduceRows
	ReduceCols
	ArgmaxRows
	ArgmaxCols
	ArgmaxLabel

	// index.cu
	Gather
	ScatterCount
	ScatterScan
	ScatterPlace
	ScatterSum
	OneHot

	// rnn.cu
	GRUCell
	GRUCellBackward
	LSTMCell
	LSTMCellBackward

	// Count is the number of kernels.
	Count
)

// entries maps each Kernel to its module and PTX entry name.
var entries = [Count]struct{ module, name string }{
	Add:              {"elementwise", "add"},
	Mul:              {"elementwise", "mul"},
	Scale:            {"elementwise", "scale"},
	Axpy:             {"elementwise", "axpy"},
	AddBias:          {"elementwise", "add_bias"},
	Activate:         {"elementwise", "activate"},
	ActivateBackward: {"elementwise", "activate_backward"},
	DropoutMask:      {"elementwise", "dropout_mask"},
	SGD:              {"elementwise", "sgd"},
	RMSprop:          {"elementwise", "rmsprop"},
	Adam:             {"elementwise", "adam"},
	Adadelta:         {"elementwise", "adadelta"},
	BinarySame:       {"elementwise", "binary_same"},
	BinaryBcast:      {"elementwise", "binary_bcast"},
	Unary:            {"elementwise", "unary"},
	Affine:           {"elementwise", "affine"},
	Clamp:            {"elementwise", "clamp"},
	CopyRegion:       {"elementwise", "copy_region"},
	Im2Col:           {"geometry", "im2col"},
	Col2Im:           {"geometry", "col2im"},
	MaxPool:          {"geometry", "maxpool"},
	MaxPoolBackward:  {"geometry", "maxpool_backward"},
	ConvPool:         {"geometry", "convpool"},
	ConvPoolBackward: {"geometry", "convpool_backward"},
	AvgPool:          {"geometry", "avgpool"},
	AvgPoolBackward:  {"geometry", "avgpool_backward"},
	ShiftImages:      {"geometry", "shift_images"},
	SumPartial:       {"reduce", "sum_partial"},
	SumPartialF64:    {"reduce", "sum_partial_f64"},
	SumFinal:         {"reduce", "sum_final"},
	BiasGradPart:     {"reduce", "bias_grad_part"},
	BiasGrad:         {"reduce", "bias_grad"},
	BatchSum:         {"reduce", "batch_sum"},
	Softmax:          {"reduce", "softmax"},
	SoftmaxBackward:  {"reduce", "softmax_backward"},
	SoftmaxXent:      {"reduce", "softmax_xent"},
	ArgmaxMatch:      {"reduce", "argmax_match"},
	SigmoidXent:      {"reduce", "sigmoid_xent"},
	AbsError:         {"reduce", "abs_error"},
	BNStats:          {"reduce", "bn_stats"},
	BNApply:          {"reduce", "bn_apply"},
	BNInfer:          {"reduce", "bn_infer"},
	BNBackwardSums:   {"reduce", "bn_backward_sums"},
	BNBackwardDx:     {"reduce", "bn_backward_dx"},
	ReduceRows:       {"reduce", "reduce_rows"},
	ReduceCols:       {"reduce", "reduce_cols"},
	ArgmaxRows:       {"reduce", "argmax_rows"},
	ArgmaxCols:       {"reduce", "argmax_cols"},
	ArgmaxLabel:      {"reduce", "argmax_label"},
	Gather:           {"index", "gather"},
	ScatterCount:     {"index", "scatter_count"},
	ScatterScan:      {"index", "scatter_scan"},
	ScatterPlace:     {"index", "scatter_place"},
	ScatterSum:       {"index", "scatter_sum"},
	OneHot:           {"index", "one_hot"},
	GRUCell:          {"rnn", "gru_cell"},
	GRUCellBackward:  {"rnn", "gru_cell_backward"},
	LSTMCell:         {"rnn", "lstm_cell"},
	LSTMCellBackward: {"rnn", "lstm_cell_backward"},
}

// Module returns the name of the module that holds k.
func (k Kernel) Module() string { return k.entry().module }

// Name returns k's entry-point name in the PTX (its extern "C" name).
func (k Kernel) Name() string { return k.entry().name }

// String returns the module and entry name, e.g. "reduce.softmax".
func (k Kernel) String() string {
	if k < 0 || k >= Count {
		return fmt.Sprintf("Kernel(%d)", int(k))
	}
	return k.Module() + "." + k.Name()
}

func (k Kernel) entry() struct{ module, name string } {
	if k < 0 || k >= Count {
		panic(fmt.Sprintf("kernels: no kernel %d", int(k)))
	}
	return entries[k]
}

// Threads is the block size every kernel is written for (THREADS in
// myelin.cuh): the reductions assume it, the others work with any.
const Threads = 256
