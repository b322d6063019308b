package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourSockMap runs the sk_msg chapter for real: the message written on one connection is read
// from the other, its real peer gets nothing, and the program counted its bytes.
func TestTourSockMap(t *testing.T) {
	testutil.RequireRoot(t)
	var b bytes.Buffer
	if err := tourSockMap(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, w := range []string{`B's server read "hello from A's client"`, "got nothing", "counted 21 bytes"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, b.String())
		}
	}
}
