package cuda

import (
	"strings"
	"testing"
)

func TestOptionsFromEnv(t *testing.T) {
	for _, c := range []struct {
		device, tf32 string
		want         Options
		err          string
	}{
		{"", "", Options{}, ""},
		{"0", "0", Options{}, ""},
		{"3", "", Options{Device: 3}, ""},
		{"", "1", Options{TF32: true}, ""},
		{"1", "1", Options{Device: 1, TF32: true}, ""},
		{"-1", "", Options{}, `MYELIN_CUDA_DEVICE="-1": want a device number`},
		{"gpu0", "", Options{}, `MYELIN_CUDA_DEVICE="gpu0": want a device number`},
		{"", "yes", Options{}, `MYELIN_CUDA_TF32="yes": want 1 (TF32 GEMMs) or 0 (FP32)`},
	} {
		t.Setenv(DeviceEnv, c.device)
		t.Setenv(TF32Env, c.tf32)
		got, err := OptionsFromEnv()
		switch {
		case c.err == "" && err != nil:
			t.Errorf("device %q, tf32 %q: error %v", c.device, c.tf32, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("device %q, tf32 %q: error %v, want one containing %q", c.device, c.tf32, err, c.err)
		case c.err == "" && got != c.want:
			t.Errorf("device %q, tf32 %q: got %+v, want %+v", c.device, c.tf32, got, c.want)
		}
	}
}
