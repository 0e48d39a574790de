package models_test

import (
	"slices"
	"testing"

	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

// TestModels builds every model on a 1×28×28 input and checks its output
// shape and its parameter count against the count worked out by hand from
// the layer sizes (weights plus biases).
func TestModels(t *testing.T) {
	want := map[string]int{
		"cnn":    (32*1*9 + 32) + (64*32*9 + 64) + (128*64*12*12 + 128) + (10*128 + 10),
		"fast":   (24*1*25 + 24) + (32*24*9 + 32) + (256*32*5*5 + 256) + (10*256 + 10),
		"lenet":  (32*1*25 + 32) + (64*32*25 + 64) + (128*64*4*4 + 128) + (10*128 + 10),
		"logreg": 10*784 + 10,
		"mlp":    (512*784 + 512) + (10*512 + 10),
		// Convolutions without bias; 2 per channel for each BatchNorm.
		"resnet": (16*9 + 2*16) + 2*(16*16*9+2*16) +
			(32*16*9 + 32*32*9 + 2*2*32 + 32*16 + 2*32) +
			(64*32*9 + 64*64*9 + 2*2*64 + 64*32 + 2*64) + (10*64 + 10),
		"gru":  (3*128*28 + 3*128*128 + 2*3*128) + (10*128 + 10),
		"lstm": (4*128*28 + 4*128*128 + 2*4*128) + (10*128 + 10),
	}
	if names := models.Names(); !slices.Equal(names, []string{"cnn", "fast", "gru", "lenet", "logreg", "lstm", "mlp", "resnet"}) {
		t.Errorf("Names() = %v", names)
	}
	b := cpu.New()
	defer b.Close()
	for name, params := range want {
		layers, err := models.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := nn.NewSequential(b, models.InShape, 1, layers...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := m.NumParams(); got != params {
			t.Errorf("%s: %d parameters, want %d", name, got, params)
		}
		if out := m.OutShape(); !slices.Equal(out, []int{10}) {
			t.Errorf("%s: output shape %v, want [10]", name, out)
		}
	}
	if _, err := models.ByName("resnet50"); err == nil {
		t.Error(`ByName("resnet50") succeeded`)
	}
}

// TestFastMatchesTorch checks that the fast model's parameters have the
// names and shapes of the state_dict of the anchor's torch.nn.Sequential
// (../shared/anchors/torch_fast_mnist.py), 215,194 values in all as
// PyTorch counts them.
func TestFastMatchesTorch(t *testing.T) {
	b := cpu.New()
	defer b.Close()
	m, err := nn.NewSequential(b, models.InShape, 1, models.Fast()...)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		shape []int
	}{
		{"0.weight", []int{24, 1, 5, 5}}, {"0.bias", []int{24}}, {"3.weight", []int{32, 24, 3, 3}}, {"3.bias", []int{32}},
		{"7.weight", []int{256, 800}}, {"7.bias", []int{256}}, {"9.weight", []int{10, 256}}, {"9.bias", []int{10}},
	}
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d parameters, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if p.Name != want[i].name || !slices.Equal(p.Value.Shape(), want[i].shape) {
			t.Errorf("parameter %d: %s %v, want %s %v", i, p.Name, p.Value.Shape(), want[i].name, want[i].shape)
		}
	}
	if n := m.NumParams(); n != 215194 {
		t.Errorf("%d parameters, want PyTorch's 215194", n)
	}
}
