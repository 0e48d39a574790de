package main

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/myelin-go/myelin/backend"
)

// quickDoc is the part of the -json document the quick run checks, with
// pointers so that missing fields show.
type quickDoc struct {
	Timestamp  *string `json:"timestamp"`
	GoVersion  *string `json:"go_version"`
	GOOS       *string `json:"goos"`
	GOARCH     *string `json:"goarch"`
	GOMAXPROCS *int    `json:"gomaxprocs"`
	NumCPU     *int    `json:"num_cpu"`
	Runs       int     `json:"runs"`
	MinTimeNs  int64   `json:"min_time_ns"`
	Backends   []struct {
		Name, Device, Error string
	} `json:"backends"`
	Results []struct {
		Part         *string  `json:"part"`
		Op           *string  `json:"op"`
		Backend      *string  `json:"backend"`
		Batch        int      `json:"batch"`
		Shape        *string  `json:"shape"`
		MedianNs     *int64   `json:"median_ns"`
		MinNs        *int64   `json:"min_ns"`
		GFlops       *float64 `json:"gflops"`
		GBps         *float64 `json:"gbps"`
		ImagesPerSec *float64 `json:"images_per_sec"`
		VsGonum      *float64 `json:"vs_gonum"`
		PeakShare    *float64 `json:"peak_share"`
	} `json:"results"`
}

func TestQuickJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("the quick benchmark takes seconds; skipped in -short mode")
	}
	var out, log bytes.Buffer
	if err := run([]string{"-quick", "-json", "-backends", "cpu"}, &out, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var doc quickDoc
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, out.String())
	}
	if doc.Timestamp == nil || doc.GoVersion == nil || doc.GOOS == nil || doc.GOARCH == nil || doc.GOMAXPROCS == nil || doc.NumCPU == nil {
		t.Fatalf("report lacks a machine field: %s", out.String())
	}
	if doc.Runs != 1 || doc.MinTimeNs != quickMinTime.Nanoseconds() {
		t.Errorf("runs %d, min_time_ns %d; want -quick's 1 and %d", doc.Runs, doc.MinTimeNs, quickMinTime.Nanoseconds())
	}
	if _, err := time.Parse(time.RFC3339, *doc.Timestamp); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	if *doc.GoVersion != runtime.Version() || *doc.GOOS != runtime.GOOS || *doc.GOARCH != runtime.GOARCH ||
		*doc.GOMAXPROCS != runtime.GOMAXPROCS(0) || *doc.NumCPU != runtime.NumCPU() {
		t.Errorf("machine fields %s %s/%s %d %d, want this process's", *doc.GoVersion, *doc.GOOS, *doc.GOARCH, *doc.GOMAXPROCS, *doc.NumCPU)
	}
	if len(doc.Backends) != 1 || doc.Backends[0].Name != "cpu" || doc.Backends[0].Device == "" || doc.Backends[0].Error != "" {
		t.Errorf("backends = %+v, want cpu with a device and no error", doc.Backends)
	}

	count := map[string]int{}
	var sgemm, trained []string
	for i, r := range doc.Results {
		if r.Part == nil || r.Op == nil || r.Backend == nil || r.Shape == nil || r.MedianNs == nil || r.MinNs == nil {
			t.Fatalf("result %d lacks a field: %+v", i, r)
		}
		id := *r.Part + " " + *r.Backend + " " + *r.Op + " " + *r.Shape
		count[*r.Part]++
		if *r.MinNs <= 0 || *r.MinNs > *r.MedianNs {
			t.Errorf("%s: min %d ns, median %d ns; want 0 < min ≤ median", id, *r.MinNs, *r.MedianNs)
		}
		positive := func(name string, v *float64) {
			if v == nil || *v <= 0 {
				t.Errorf("%s: %s missing or not positive", id, name)
			}
		}
		switch *r.Part {
		case partOps:
			if r.Batch != 64 {
				t.Errorf("%s: batch %d, want 64 (quick)", id, r.Batch)
			}
			if (r.GFlops == nil) == (r.GBps == nil) {
				t.Errorf("%s: want exactly one of gflops and gbps", id)
			}
		case partMatMul:
			positive("gflops", r.GFlops)
			if *r.Backend == "cpu" {
				positive("vs_gonum", r.VsGonum)
			} else {
				sgemm = append(sgemm, *r.Shape)
			}
		case partTrain:
			positive("images_per_sec", r.ImagesPerSec)
			positive("gflops", r.GFlops)
			positive("peak_share", r.PeakShare)
			trained = append(trained, *r.Op)
		default:
			t.Errorf("%s: unknown part", id)
		}
	}
	cb, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	if want := len(cnnOps(64)) + len(mathOps(cb, 64)); count[partOps] != want {
		t.Errorf("%d op results, want %d", count[partOps], want)
	}
	want := []string{"128×128×128", "256×256×256"}
	for _, p := range cnnProducts {
		want = append(want, p.shape())
	}
	if !slices.Equal(sgemm, want) || count[partMatMul] != 2*len(want) {
		t.Errorf("matmul results: %d, gonum shapes %v; want cpu and gonum at %v", count[partMatMul], sgemm, want)
	}
	if want := []string{"cnn", "lenet", "resnet", "fast"}; !slices.Equal(trained, want) {
		t.Errorf("trained models %v, want %v", trained, want)
	}
}

