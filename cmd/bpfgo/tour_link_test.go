//go:build linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourLink runs the attach-point chapter for real: the syscall count must rise, the task
// iterator must find this process, the uprobe must count every call and XDP every datagram (the
// chapter returns an error otherwise).
func TestTourLink(t *testing.T) {
	testutil.RequireRoot(t)
	var b bytes.Buffer
	if err := tourLink(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, w := range []string{"raw tracepoint sys_enter", "after 10 getpid calls", "<- this tour",
		"uprobe on ", "frames counted by XDP"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, b.String())
		}
	}
}
