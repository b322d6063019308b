package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourLB runs the chapter for real: the programs load, every frame is rewritten to the
// backend its rule names with correct checksums, and the reply gets the VIP back (the chapter
// checks each and returns an error otherwise).
func TestTourLB(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	var b bytes.Buffer
	if err := tourLB(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, want := range []string{
		"192.0.2.1:12345 > 10.0.0.100:53  =>  192.0.2.1:12345 > 10.1.0.10:5353  (checksums ok)",
		"192.0.2.1:12345 > 10.0.0.100:443  =>  192.0.2.1:12345 > 10.1.0.21:8443",
		"198.51.100.7:12345 > 10.0.0.100:443  =>  198.51.100.7:12345 > 10.1.0.30:8443",
		"udp 10.1.0.10:5353 -> client 192.0.2.1:12345: replies get source 10.0.0.100:53",
		"10.1.0.10:5353 > 192.0.2.1:12345  =>  10.0.0.100:53 > 192.0.2.1:12345",
		"stats any:443/tcp: 3 packets (source 1, SNI 1, flow 0, default 1), 0 replies",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
