package testutil_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// ExampleCheckFDs shows the TestMain every package with kernel tests uses:
// the binary fails if a test left an FD for the garbage collector to close.
func ExampleCheckFDs() {
	var m *testing.M // in TestMain(m *testing.M)
	if m != nil {
		os.Exit(testutil.CheckFDs(m))
	}
}

func ExampleKernelVersion() {
	major, minor, _ := testutil.KernelVersion()
	fmt.Printf("running Linux %d.%d\n", major, minor)
}

func ExampleCgroup2Root() {
	root, err := testutil.Cgroup2Root()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("cgroup v2 mounted at", root)
}
