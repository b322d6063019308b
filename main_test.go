package bpf

import (
	"os"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestMain fails the test binary when an fd was left for the garbage
// collector to close, and lets tests re-execute the binary as a helper
// process (see TestPinnedMapSurvivesProcess).
func TestMain(m *testing.M) {
	if runHelperProcess() {
		return
	}
	os.Exit(testutil.CheckFDs(m))
}
