package main

import (
	"strings"
	"testing"

	"github.com/myelin-go/myelin/internal/childproc"
)

// mainEnv, set in the environment of this test binary, makes it run the
// command's main instead of the tests (internal/childproc): the tests
// below run mnist as a child process to see its exit status,
// stderr and signals.
const mainEnv = "MYELIN_TEST_RUN_MNIST_MAIN"

func TestMain(m *testing.M) { childproc.Main(m, mainEnv, main) }

// TestHelpAndErrorExit checks -h (usage, status 0), an unknown flag
// (reported once, status 2) and an error of the data package, whose
// message already begins with "mnist: ", reported with that prefix once.
func TestHelpAndErrorExit(t *testing.T) {
	code, stderr := childproc.Run(t, childproc.Command(t, mainEnv, t.TempDir(), "-h"))
	if code != 0 || !strings.Contains(stderr, "usage: mnist") {
		t.Errorf("-h: status %d, stderr %q; want 0 and the usage", code, stderr)
	}
	code, stderr = childproc.Run(t, childproc.Command(t, mainEnv, t.TempDir(), "-nosuchflag"))
	if code != 2 || strings.Count(stderr, "-nosuchflag") != 1 {
		t.Errorf("-nosuchflag: status %d, stderr %q; want 2 and the flag named once", code, stderr)
	}
	code, stderr = childproc.Run(t, childproc.Command(t, mainEnv, t.TempDir(), "-data", t.TempDir(), "-download=false"))
	if code != 2 || !strings.HasPrefix(stderr, "mnist: ") || strings.Contains(stderr, "mnist: mnist:") {
		t.Errorf("missing data: status %d, stderr %q; want 2 and one \"mnist: \" prefix", code, stderr)
	}
}
