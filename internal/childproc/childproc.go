// Package childproc lets a command's tests run the command itself in a
// child process, to see what only a process shows: its exit status, its
// standard error, how it answers signals. The test binary re-executes
// itself with an environment variable set, and its TestMain then runs the
// command's main instead of the tests.
package childproc

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

// Main is the body of a command's TestMain: with env set to "1" in the
// environment it runs main, which must exit, and panics if main returns;
// otherwise it runs the tests and exits with their status.
func Main(m *testing.M, env string, main func()) {
	if os.Getenv(env) == "1" {
		main()
		panic("childproc: main returned; a command's main must exit")
	}
	os.Exit(m.Run())
}

// Command returns a command that runs the test binary as the command (see
// Main) with args, in the directory dir ("" for the test's own).
func Command(t testing.TB, env, dir string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env+"=1")
	return cmd
}

// Run runs cmd to its end and returns its exit status and standard error;
// it fails the test if cmd could not be run at all.
func Run(t testing.TB, cmd *exec.Cmd) (status int, stderr string) {
	t.Helper()
	var buf bytes.Buffer
	cmd.Stderr = &buf
	var exit *exec.ExitError
	if err := cmd.Run(); err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), buf.String()
}
