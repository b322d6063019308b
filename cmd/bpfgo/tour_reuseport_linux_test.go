package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourReuseport runs the sk_reuseport chapter for real: every datagram reaches the socket
// its first byte names.
func TestTourReuseport(t *testing.T) {
	testutil.RequireRoot(t)
	var b bytes.Buffer
	if err := tourReuseport(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, w := range []string{"socket 0 received 1 datagrams", "socket 1 received 2 datagrams", "socket 2 received 3 datagrams"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, b.String())
		}
	}
}
