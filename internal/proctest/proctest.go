// Package proctest runs test packages against hookq's real binaries.
package proctest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Main builds the ingest and worker commands, and the packages in more,
// into a temporary directory, stores its path in *binDir, runs the tests and
// exits with their status. Call it from TestMain.
func Main(m *testing.M, binDir *string, more ...string) {
	dir, err := os.MkdirTemp("", "hookq-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	args := append([]string{"build", "-o", dir + "/", "github.com/hookq/hookq/cmd/ingest", "github.com/hookq/hookq/cmd/worker"}, more...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	*binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
