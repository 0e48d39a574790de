package kernels

import (
	"regexp"
	"strconv"
	"testing"
)

// maxPTXVersion is the PTX ISA version CUDA 11.8 emits; drivers from 520
// on load it. A higher version means the PTX came from a newer nvcc.
const maxPTXVersion = 7.8

var (
	versionLine = regexp.MustCompile(`(?m)^\.version (\d+\.\d+)$`)
	targetLine  = regexp.MustCompile(`(?m)^\.target (\S+)$`)
	entryLine   = regexp.MustCompile(`(?m)^\.visible \.entry (\w+)\(`)
	nvccLine    = regexp.MustCompile(`(?m)^// Cuda compilation tools, release (\S+), `)
)

func TestPTXHeaders(t *testing.T) {
	ms := Modules()
	if len(ms) != 5 {
		t.Errorf("%d modules embedded, want 5 (elementwise, geometry, index, reduce, rnn)", len(ms))
	}
	for _, m := range ms {
		v := versionLine.FindAllStringSubmatch(m.PTX, -1)
		if len(v) != 1 {
			t.Errorf("%s.ptx: %d .version lines, want 1", m.Name, len(v))
			continue
		}
		if f, err := strconv.ParseFloat(v[0][1], 64); err != nil || f > maxPTXVersion {
			t.Errorf("%s.ptx: .version %s, want at most %.1f (regenerate with CUDA 11.8's nvcc)", m.Name, v[0][1], maxPTXVersion)
		}
		if tg := targetLine.FindAllStringSubmatch(m.PTX, -1); len(tg) != 1 || tg[0][1] != "sm_52" {
			t.Errorf("%s.ptx: .target lines %q, want one, sm_52", m.Name, tg)
		}
		if r := nvccLine.FindStringSubmatch(m.PTX); r == nil || r[1] != "11.8" {
			t.Errorf("%s.ptx: nvcc release %q, want 11.8", m.Name, r)
		}
	}
}

// TestEntries checks that every Kernel is an entry of its module and that
// every entry in the PTX is a Kernel, so none is missing or unused.
func TestEntries(t *testing.T) {
	inPTX := map[string]bool{}
	for _, m := range Modules() {
		for _, e := range entryLine.FindAllStringSubmatch(m.PTX, -1) {
			inPTX[m.Name+"."+e[1]] = true
		}
	}
	for k := Kernel(0); k < Count; k++ {
		if !inPTX[k.String()] {
			t.Errorf("kernel %s is not an entry of %s.ptx", k, k.Module())
		}
		delete(inPTX, k.String())
	}
	for e := range inPTX {
		t.Errorf("PTX entry %s has no Kernel constant", e)
	}
	if len(entries) != int(Count) || Count != 59 {
		t.Errorf("Count = %d, want the 59 entries of the PTX", Count)
	}
}

func TestKernelString(t *testing.T) {
	for k, want := range map[Kernel]string{Add: "elementwise.add", Im2Col: "geometry.im2col", BNBackwardDx: "reduce.bn_backward_dx", Gather: "index.gather", LSTMCell: "rnn.lstm_cell", ShiftImages: "geometry.shift_images", ConvPoolBackward: "geometry.convpool_backward", Count: "Kernel(59)", -1: "Kernel(-1)"} {
		if got := k.String(); got != want {
			t.Errorf("Kernel(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}