func TestQuickTextMatMul(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-quick", "-ops=false", "-train=false", "-cnn=false", "-sizes", "32,64", "-backends", "cpu"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"backend cpu: ", "Matrix products", "\nsq32     32×32×32  cpu ", "\nsq64     64×64×64  cpu "} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Backend ops") || strings.Contains(text, "Training") || strings.Contains(text, "conv1") {
		t.Errorf("output has parts that were turned off:\n%s", text)
	}
}

func TestUnopenableBackend(t *testing.T) {
	var out, log bytes.Buffer
	err := run([]string{"-backends", "nosuch", "-json"}, &out, &log)
	if err == nil || !strings.Contains(err.Error(), "no backend") {
		t.Errorf("run with only an unknown backend: error %v, want one saying no backend opened", err)
	}
	if !strings.Contains(log.String(), `skipping nosuch: backend: unknown backend "nosuch"`) {
		t.Errorf("log does not say why nosuch was skipped: %q", log.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Backends) != 1 || rep.Backends[0].Error == "" {
		t.Errorf("JSON report %s (%v), want the backend listed with its error", out.String(), err)
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.batches, []int{64, 256}) || !slices.Equal(c.sizes, []int{128, 256, 512, 1024, 2048}) ||
		!slices.Equal(c.models, []string{"cnn", "lenet", "resnet", "fast"}) || c.peak != 437 || c.runs != 5 || c.minTime != 50*time.Millisecond ||
		c.steps != 20 || c.warmSteps != 2 || !c.ops || !c.matmul || !c.cnn || !c.train || c.json || c.markdown ||
		!slices.Equal(c.backends, backend.Names()) {
		t.Errorf("defaults = %+v", c)
	}

	c, err = parseFlags([]string{"-quick", "-runs", "3", "-sizes", "64,512,128"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.runs != 3 || c.minTime != quickMinTime || c.warmup != 1 || c.steps != 2 || c.warmSteps != 1 ||
		!slices.Equal(c.batches, []int{64}) || !slices.Equal(c.sizes, []int{64, 512, 128}) {
		t.Errorf("-quick with -runs and -sizes set = %+v; want the set flags kept, quick values for the rest", c)
	}
	c, err = parseFlags([]string{"-quick", "-backends", " cpu, ,cuda"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.sizes, []int{128, 256}) || !slices.Equal(c.backends, []string{"cpu", "cuda"}) {
		t.Errorf("-quick sizes %v, backends %v; want [128 256], [cpu cuda]", c.sizes, c.backends)
	}

	for _, args := range [][]string{
		{"-batch", "64,x"},
		{"-batch", "0"},
		{"-sizes", ""},
		{"-runs", "0"},
		{"-mintime", "0s"},
		{"-warmup", "-1"},
		{"-steps", "0"},
		{"-models", "cnn,resnet50"},
		{"extra"},
		{"-nosuchflag"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted bad flags", args)
		}
	}
}

func TestCNNOpsCounts(t *testing.T) {
	const n = 64
	want := map[string]float64{ // flops or bytes per call, counted by hand
		"conv1 Conv2D":                      2 * n * 32 * 26 * 26 * 1 * 9,
		"conv1+relu1 ConvAct":               2 * n * 32 * 26 * 26 * 1 * 9,
		"conv2 Conv2DBackwardFilter":        2 * n * 64 * 24 * 24 * 32 * 9,
		"conv2+relu2+pool ConvPool":         2 * n * 64 * 24 * 24 * 32 * 9,
		"conv2+relu2+pool ConvPoolBackward": 4 * n * 64 * 24 * 24 * 32 * 9,
		"fc1 MatMul":                        2 * n * 128 * 9216,
		"fc1 MatMul dW":                     2 * 128 * 9216 * n,
		"fc2 MatMul dX":                     2 * n * 128 * 10,
		"conv2 Im2Col":                      4 * (n*32*26*26 + n*288*576),
		"pool MaxPool":                      4 * (n*64*24*24 + 2*n*64*12*12),
		"relu2 ActivateBackward relu":       12 * n * 64 * 24 * 24,
		"fc1.weight AdamStep":               28 * 1179648,
		"loss SoftmaxCrossEntropy":          4 * (3*n*10 + 1),
	}
	for _, ob := range cnnOps(n) {
		if (ob.flops > 0) == (ob.bytes > 0) {
			t.Errorf("%s: flops %g, bytes %g; want exactly one", ob.name, ob.flops, ob.bytes)
		}
		if w, ok := want[ob.name]; ok {
			if got := ob.flops + ob.bytes; got != w {
				t.Errorf("%s: %g flops or bytes, want %g", ob.name, got, w)
			}
			delete(want, ob.name)
		}
	}
	for name := range want {
		t.Errorf("cnnOps has no %s", name)
	}
}
