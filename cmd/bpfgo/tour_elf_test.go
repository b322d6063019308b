//go:build linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourELF runs the ELF chapter for real: the embedded clang object must load, drop only UDP
// (the .rodata constant set from Go) and count every frame in .bss and its map.
func TestTourELF(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	var b bytes.Buffer
	if err := tourELF(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, w := range []string{`XDP("xdp_count"`, `"proto_count"`, `".rodata"`, "drop_proto = 17",
		"frames = 3, dropped = 1", "proto_count[6] = 2", "proto_count[17] = 1"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, b.String())
		}
	}
}
