package backend_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// fake is a backend that only knows its name; the registry never calls
// anything else.
type fake struct {
	backend.Backend
	name string
}

func (f fake) Name() string { return f.name }

// Names of the fakes, chosen so as not to clash with a real backend. The
// failing one has the higher priority, so auto selection tries it first.
const (
	failName = "test-fail-xyz"
	okName   = "test-ok-xyz"
)

var (
	errNoDevice = errors.New("no test device")
	// okDown makes okName fail to open as well, for the checks of what
	// happens when nothing opens.
	okDown atomic.Bool
)

func init() {
	// Registered once per test binary: Register panics on duplicates, and
	// go test -count=2 runs the tests twice in one binary.
	backend.Register(failName, 1<<20, func() (backend.Backend, error) { return nil, errNoDevice })
	backend.Register(okName, 1<<20-1, func() (backend.Backend, error) {
		if okDown.Load() {
			return nil, errNoDevice
		}
		return fake{name: okName}, nil
	})
}

func TestNames(t *testing.T) {
	names := backend.Names()
	i, j := slices.Index(names, failName), slices.Index(names, okName)
	if i < 0 || j < 0 || i > j {
		t.Errorf("Names() = %v, want %s before %s (higher priority first)", names, failName, okName)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), okName) {
			t.Errorf("second Register(%q) panicked with %v, want a panic naming it", okName, r)
		}
	}()
	backend.Register(okName, 0, func() (backend.Backend, error) { return fake{name: okName}, nil })
}

func TestOpenByName(t *testing.T) {
	b, err := backend.Open(okName)
	if err != nil || b.Name() != okName {
		t.Fatalf("Open(%q) = %v, %v", okName, b, err)
	}
	_, err = backend.Open(failName)
	if !errors.Is(err, errNoDevice) || !strings.Contains(err.Error(), failName) {
		t.Errorf("Open(%q) error = %v, want one naming it and wrapping the opener's error", failName, err)
	}
}

func TestOpenUnknown(t *testing.T) {
	_, err := backend.Open("nope")
	if err == nil {
		t.Fatal(`Open("nope") returned no error`)
	}
	for _, want := range []string{`"nope"`, "auto", failName, okName} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf(`Open("nope") error %q does not mention %s`, err, want)
		}
	}
}

func TestOpenCUDANotCompiled(t *testing.T) {
	_, err := backend.Open("cuda")
	if err == nil || !strings.Contains(err.Error(), "-tags cuda") {
		t.Errorf(`Open("cuda") error = %v, want one saying to build with -tags cuda`, err)
	}
}

func TestOpenAuto(t *testing.T) {
	t.Setenv(backend.EnvVar, "")
	for _, name := range []string{"auto", ""} {
		b, skipped, err := backend.OpenReport(name)
		if err != nil || b.Name() != okName {
			t.Fatalf("OpenReport(%q) = %v, %v, %v; want the %s backend", name, b, skipped, err, okName)
		}
		if !reportsSkipped(skipped) {
			t.Errorf("OpenReport(%q) skipped = %v, want the failed %s and the missing cuda", name, skipped, failName)
		}
		if b, err := backend.Open(name); err != nil || b.Name() != okName {
			t.Errorf("Open(%q) = %v, %v; want the %s backend", name, b, err, okName)
		}
	}
}

// reportsSkipped reports whether the errors of an auto selection explain
// both backends it passed over: the failing fake and the CUDA backend this
// build lacks.
func reportsSkipped(skipped []error) bool {
	var fail, cuda bool
	for _, err := range skipped {
		fail = fail || errors.Is(err, errNoDevice) && strings.Contains(err.Error(), failName)
		cuda = cuda || strings.Contains(err.Error(), "-tags cuda")
	}
	return fail && cuda
}

func TestOpenAutoNothingOpens(t *testing.T) {
	t.Setenv(backend.EnvVar, "")
	// The package's Example registers the cpu backend too: an invalid
	// MYELIN_CPU makes it fail to open as well.
	t.Setenv("MYELIN_CPU", "no-such-level")
	okDown.Store(true)
	defer okDown.Store(false)
	b, skipped, err := backend.OpenReport("auto")
	if err == nil {
		t.Fatalf(`OpenReport("auto") = %v with every backend failing, want an error`, b)
	}
	if !errors.Is(err, errNoDevice) || !strings.Contains(err.Error(), "no backend could be opened") {
		t.Errorf(`OpenReport("auto") error = %v, want "no backend could be opened" wrapping the failures`, err)
	}
	if !reportsSkipped(skipped) || len(skipped) < 3 {
		t.Errorf(`OpenReport("auto") skipped = %v, want both fakes and cuda`, skipped)
	}
}

func TestEnvVar(t *testing.T) {
	t.Setenv(backend.EnvVar, okName)
	if b, err := backend.Open(""); err != nil || b.Name() != okName {
		t.Errorf("with %s=%s, Open(\"\") = %v, %v", backend.EnvVar, okName, b, err)
	}

	t.Setenv(backend.EnvVar, failName)
	if _, err := backend.Open(""); !errors.Is(err, errNoDevice) {
		t.Errorf("with %s=%s, Open(\"\") error = %v, want the opener's error", backend.EnvVar, failName, err)
	}
	// An explicit name wins over the variable.
	if b, err := backend.Open(okName); err != nil || b.Name() != okName {
		t.Errorf("with %s=%s, Open(%q) = %v, %v", backend.EnvVar, failName, okName, b, err)
	}

	t.Setenv(backend.EnvVar, "auto")
	if b, err := backend.Open(""); err != nil || b.Name() != okName {
		t.Errorf("with %s=auto, Open(\"\") = %v, %v", backend.EnvVar, b, err)
	}

	t.Setenv(backend.EnvVar, "nope")
	if _, err := backend.Open(""); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("with %s=nope, Open(\"\") error = %v, want one naming nope", backend.EnvVar, err)
	}
}
