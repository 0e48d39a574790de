package backendtest

import (
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// coreOnly has the core's method set and nothing more: every optional
// family must skip it.
type coreOnly struct{ backend.Backend }

func (coreOnly) Name() string { return "core-only" }

// TestNeedSkips checks that need skips a family, naming the interface,
// when the backend lacks it.
func TestNeedSkips(t *testing.T) {
	var skipped bool
	var reached bool
	t.Run("family", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		need[backend.Viewer](t, coreOnly{}, "backend.Viewer")
		reached = true
	})
	if !skipped || reached {
		t.Errorf("need on a backend without backend.Viewer: skipped %v, continued %v; want skipped", skipped, reached)
	}
}
