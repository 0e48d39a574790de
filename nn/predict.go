package nn

import (
	"fmt"
	"math"
)

// Predict returns the model's outputs, computed in inference mode
// (Forward with train false), for the samples in x: host values, one or
// more whole samples of prod(InShape) values each, in the layout of
// Dataset.X. The result holds one row of prod(OutShape) values per
// sample. It returns an error when len(x) is not a positive multiple of
// the sample size, or when the backend reports one. Like Forward, it is
// not safe for concurrent use, and it allocates the input tensor per
// call: Trainer.Predict runs whole data sets in batches.
func (m *Sequential) Predict(x []float32) ([]float32, error) {
	inLen := shapeLen(m.in)
	if len(x) == 0 || len(x)%inLen != 0 {
		return nil, fmt.Errorf("nn: Sequential.Predict: %d values, want a positive multiple of the %d of one sample of shape [%s]", len(x), inLen, dims(m.in))
	}
	n := len(x) / inLen
	t := m.b.Alloc(append([]int{n}, m.in...)...)
	defer m.b.Free(t)
	m.b.Upload(t, x)
	out := make([]float32, n*shapeLen(m.OutShape()))
	m.b.Download(out, m.Forward(t, false))
	if err := m.b.Sync(); err != nil {
		return nil, fmt.Errorf("nn: Sequential.Predict: %w", err)
	}
	return out, nil
}

// Probabilities returns the class probabilities a classifier gives the
// samples in x (host values, as for Predict): for each sample, the softmax
// of the model's outputs,
//
//	p[k] = exp(z[k] − max z) / Σ_j exp(z[j] − max z),
//
// as for a model trained with SoftmaxCrossEntropy, whose outputs z are
// logits (PyTorch: torch.softmax(model(x), dim=1)). When the model's last
// layer is a Softmax, its outputs are already probabilities and are
// returned as they are. Each row sums to 1; ArgMax of a row is the
// predicted class.
func (m *Sequential) Probabilities(x []float32) ([]float32, error) {
	out, err := m.Predict(x)
	if err != nil {
		return nil, err
	}
	if _, ok := m.chain.layers[len(m.chain.layers)-1].(*Softmax); ok {
		return out, nil
	}
	k := shapeLen(m.OutShape())
	for i := 0; i < len(out); i += k {
		softmaxRow(out[i : i+k])
	}
	return out, nil
}

// softmaxRow replaces the logits in row by their softmax, accumulating in
// float64.
func softmaxRow(row []float32) {
	hi := math.Inf(-1)
	for _, v := range row {
		hi = max(hi, float64(v))
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - hi)
	}
	for i, v := range row {
		row[i] = float32(math.Exp(float64(v)-hi) / sum)
	}
}

// ArgMax returns the index of the largest value in row, the first one
// when several are equal: the class of a row of probabilities or logits,
// or the label of a one-hot target. As in PyTorch (torch.argmax), a NaN
// counts as the largest value: the index of the first NaN is returned. It
// panics when row is empty.
func ArgMax(row []float32) int {
	if len(row) == 0 {
		panic("nn: ArgMax of an empty row")
	}
	best := 0
	for i, v := range row {
		if v != v {
			return i
		}
		if v > row[best] {
			best = i
		}
	}
	return best
}
