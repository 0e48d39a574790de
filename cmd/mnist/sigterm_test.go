//go:build unix

package main

import (
	"bufio"
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/myelin-go/myelin/internal/childproc"
)

// TestSIGTERM sends SIGTERM to a child process in the middle of training
// on synthetic data and checks that it exits as after Ctrl-C: status 143
// (128 + SIGTERM), a checkpoint at the default path, and a message saying
// how to resume; then it resumes from that checkpoint.
func TestSIGTERM(t *testing.T) {
	data := synthetic(t)
	work := t.TempDir()
	cmd := childproc.Command(t, mainEnv, work, "-data", data, "-download=false", "-backend", "cpu", "-model", "logreg",
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
