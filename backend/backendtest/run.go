package backendtest

import (
	"runtime/debug"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// family is one subtest of the suite: the checks of one op or a few closely
// related ones.
type family struct {
	name  string
	check func(t *testing.T, b backend.Backend)
}

// families lists the suite's subtests in the order Run runs them.
var families = []family{
	{"Info", checkInfo},
	{"Memory", checkMemory},
	{"MatMul", checkMatMul},
	{"Im2Col", checkIm2Col},
	{"Col2Im", checkCol2Im},
	{"Conv2D", checkConv2D},
	{"Conv2DBackwardData", checkConv2DBackwardData},
	{"Conv2DBackwardFilter", checkConv2DBackwardFilter},
	{"MaxPool", checkMaxPool},
	{"MaxPoolBackward", checkMaxPoolBackward},
	{"ConvPool", checkConvPool},
	{"ConvPoolBackward", checkConvPoolBackward},
	{"ConvAct", checkConvAct},
	{"AvgPool", checkAvgPool},
	{"AvgPoolBackward", checkAvgPoolBackward},
	{"Activate", checkActivate},
	{"ActivateBackward", checkActivateBackward},
	{"Softmax", checkSoftmax},
	{"SoftmaxBackward", checkSoftmaxBackward},
	{"SoftmaxCrossEntropy", checkSoftmaxCrossEntropy},
	{"SigmoidCrossEntropy", checkSigmoidCrossEntropy},
	{"MeanAbsError", checkMeanAbsError},
	{"CountCorrect", checkCountCorrect},
	{"Add", checkAdd},
	{"Mul", checkMul},
	{"Scale", checkScale},
	{"Axpy", checkAxpy},
	{"AddBias", checkAddBias},
	{"BiasGrad", checkBiasGrad},
	{"Sum", checkSum},
	{"Binary", checkBinaryMath},
	{"Unary", checkUnary},
	{"Affine", checkAffine},
	{"Clamp", checkClamp},
	{"Reduce", checkReduce},
	{"ArgMax", checkArgMax},
	{"BiasGradAdd", checkBiasGradAdd},
	{"ActivateBackwardAdd", checkActivateBackwardAdd},
	{"BatchNormTrain", checkBatchNormTrain},
	{"BatchNormInfer", checkBatchNormInfer},
	{"BatchNormBackward", checkBatchNormBackward},
	{"DropoutMask", checkDropoutMask},
	{"SGDStep", checkSGDStep},
	{"RMSpropStep", checkRMSpropStep},
	{"AdamStep", checkAdamStep},
	{"AdadeltaStep", checkAdadeltaStep},
	{"GRUCell", checkGRUCell},
	{"GRUCellBackward", checkGRUCellBackward},
	{"LSTMCell", checkLSTMCell},
	{"LSTMCellBackward", checkLSTMCellBackward},
	{"Misuse", checkMisuse},
	{"Views", checkViews},
	{"CopyRegion", checkCopyRegion},
	{"Gather", checkGather},
	{"ScatterAdd", checkScatterAdd},
	{"OneHot", checkOneHot},
	{"CountCorrectLabels", checkCountCorrectLabels},
	{"BatchMatMul", checkBatchMatMul},
	{"TryAlloc", checkTryAlloc},
	{"ShiftImages", checkShiftImages},
}

// Run runs the conformance suite: one subtest per op family, each on a new
// backend from open, which it syncs and closes at the end (an error from
// Sync or Close fails the subtest). A panic inside a subtest is reported as
// a failure of that subtest, and the others still run.
func Run(t *testing.T, open func() backend.Backend) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			b := open()
			if b == nil {
				t.Fatal("open returned a nil backend")
			}
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("panic: %v\n%s", r, debug.Stack())
					return
				}
				if err := b.Sync(); err != nil {
					t.Errorf("Sync at the end of the subtest: %v", err)
				}
				if err := b.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			f.check(t, b)
		})
	}
}
