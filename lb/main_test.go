package lb

import (
	"os"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestMain fails the test binary when a test leaves a file descriptor for the cleanup to close.
func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }
