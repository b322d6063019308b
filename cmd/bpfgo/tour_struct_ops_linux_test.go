package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourStructOps runs the struct_ops chapter for real: the C congestion control registers, a
// loopback TCP flow uses it, its programs count the calls, and Close unregisters it.
func TestTourStructOps(t *testing.T) {
	testutil.RequireRoot(t)
	var b bytes.Buffer
	if err := tourStructOps(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, w := range []string{"tcp_congestion_ops.init       = program tour_init", `the socket reports "bpfgo_tour"`,
		"the kernel called the C programs: init ", "unregistered"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, b.String())
		}
	}
}
