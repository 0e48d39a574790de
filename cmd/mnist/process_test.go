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
// command's main instead of the tests: the tests below run mnist as a
// child process (command) to see its exit status, stderr and signals.
const mainEnv = "MYELIN_TEST_RUN_MNIST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		panic("main returned") // main always exits
	}
	os.Exit(m.Run())
}

// command returns a command that runs mnist's main with args in a child
// process (this test binary, re-executed), in the directory dir.
func command(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	return cmd
}

// exitStatus runs cmd and returns its exit status and stderr.
func exitStatus(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// TestHelpAndErrorExit checks -h (usage, status 0), an unknown flag
// (reported once, status 2) and an error of the data package, whose
// message already begins with "mnist: ", reported with that prefix once.
func TestHelpAndErrorExit(t *testing.T) {
	code, stderr := exitStatus(t, command(t, t.TempDir(), "-h"))
	if code != 0 || !strings.Contains(stderr, "usage: mnist") {
		t.Errorf("-h: status %d, stderr %q; want 0 and the usage", code, stderr)
	}
	code, stderr = exitStatus(t, command(t, t.TempDir(), "-nosuchflag"))
	if code != 2 || strings.Count(stderr, "-nosuchflag") != 1 {
		t.Errorf("-nosuchflag: status %d, stderr %q; want 2 and the flag named once", code, stderr)
	}
	code, stderr = exitStatus(t, command(t, t.TempDir(), "-data", t.TempDir(), "-download=false"))
	if code != 2 || !strings.HasPrefix(stderr, "mnist: ") || strings.Contains(stderr, "mnist: mnist:") {
		t.Errorf("missing data: status %d, stderr %q; want 2 and one \"mnist: \" prefix", code, stderr)
	}
}
