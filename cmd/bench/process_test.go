package main

import (
	"strings"
	"testing"

	"github.com/myelin-go/myelin/internal/childproc"
)

// mainEnv, set in the environment of this test binary, makes it run the
// command's main instead of the tests (internal/childproc), so that a test
// can see the exit status of the command.
const mainEnv = "MYELIN_TEST_RUN_BENCH_MAIN"

func TestMain(m *testing.M) { childproc.Main(m, mainEnv, main) }

// TestExitStatus runs bench in a child process: -h prints the usage and
// exits 0 (as cmd/mnist -h does), an unknown flag is reported once with
// status 2.
func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		arg    string
		status int
		want   string
	}{
		{"-h", 0, "usage: bench"},
		{"-nosuchflag", 2, "-nosuchflag"},
	} {
		code, stderr := childproc.Run(t, childproc.Command(t, mainEnv, "", tc.arg))
		if code != tc.status || strings.Count(stderr, tc.want) != 1 {
			t.Errorf("bench %s: status %d, stderr %q; want %d and %q once", tc.arg, code, stderr, tc.status, tc.want)
		}
	}
}
