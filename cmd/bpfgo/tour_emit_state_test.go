//go:build linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourEmitState runs the chapter of the stateful emit helpers for real.
func TestTourEmitState(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_SYS_ADMIN")
	var b bytes.Buffer
	if err := tourEmitState(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, want := range []string{
		"mapop.IncrementAtomic         20 instructions",
		"10.0.0.1: 1000 packets counted (sent 1000)",
		"clock.WeightedSelect           8 instructions",
		"backend 2",
		"10.0.0.3: pass pass pass pass pass drop drop drop",
		"record: 10.0.0.1:4000 -> 10.0.0.2:53",
		"record: 10.0.0.3:4000 -> 10.0.0.2:53",
		"10.0.0.1:4000 -> 10.0.0.2:53, Ethernet 000000000002000000000001",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
