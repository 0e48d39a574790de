package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/internal/jsonfloat"
)

// writeText writes a small repetitive text and returns its path.
func writeText(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "text.txt")
	text := strings.Repeat("the quick brown fox jumps over the lazy dog. ", 200)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrainSaveLoadSample trains a small model for two epochs with -json,
// checks that validation bits per character fall below a uniform guess,
// saves it, and loads it again to evaluate and sample.
func TestTrainSaveLoadSample(t *testing.T) {
	for _, cell := range []string{"gru", "lstm"} {
		t.Run(cell, func(t *testing.T) {
			text := writeText(t)
			weights := filepath.Join(t.TempDir(), "lm.safetensors")
			small := []string{"-text", text, "-cell", cell, "-backend", "cpu", "-seq", "20", "-batch", "8", "-embed", "8", "-hidden", "32", "-lr", "1e-2"}
			var out, errOut bytes.Buffer
			args := append(append([]string(nil), small...), "-epochs", "2", "-json", "-save", weights)
			if err := run(context.Background(), args, &out, &errOut); err != nil {
				t.Fatalf("%v\n%s", err, errOut.String())
			}
			dec := json.NewDecoder(&out)
			var recs []epochRecord
			for dec.More() {
				var r epochRecord
				if err := dec.Decode(&r); err != nil {
					t.Fatal(err)
				}
				recs = append(recs, r)
			}
			if len(recs) != 2 || recs[1].Epoch != 2 || recs[1].Steps != 9000*9/10/160 || !(recs[1].CharsPerSec > 0) {
				t.Fatalf("epoch records %+v", recs)
			}
			uniform := jsonfloat.Float(math.Log2(28)) // the text has 28 distinct characters
			if !(recs[1].ValBPC < uniform-1) || !(recs[1].ValBPC < recs[0].ValBPC+0.2) {
				t.Errorf("validation bits/char %v then %v, want well below a uniform guess's %.2f", recs[0].ValBPC, recs[1].ValBPC, uniform)
			}

			out.Reset()
			args = append(append([]string(nil), small...), "-epochs", "0", "-load", weights, "-sample", "40", "-prompt", "the", "-json")
			if err := run(context.Background(), args, &out, &errOut); err != nil {
				t.Fatalf("%v\n%s", err, errOut.String())
			}
			dec = json.NewDecoder(&out)
			var eval struct {
				ValBPC float64 `json:"val_bpc"`
			}
			var sample struct {
				Sample string `json:"sample"`
			}
			if err := dec.Decode(&eval); err != nil {
				t.Fatal(err)
			}
			if err := dec.Decode(&sample); err != nil {
				t.Fatal(err)
			}
			if math.Abs(eval.ValBPC-float64(recs[1].ValBPC)) > 1e-4 {
				t.Errorf("loaded model: %v bits/char, the saved one had %v", eval.ValBPC, recs[1].ValBPC)
			}
			if len(sample.Sample) != 43 || !strings.HasPrefix(sample.Sample, "the") {
				t.Errorf("sample %q: want the prompt and 40 characters", sample.Sample)
			}
		})
	}
}

func TestFlagErrors(t *testing.T) {
	text := writeText(t)
	for _, args := range [][]string{
		{"-cell", "rnn"},
		{"-epochs", "0"},
		{"-temperature", "0"},
		{"-clip", "-1"},
		{"-sample", "5", "-prompt", ""},
		{"extra"},
		{"-text", text, "-backend", "cpu", "-seq", "20", "-hidden", "8", "-embed", "4", "-batch", "2", "-sample", "3", "-prompt", "Z"},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestOutputCheckedFirst checks that a -save that cannot be written is
// refused before any training, naming the flag and what to do, and that
// the default build says nothing about the backends auto passed over.
func TestOutputCheckedFirst(t *testing.T) {
	text := writeText(t)
	dir := t.TempDir()
	for _, tc := range []struct{ save, want string }{
		{dir, "-save " + dir + ": is a directory; name a file in it"},
		{filepath.Join(dir, "missing", "lm.safetensors"), "does not exist; create it first"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"-text", text, "-backend", "cpu", "-save", tc.save}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-save %s: %v, want an error containing %q", tc.save, err, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("-save %s: trained first (stdout %q)", tc.save, out.String())
		}
	}
	var out, errOut bytes.Buffer
	args := []string{"-text", text, "-seq", "20", "-hidden", "8", "-embed", "4", "-batch", "2", "-json"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if len(backend.Names()) == 1 && strings.Contains(errOut.String(), "skipped") {
		t.Errorf("stderr %q: the default build reports skipped backends without -v", errOut.String())
	}
}
