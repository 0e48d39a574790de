package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// mainEnv, set in the environment of this test binary, makes it run the
// command's main instead of the tests, so that a test can see the exit
// status of the command.
const mainEnv = "MYELIN_TEST_RUN_BENCH_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		panic("main returned") // main always exits
	}
	os.Exit(m.Run())
}

// TestExitStatus runs bench in a child process: -h prints the usage and
// exits 0 (as cmd/mnist -h does), an unknown flag is reported once with
// status 2.
func TestExitStatus(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg    string
		status int
		want   string
	}{
		{"-h", 0, "usage: bench"},
		{"-nosuchflag", 2, "-nosuchflag"},
	} {
		cmd := exec.Command(exe, tc.arg)
		cmd.Env = append(os.Environ(), mainEnv+"=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		var exit *exec.ExitError
		if err := cmd.Run(); err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		if code := cmd.ProcessState.ExitCode(); code != tc.status || strings.Count(stderr.String(), tc.want) != 1 {
			t.Errorf("bench %s: status %d, stderr %q; want %d and %q once", tc.arg, code, stderr.String(), tc.status, tc.want)
		}
	}
}
