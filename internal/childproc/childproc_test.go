package childproc

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const env = "MYELIN_TEST_CHILDPROC_MAIN"

// TestMain makes this package's test binary the command under test: a
// child prints its arguments to stderr and exits with status 3.
func TestMain(m *testing.M) {
	Main(m, env, func() {
		fmt.Fprint(os.Stderr, strings.Join(os.Args[1:], " "))
		os.Exit(3)
	})
}

func TestRunSeesStatusAndStderr(t *testing.T) {
	dir := t.TempDir()
	cmd := Command(t, env, dir, "a", "b")
	if cmd.Dir != dir {
		t.Errorf("Dir %q, want %q", cmd.Dir, dir)
	}
	status, stderr := Run(t, cmd)
	if status != 3 || stderr != "a b" {
		t.Errorf("status %d, stderr %q; want 3 and %q", status, stderr, "a b")
	}
}
