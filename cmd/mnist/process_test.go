package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestSIGTERM sends SIGTERM to a child process in the middle of training
// on synthetic data and checks that it exits as after Ctrl-C: status 143
// (128 + SIGTERM), a checkpoint at the default path, and a message saying
// how to resume; then it resumes from that checkpoint.
func TestSIGTERM(t *testing.T) {
	data := synthetic(t)
	work := t.TempDir()
	cmd := command(t, work, "-data", data, "-download=false", "-backend", "cpu", "-model", "logreg",
		"-limit", "300", "-batch", "4", "-epochs", "1000000", "-json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	// The first epoch's line shows that training runs; the signal comes
	// in the middle of a later epoch.
	out := bufio.NewReader(stdout)
	if _, err := out.ReadString('\n'); err != nil {
		cmd.Wait()
		t.Fatalf("no epoch reported before the signal: %v\nstderr: %s", err, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out.WriteTo(new(bytes.Buffer)) // until the child closes stdout
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("after SIGTERM: %v, want exit status %d\nstderr: %s", cmd.ProcessState, 128+int(syscall.SIGTERM), stderr.String())
	}
	m := regexp.MustCompile(`interrupted after (\d+) epochs and (\d+) batches; checkpoint saved to (\S+);`).FindStringSubmatch(stderr.String())
	if m == nil || m[3] != interruptedPath {
		t.Fatalf("stderr %q does not report a checkpoint saved to %s", stderr.String(), interruptedPath)
	}
	epochs, _ := strconv.Atoi(m[1])
	ck := filepath.Join(work, interruptedPath)
	recs := runJSON(t, data, "-batch", "4", "-epochs", strconv.Itoa(epochs+1), "-resume", ck)
	if len(recs) != 1 || recs[0]["epoch"] != float64(epochs+1) {
		t.Errorf("resumed from the checkpoint SIGTERM saved after %d epochs: %v, want epoch %d", epochs, recs, epochs+1)
	}
}
