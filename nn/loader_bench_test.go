package nn_test

import (
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// BenchmarkFitShift measures one epoch of Fit over 60000 random 28×28
// images in batches of 256 with random shifts of up to 2 pixels, with a
// model as cheap as a model gets (one dense layer), so that the data path
// shows: "device" gives the Shift as Trainer.Augmenter (gathered and
// shifted by backend ops), "host" as a Trainer.Augment function (gathered,
// shifted and uploaded per batch on the host). ns/op is the whole Fit,
// with the device path's upload of the training set; train-s/epoch is the
// epoch alone (EpochStats.Seconds), what -json's train_seconds reports.
func BenchmarkFitShift(b *testing.B) {
	const n = 60000
	rng := rand.New(rand.NewSource(1))
	x := make([]float32, n*28*28)
	for i := range x {
		x[i] = rng.Float32()
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.Intn(10)
	}
	data := nn.Dataset{X: x, XShape: []int{1, 28, 28}, Y: nn.OneHot(labels, 10), YShape: []int{10}}
	for _, path := range []string{"device", "host"} {
		b.Run(path, func(b *testing.B) {
			be := cpu.New()
			defer be.Close()
			m, err := nn.NewSequential(be, data.XShape, 1, &nn.Flatten{}, &nn.Dense{Units: 10})
			if err != nil {
				b.Fatal(err)
			}
			tr := &nn.Trainer{Model: m, Loss: nn.NewSoftmaxCrossEntropy(be), Optimizer: nn.NewAdam(be, nn.DefaultAdam(0.001)), BatchSize: 256}
			shift, err := nn.NewShift(data.XShape, 2, 0)
			if err != nil {
				b.Fatal(err)
			}
			if path == "device" {
				tr.Augmenter = shift
			} else {
				tr.Augment = shift.Augment
			}
			b.ResetTimer()
			var train float64
			for range b.N {
				stats, err := tr.Fit(data, 1, nil)
				if err != nil {
					b.Fatal(err)
				}
				train += stats[0].Seconds
			}
			b.ReportMetric(train/float64(b.N), "train-s/epoch")
		})
	}
}
