package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/myelin-go/myelin/models"
)

// applyModelDefaults sets the flags the command line leaves out to the
// model's own defaults (models.DefaultsFor) where it has them: -epochs,
// -lr (for the default optimizer, Adam), -lr-decay, and -shift 0.
func applyModelDefaults(fs *flag.FlagSet, c *config) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	d := models.DefaultsFor(c.model)
	if d.Epochs > 0 && !set["epochs"] {
		c.epochs = d.Epochs
	}
	if d.LR > 0 && !set["lr"] && c.optimizer == "adam" {
		c.lr = d.LR
	}
	if d.LRDecay > 0 && !set["lr-decay"] {
		c.lrDecay = d.LRDecay
	}
	if d.NoShift && !set["shift"] {
		c.shift = 0
	}
}

// modelDefaultsHelp describes the models' own defaults for -model's help.
func modelDefaultsHelp() string {
	var parts []string
	for _, name := range models.Names() {
		d := models.DefaultsFor(name)
		if d == (models.Defaults{}) {
			continue
		}
		p := name + ":"
		if d.Epochs > 0 {
			p += fmt.Sprintf(" -epochs %d", d.Epochs)
		}
		if d.LR > 0 {
			p += fmt.Sprintf(" -lr %g (adam)", d.LR)
		}
		if d.LRDecay > 0 {
			p += fmt.Sprintf(" -lr-decay %g", d.LRDecay)
		}
		if d.NoShift {
			p += " -shift 0"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (defaults unless given: " + strings.Join(parts, "; ") + ")"
}
