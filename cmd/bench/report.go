package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The parts of a benchmark run, as results name them.
const (
	partOps    = "ops"
	partMatMul = "matmul"
	partTrain  = "train"
)

// result is one measurement: an op, a matrix product or a training run on
// one backend at one batch size.
type result struct {
	Part    string `json:"part"`            // partOps, partMatMul or partTrain
	Op      string `json:"op"`              // layer and Backend method, "MatMul"/"Sgemm", or the model
	Backend string `json:"backend"`         // backend name, or "gonum" for the Sgemm baseline
	Batch   int    `json:"batch,omitempty"` // batch size (none for square matrix products)
	Shape   string `json:"shape"`           // operand shapes, or the model's input and size
	// MedianNs and MinNs are the median and minimum over the runs of the
	// time per call (per training step for training).
	MedianNs int64 `json:"median_ns"`
	MinNs    int64 `json:"min_ns"`
	// GFlops is 10⁻⁹·flops/median for ops with a flop count (GEMMs and
	// convolutions, 2·m·n·k); GBps is 10⁻⁹·bytes/median for memory-bound
	// ops, counting each operand read or written once.
	GFlops float64 `json:"gflops,omitempty"`
	GBps   float64 `json:"gbps,omitempty"`
	// ImagesPerSec is batch·steps/median-run-time for training.
	ImagesPerSec float64 `json:"images_per_sec,omitempty"`
	// VsGonum is GFlops divided by gonum Sgemm's at the same size (cpu only).
	VsGonum float64 `json:"vs_gonum,omitempty"`
	// PeakShare is, for training on the cpu backend, GFlops (the step's
	// products, see trainFlops) over the machine's FMA peak (-peak).
	PeakShare float64 `json:"peak_share,omitempty"`
}

// backendInfo describes a backend of the run: its device, or why it did not
// open or failed.
type backendInfo struct {
	Name   string `json:"name"`
	Device string `json:"device,omitempty"`
	Error  string `json:"error,omitempty"`
}

// report is the whole run, as -json prints it.
type report struct {
	Timestamp  string        `json:"timestamp"` // RFC 3339, UTC
	GoVersion  string        `json:"go_version"`
	GOOS       string        `json:"goos"`
	GOARCH     string        `json:"goarch"`
	GOMAXPROCS int           `json:"gomaxprocs"`
	NumCPU     int           `json:"num_cpu"`
	Runs       int           `json:"runs"`        // timed batches per measurement
	MinTimeNs  int64         `json:"min_time_ns"` // shortest timed batch of calls
	Backends   []backendInfo `json:"backends"`
	Results    []result      `json:"results"`
}

// newReport returns a report of the current time and machine for a run
// configured by c, with no results yet.
func newReport(c config) report {
	return report{
		Timestamp:  time.Now().UTC().Format(time.RFC3339),
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU:     runtime.NumCPU(),
		Runs:       c.runs,
		MinTimeNs:  c.minTime.Nanoseconds(),
	}
}

