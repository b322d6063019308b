package examples_test

import (
	"os"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestMain fails the test binary when an fd was left for the garbage collector to close.
func TestMain(m *testing.M) {
	os.Exit(testutil.CheckFDs(m))
}
