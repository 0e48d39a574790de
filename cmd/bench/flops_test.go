package main

import (
	"testing"

	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

// TestTrainFlops checks the step's flop count against the multiply-adds
// worked out by hand from each model's layer shapes: 2 products for the
// first layer with parameters (forward and weight gradient), 3 for the
// others.
func TestTrainFlops(t *testing.T) {
	b := cpu.New()
	defer b.Close()
	for _, tc := range []struct {
		model string
		macs  int // per sample
	}{
		// conv 3×3 32 on 26×26, conv 3×3 64 on 24×24, fc 9216→128, fc 128→10.
		{"cnn", 2*32*9*26*26 + 3*(64*32*9*24*24+128*9216+10*128)},
		// conv 5×5 24 on 24×24, conv 3×3 32 on 10×10, fc 800→256, fc 256→10.
		{"fast", 2*24*25*24*24 + 3*(32*24*9*10*10+256*800+10*256)},
		{"logreg", 2 * 10 * 784},
	} {
		layers, _ := models.ByName(tc.model)
		m, err := nn.NewSequential(b, models.InShape, 1, layers...)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := trainFlops(b, m, 3), float64(2*3*tc.macs); got != want {
			t.Errorf("%s: %g flops for a batch of 3, want %g", tc.model, got, want)
		}
	}
}
