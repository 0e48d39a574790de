package main

import (
	"strings"
	"testing"
)

func TestFormatNs(t *testing.T) {
	for ns, want := range map[int64]string{
		0:             "0 ns",
		999:           "999 ns",
		1234:          "1.23 µs",
		45_678:        "45.7 µs",
		999_400:       "999 µs",
		12_345_678:    "12.3 ms",
		2_500_000_000: "2.50 s",
	} {
		if got := formatNs(ns); got != want {
			t.Errorf("formatNs(%d) = %q, want %q", ns, got, want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	for v, want := range map[float64]string{0: "", 0.123: "0.12", 9.999: "10.00", 45.67: "45.7", 1234.5: "1234"} {
		if got := formatRate(v); got != want {
			t.Errorf("formatRate(%g) = %q, want %q", v, got, want)
		}
	}
}

func TestTableAligns(t *testing.T) {
	tb := &table{header: []string{"op", "µs"}, right: []bool{false, true}}
	tb.add("conv×2", "1.5")
	tb.add("a", "123.25")
	var sb strings.Builder
	tb.write(&sb)
	want := "" +
		"op          µs\n" +
		"------  ------\n" +
		"conv×2     1.5\n" +
		"a       123.25\n"
	if sb.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", sb.String(), want)
	}
}

func TestWriteText(t *testing.T) {
	rep := report{
		Timestamp: "2026-01-02T03:04:05Z", GoVersion: "go1.x", GOOS: "linux", GOARCH: "amd64",
		GOMAXPROCS: 2, NumCPU: 2, Runs: 5, MinTimeNs: 50e6,
		Backends: []backendInfo{{Name: "cpu", Device: "test CPU"}, {Name: "cuda", Error: "no device"}},
		Results: []result{
			{Part: partOps, Op: "conv1 Conv2D", Backend: "cpu", Batch: 256, Shape: "s1", MedianNs: 2e6, MinNs: 1e6, GFlops: 10},
			{Part: partOps, Op: "conv1 Conv2D", Backend: "cpu", Batch: 64, Shape: "s0", MedianNs: 5e5, MinNs: 4e5, GFlops: 9},
			{Part: partOps, Op: "pool MaxPool", Backend: "cpu", Batch: 64, Shape: "s2", MedianNs: 1500, MinNs: 1400, GBps: 3.5},
			{Part: partMatMul, Op: "sq128", Backend: "cpu", Shape: "128×128×128", MedianNs: 1e5, MinNs: 9e4, GFlops: 42, VsGonum: 1.25},
			{Part: partMatMul, Op: "sq128", Backend: "gonum", Shape: "128×128×128", MedianNs: 125e3, MinNs: 1e5, GFlops: 33.6},
		},
	}
	var sb strings.Builder
	if err := writeText(&sb, rep, false); err != nil {
		t.Fatal(err)
	}
	out := sb.String()
	for _, want := range []string{
		"myelin bench  2026-01-02T03:04:05Z  go1.x linux/amd64  GOMAXPROCS 2  NumCPU 2  runs 5  min time 50ms\n",
		"backend cpu: test CPU\n",
		"backend cuda: FAILED: no device\n",
		"\nBackend ops at the MNIST CNN's shapes (per call)\n",
		"conv1 Conv2D  cpu         64  s0      500 µs   400 µs     9.00\n",
		"pool MaxPool  cpu         64  s2     1.50 µs  1.40 µs           3.50\n",
		"conv1 Conv2D  cpu        256  s1     2.00 ms  1.00 ms     10.0\n",
		"sq128    128×128×128  cpu      100 µs  90.0 µs     42.0           33.6        1.25\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q; got:\n%s", want, out)
		}
	}
	if strings.Contains(out, "gonum    Sgemm") {
		t.Errorf("text report gives gonum's Sgemm a row of its own; want it beside ours:\n%s", out)
	}
	if strings.Contains(out, "Training") {
		t.Errorf("text report has a training section without training results:\n%s", out)
	}
	// Batch 64 rows come before batch 256 rows.
	if strings.Index(out, "s0") > strings.Index(out, "s1") {
		t.Errorf("rows not ordered by batch:\n%s", out)
	}
}

func TestWriteMarkdown(t *testing.T) {
	tb := &table{header: []string{"op", "GFLOP/s"}, right: []bool{false, true}}
	tb.add("sq512", "190")
	var sb strings.Builder
	tb.writeMarkdown(&sb)
	if want := "| op | GFLOP/s |\n| --- | ---: |\n| sq512 | 190 |\n"; sb.String() != want {
		t.Errorf("markdown table:\n%s\nwant:\n%s", sb.String(), want)
	}
}
