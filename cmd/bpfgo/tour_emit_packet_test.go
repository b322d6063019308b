package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourEmitPacket runs the chapter for real: every program loads, every frame gets its
// verdict, the DNAT output verifies and the map read-backs match (the chapter checks all of it
// and returns an error otherwise).
func TestTourEmitPacket(t *testing.T) {
	testutil.RequireRoot(t)
	var b bytes.Buffer
	if err := tourEmitPacket(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, want := range []string{
		"bounds.CheckIPv4 (IHL)      11 instructions",
		"cut inside the IPv4 options (IHL says 28)      38 bytes  XDP_DROP",
		"> 192.168.77.10:8080", "both verify",
		"key read back from the map: ::ffff:10.0.0.1",
		"key read back from the map: 2001:db8::7",
		"record read back: 10.0.0.1:12345 > 10.0.0.2:80 proto 6 cookie 0xc0ffee",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
