package backendtest

import (
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// bare has the core's method set and nothing more: every optional family
// must skip it.
type bare struct{ backend.Backend }

func (bare) Name() string { return "bare" }

// TestNeedSkips checks that need skips a family, rather than failing or
// going on, when the backend lacks the interface.
func TestNeedSkips(t *testing.T) {
	var skipped, reached bool
	t.Run("family", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		need[backend.Viewer](t, bare{})
		reached = true
	})
	if !skipped || reached {
		t.Errorf("need on a backend without backend.Viewer: skipped %v, continued %v; want skipped", skipped, reached)
	}
}
