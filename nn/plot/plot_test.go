package plot_test

import (
	"encoding/xml"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/nn"
	"github.com/myelin-go/myelin/nn/plot"
)

// stats returns the statistics of a made-up run of epochs epochs.
func stats(epochs int) []nn.EpochStats {
	var s []nn.EpochStats
	for e := 1; e <= epochs; e++ {
		f := float64(e)
		s = append(s, nn.EpochStats{Epoch: e, TrainLoss: 1 / f, TrainAcc: 1 - 0.2/f, TestLoss: 0.8/f + 0.05*f, TestAcc: 1 - 0.25/f})
	}
	return s
}

// lrCurve returns a made-up range test that diverges at the end.
func lrCurve() nn.LRCurve {
	var c nn.LRCurve
	for i := range 60 {
		lr := 1e-5 * math.Pow(10, float64(i)/10)
		loss := 2 - math.Tanh(float64(i-25)/8)
		if i > 50 {
			loss = math.Exp(float64(i - 50))
		}
		c.LR = append(c.LR, float32(lr))
		c.Loss = append(c.Loss, loss)
		c.Smoothed = append(c.Smoothed, loss*0.95)
	}
	c.MinLR, c.Suggested = 1e-1, 1e-2
	return c
}

// checkPNG fails unless path is a PNG of plot.Width × plot.Height at 96 dpi.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != 864 || b.Dy() != 384 {
		t.Errorf("%s is %d×%d pixels, want 864×384", path, b.Dx(), b.Dy())
	}
}

// checkSVG fails unless path is an SVG document of plot.Width × plot.Height
// (648 × 288 points).
func checkSVG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Width   string `xml:"width,attr"`
		Height  string `xml:"height,attr"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s does not parse as XML: %v", path, err)
	}
	if doc.XMLName.Local != "svg" || doc.Width != "648pt" || doc.Height != "288pt" {
		t.Errorf("%s: root <%s width=%q height=%q>, want <svg width=\"648pt\" height=\"288pt\">", path, doc.XMLName.Local, doc.Width, doc.Height)
	}
	if !strings.Contains(string(data), "Accuracy") && !strings.Contains(string(data), "range test") {
		t.Errorf("%s has no title text", path)
	}
}

func TestCurves(t *testing.T) {
	dir := t.TempDir()
	png, svg := filepath.Join(dir, "curves.png"), filepath.Join(dir, "curves.svg")
	for _, p := range []string{png, svg} {
		if err := plot.Curves(p, stats(12), "validation"); err != nil {
			t.Fatal(err)
		}
	}
	checkPNG(t, png)
	checkSVG(t, svg)
	if fi, err := os.Stat(png); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("%s: %v, mode %v, want 0644", png, err, fi.Mode())
	}
	// Without evaluation or accuracies (NaN), the training loss alone.
	nan := stats(3)
	for i := range nan {
		nan[i].TestLoss, nan[i].TestAcc, nan[i].TrainAcc = math.NaN(), math.NaN(), math.NaN()
	}
	if err := plot.Curves(png, nan, "test"); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, png)
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the directory, want the 2 plots and no temporary file left", len(entries))
	}
}

func TestLRCurve(t *testing.T) {
	dir := t.TempDir()
	png, svg := filepath.Join(dir, "lr.png"), filepath.Join(dir, "lr.svg")
	for _, p := range []string{png, svg} {
		if err := plot.LRCurve(p, lrCurve()); err != nil {
			t.Fatal(err)
		}
	}
	checkPNG(t, png)
	checkSVG(t, svg)
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{plot.Curves(filepath.Join(dir, "x.pdf"), stats(2), "test"), "want a file name ending in .png or .svg"},
		{plot.Curves(filepath.Join(dir, "x.png"), nil, "test"), "no epochs"},
		{plot.LRCurve(filepath.Join(dir, "x.png"), nn.LRCurve{}), "want as many of each, at least one"},
		{plot.Curves(filepath.Join(dir, "missing", "x.png"), stats(2), "test"), "missing"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", tc.err, tc.want)
		}
	}
}
