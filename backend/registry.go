package backend

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// EnvVar names the environment variable that chooses the backend when a
// program asks for the default: Open("") opens the backend it names, or
// "auto" when it is unset.
const EnvVar = "MYELIN_BACKEND"

// Opener opens a backend, or says why it cannot (no device, no driver).
type Opener func() (Backend, error)

type entry struct {
	name     string
	priority int
	open     Opener
}

var (
	mu       sync.Mutex
	registry = map[string]entry{}
)

// notCompiled says how to get the backends that Myelin has but that this
// build left out.
var notCompiled = map[string]string{
	"cuda": "the cuda backend is not compiled into this build: it needs -tags cuda and the CUDA toolkit (see README, \"On a GPU\")",
}

// Register makes a backend available under name. Auto selection tries
// backends from the highest priority down (the CPU registers 0, a GPU more).
// Registering a name twice panics.
func Register(name string, priority int, open Opener) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("backend: Register called twice for " + name)
	}
	registry[name] = entry{name, priority, open}
}

// Names returns the registered backend names, highest priority first.
func Names() []string {
	var names []string
	for _, e := range sorted() {
		names = append(names, e.name)
	}
	return names
}

func sorted() []entry {
	mu.Lock()
	defer mu.Unlock()
	es := make([]entry, 0, len(registry))
	for _, e := range registry {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].priority != es[j].priority {
			return es[i].priority > es[j].priority
		}
		return es[i].name < es[j].name
	})
	return es
}

// Open opens the named backend: "cpu", "cuda", any registered name, or
// "auto" (the best one that opens). An empty name means the value of
// MYELIN_BACKEND, else "auto". Programs must import the backends they want
// (for example `_ "github.com/myelin-go/myelin/backend/cpu"`).
func Open(name string) (Backend, error) {
	b, _, err := OpenReport(name)
	return b, err
}

// OpenReport is Open that also returns, when auto selection passed over
// backends that failed to open, one error per such backend saying why — so
// that a program can tell its user why it runs on the CPU.
func OpenReport(name string) (Backend, []error, error) {
	if name == "" {
		name = os.Getenv(EnvVar)
	}
	if name == "" || name == "auto" {
		return openAuto()
	}
	mu.Lock()
	e, ok := registry[name]
	mu.Unlock()
	if !ok {
		if why, known := notCompiled[name]; known {
			return nil, nil, errors.New("backend: " + why)
		}
		return nil, nil, fmt.Errorf("backend: unknown backend %q (this build has: auto, %s)", name, strings.Join(Names(), ", "))
	}
	b, err := e.open()
	if err != nil {
		return nil, nil, fmt.Errorf("backend: opening %s: %w", name, err)
	}
	return b, nil, nil
}

func openAuto() (Backend, []error, error) {
	var skipped []error
	mu.Lock()
	for name, why := range notCompiled {
		if _, ok := registry[name]; !ok {
			skipped = append(skipped, fmt.Errorf("%s: %s", name, why))
		}
	}
	mu.Unlock()
	for _, e := range sorted() {
		b, err := e.open()
		if err == nil {
			return b, skipped, nil
		}
		skipped = append(skipped, fmt.Errorf("%s: %w", e.name, err))
	}
	hint := ""
	mu.Lock()
	_, haveCPU := registry["cpu"]
	mu.Unlock()
	if !haveCPU {
		hint = " (import github.com/myelin-go/myelin/backend/cpu for the CPU)"
	}
	return nil, skipped, fmt.Errorf("backend: no backend could be opened%s: %w", hint, errors.Join(skipped...))
}