// writeJSON writes rep as one indented JSON document.
func writeJSON(w io.Writer, rep report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeText writes rep as a header and one aligned table per part that has
// results, or Markdown tables (for the README) when markdown is set. Rows are ordered by batch size, then by op, so that the backends
// measuring the same op stand together.
func writeText(w io.Writer, rep report, markdown bool) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "myelin bench  %s  %s %s/%s  GOMAXPROCS %d  NumCPU %d  runs %d  min time %v\n",
		rep.Timestamp, rep.GoVersion, rep.GOOS, rep.GOARCH, rep.GOMAXPROCS, rep.NumCPU,
		rep.Runs, time.Duration(rep.MinTimeNs))
	for _, b := range rep.Backends {
		line := []string{"backend " + b.Name + ":"}
		if b.Device != "" {
			line = append(line, b.Device)
		}
		if b.Error != "" {
			line = append(line, "FAILED: "+b.Error)
		}
		sb.WriteString(strings.Join(line, " ") + "\n")
	}
	ops := &table{
		header: []string{"op", "backend", "batch", "shape", "median", "min", "GFLOP/s", "GB/s"},
		right:  []bool{false, false, true, false, true, true, true, true},
	}
	mm := &table{
		header: []string{"product", "M×K×N", "backend", "median", "min", "GFLOP/s", "gonum GFLOP/s", "ours/gonum"},
		right:  []bool{false, false, false, true, true, true, true, true},
	}
	gonum := map[string]result{} // gonum's Sgemm by product
	for _, r := range rep.Results {
		if r.Part == partMatMul && r.Backend == "gonum" {
			gonum[r.Op+"|"+r.Shape] = r
		}
	}
	tr := &table{
		header: []string{"model", "backend", "batch", "input, parameters", "median/step", "min/step", "images/s", "GFLOP/s", "of FMA peak"},
		right:  []bool{false, false, true, false, true, true, true, true, true},
	}
	for _, r := range ordered(rep.Results) {
		med, mn := formatNs(r.MedianNs), formatNs(r.MinNs)
		switch r.Part {
		case partOps:
			ops.add(r.Op, r.Backend, strconv.Itoa(r.Batch), r.Shape, med, mn, formatRate(r.GFlops), formatRate(r.GBps))
		case partMatMul:
			if r.Backend == "gonum" {
				continue
			}
			ratio := ""
			if r.VsGonum > 0 {
				ratio = strconv.FormatFloat(r.VsGonum, 'f', 2, 64)
			}
			mm.add(r.Op, r.Shape, r.Backend, med, mn, formatRate(r.GFlops), formatRate(gonum[r.Op+"|"+r.Shape].GFlops), ratio)
		case partTrain:
			share := ""
			if r.PeakShare > 0 {
				share = strconv.FormatFloat(100*r.PeakShare, 'f', 0, 64) + "%"
			}
			tr.add(r.Op, r.Backend, strconv.Itoa(r.Batch), r.Shape, med, mn, strconv.FormatFloat(r.ImagesPerSec, 'f', 0, 64), formatRate(r.GFlops), share)
		}
	}
	for _, s := range []struct {
		title string
		t     *table
	}{
		{"Backend ops at the MNIST CNN's shapes (per call)", ops},
		{"Matrix products C = op(A)·op(B) (MatMul; gonum's Sgemm on the same operands)", mm},
		{"Training on synthetic 1×28×28 data (SGD, momentum 0.9, lr 0.01); GFLOP/s of the step's products, share of the FMA peak (-peak)", tr},
	} {
		if len(s.t.rows) == 0 {
			continue
		}
		fmt.Fprintf(&sb, "\n%s\n", s.title)
		if markdown {
			sb.WriteString("\n")
			s.t.writeMarkdown(&sb)
		} else {
			s.t.write(&sb)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// ordered returns the results sorted stably by batch size and then by the
// first appearance of their op and shape.
func ordered(rs []result) []result {
	first := map[string]int{}
	for i, r := range rs {
		if _, ok := first[r.Op+"|"+r.Shape]; !ok {
			first[r.Op+"|"+r.Shape] = i
		}
	}
	s := slices.Clone(rs)
	slices.SortStableFunc(s, func(a, b result) int {
		return cmp.Or(cmp.Compare(a.Batch, b.Batch), cmp.Compare(first[a.Op+"|"+a.Shape], first[b.Op+"|"+b.Shape]))
	})
	return s
}

// formatNs formats a duration in nanoseconds with three significant digits
// (at least) in ns, µs, ms or s.
func formatNs(ns int64) string {
	v := float64(ns)
	switch {
	case ns < 1e3:
		return strconv.FormatInt(ns, 10) + " ns"
	case ns < 1e6:
		return formatRate(v/1e3) + " µs"
	case ns < 1e9:
		return formatRate(v/1e6) + " ms"
	}
	return formatRate(v/1e9) + " s"
}

// formatRate formats v with three significant digits (more above 1000), or
// as "" when v is 0 (no rate).
func formatRate(v float64) string {
	switch {
	case v == 0:
		return ""
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// table is a text table with a header, aligned in columns two spaces apart.
type table struct {
	header []string
	right  []bool // right-align column i (numbers)
	rows   [][]string
}

// add appends a row, one cell per column.
func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write writes the header, a rule and the rows to sb.
func (t *table) write(sb *strings.Builder) {
	width := make([]int, len(t.header))
	rule := make([]string, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for i := range rule {
		rule[i] = strings.Repeat("-", width[i])
	}
	for _, row := range append([][]string{t.header, rule}, t.rows...) {
		var line strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if t.right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		sb.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// writeMarkdown writes the header, the alignment row and the rows to sb as
// a Markdown table.
func (t *table) writeMarkdown(sb *strings.Builder) {
	line := func(cells []string) {
		sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	line(t.header)
	align := make([]string, len(t.header))
	for i := range align {
		align[i] = "---"
		if t.right[i] {
			align[i] = "---:"
		}
	}
	line(align)
	for _, row := range t.rows {
		line(row)
	}
}
