// Package plot draws training curves with gonum.org/v1/plot: the loss and
// accuracy of each epoch (Curves) and the learning-rate range test
// (LRCurve), as PNG or SVG files.
package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"

	gonum "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/myelin-go/myelin/internal/atomicfile"
	"github.com/myelin-go/myelin/nn"
)

// Width and Height are the size of every figure: 9 × 4 inches, which is
// 864 × 384 pixels in a PNG (96 dots per inch).
const (
	Width  = 9 * vg.Inch
	Height = 4 * vg.Inch
)

// Colours of the series: training, evaluation, and the marked rate.
var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	evalColor  = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	markColor  = color.RGBA{R: 44, G: 160, B: 44, A: 255}
)

// Curves writes two panels to path, a PNG or SVG file as its extension
// says: the training and evaluation loss per epoch on the left, the
// accuracies (in %) on the right. evalName names the evaluation set in the
// legends ("test", "validation"). Values that are NaN (no evaluation set,
// no accuracy for a single-output model) are left out. The file is
// replaced atomically.
func Curves(path string, stats []nn.EpochStats, evalName string) error {
	format, err := formatOf(path)
	if err != nil {
		return err
	}
	if len(stats) == 0 {
		return fmt.Errorf("plot: Curves: no epochs to draw in %s", path)
	}
	loss, acc := gonum.New(), gonum.New()
	loss.Title.Text, loss.X.Label.Text, loss.Y.Label.Text = "Loss", "epoch", "loss"
	acc.Title.Text, acc.X.Label.Text, acc.Y.Label.Text = "Accuracy", "epoch", "accuracy (%)"
	series := []struct {
		p     *gonum.Plot
		name  string
		c     color.Color
		value func(nn.EpochStats) float64
	}{
		{loss, "training", trainColor, func(s nn.EpochStats) float64 { return s.TrainLoss }},
		{loss, evalName, evalColor, func(s nn.EpochStats) float64 { return s.TestLoss }},
		{acc, "training", trainColor, func(s nn.EpochStats) float64 { return 100 * s.TrainAcc }},
		{acc, evalName, evalColor, func(s nn.EpochStats) float64 { return 100 * s.TestAcc }},
	}
	for _, s := range series {
		var xys plotter.XYs
		for _, st := range stats {
			if v := s.value(st); !math.IsNaN(v) && !math.IsInf(v, 0) {
				xys = append(xys, plotter.XY{X: float64(st.Epoch), Y: v})
			}
		}
		if err := addLine(s.p, s.name, s.c, xys, true); err != nil {
			return err
		}
	}
	for _, p := range []*gonum.Plot{loss, acc} {
		p.Add(plotter.NewGrid())
		p.X.Tick.Marker = epochTicks{}
	}
	loss.Legend.Top = true // losses fall, accuracies rise: keep the legends out of the way
	return write(path, format, loss, acc)
}

// LRCurve writes the range test c to path (PNG or SVG): each step's loss
// and its moving average against the learning rate on a logarithmic axis,
// with the suggested rate marked. The loss axis stops at 1.5 times the
// first smoothed loss, above which a diverging run would squash the rest.
func LRCurve(path string, c nn.LRCurve) error {
	format, err := formatOf(path)
	if err != nil {
		return err
	}
	if len(c.LR) == 0 || len(c.Loss) != len(c.LR) || len(c.Smoothed) != len(c.LR) {
		return fmt.Errorf("plot: LRCurve: %d rates, %d losses and %d smoothed losses; want as many of each, at least one", len(c.LR), len(c.Loss), len(c.Smoothed))
	}
	p := gonum.New()
	p.Title.Text = fmt.Sprintf("Learning-rate range test: suggested %.3g", c.Suggested)
	p.X.Label.Text, p.Y.Label.Text = "learning rate", "loss"
	p.X.Scale, p.X.Tick.Marker = gonum.LogScale{}, gonum.LogTicks{Prec: -1}
	var raw, smooth plotter.XYs
	lo, hi := math.Inf(1), 1.5*c.Smoothed[0]
	for i, lr := range c.LR {
		for _, v := range []struct {
			xys *plotter.XYs
			y   float64
		}{{&raw, c.Loss[i]}, {&smooth, c.Smoothed[i]}} {
			if !math.IsNaN(v.y) && !math.IsInf(v.y, 0) {
				*v.xys = append(*v.xys, plotter.XY{X: float64(lr), Y: v.y})
				lo = min(lo, v.y)
			}
		}
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	if err := addLine(p, "batch loss", trainColor, raw, false); err != nil {
		return err
	}
	if err := addLine(p, "smoothed", evalColor, smooth, false); err != nil {
		return err
	}
	if c.Suggested > 0 {
		mark := plotter.XYs{{X: float64(c.Suggested), Y: lo}, {X: float64(c.Suggested), Y: hi}}
		if err := addLine(p, "suggested", markColor, mark, false); err != nil {
			return err
		}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Y.Min, p.Y.Max = lo, hi // after Add, which widens the axes to the data
	return write(path, format, p)
}

// addLine adds a named line through xys to p (with a dot at each point when
// points is set); an empty xys adds nothing.
func addLine(p *gonum.Plot, name string, c color.Color, xys plotter.XYs, points bool) error {
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("plot: %s: %w", name, err)
	}
	l.Color, l.Width = c, vg.Points(1.5)
	p.Add(l)
	if !points {
		p.Legend.Add(name, l)
		return nil
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return fmt.Errorf("plot: %s: %w", name, err)
	}
	s.Color, s.Shape, s.Radius = c, draw.CircleGlyph{}, vg.Points(2.5)
	p.Add(s)
	p.Legend.Add(name, l, s)
	return nil
}

// epochTicks marks whole epochs only, at most about ten of them.
type epochTicks struct{}

// Ticks implements gonum's Ticker.
func (epochTicks) Ticks(lo, hi float64) []gonum.Tick {
	step := max(1, math.Ceil((hi-lo)/10))
	var ts []gonum.Tick
	for e := math.Ceil(lo); e <= hi; e += step {
		ts = append(ts, gonum.Tick{Value: e, Label: fmt.Sprint(e)})
	}
	return ts
}

// formatOf returns "png" or "svg" from path's extension, or an error.
func formatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	default:
		return "", fmt.Errorf("plot: %s: want a file name ending in .png or .svg", path)
	}
}

// write draws plots side by side on a Width × Height canvas of format and
// writes it to path atomically (atomicfile.Write), so that path is never
// half-written.
func write(path, format string, plots ...*gonum.Plot) error {
	c, err := draw.NewFormattedCanvas(Width, Height, format)
	if err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := gonum.Align([][]*gonum.Plot{plots}, tiles, draw.New(c))
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if _, err := c.WriteTo(w); err != nil {
			return fmt.Errorf("plot: writing %s: %w", path, err)
		}
		return nil
	})
}
