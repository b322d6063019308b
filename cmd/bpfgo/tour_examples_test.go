package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourExamples runs the chapter for real: the examples load, every frame gets the verdict
// the chapter expects, and the allowlist hits and the ALU results read back match (the chapter
// checks all of it and returns an error otherwise).
func TestTourExamples(t *testing.T) {
	testutil.RequireRoot(t)
	var b bytes.Buffer
	if err := tourExamples(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, want := range []string{
		"each kernel-tested", "xdp-pass-all", "get-cpu-id",
		"TCP to port 81                     XDP_DROP",
		"UDP to 1024                        XDP_PASS",
		"hits read back from the map: 2",
		"a=100 b=7: sum 107, difference 93, product 700, quotient 14, remainder 2",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	code, out, errOut := runCmd("tour", "--run", "^examples$")
	if code != 0 || !strings.Contains(out, "-- ok") {
		t.Errorf("bpfgo tour --run examples: exit %d\n%s%s", code, out, errOut)
	}
}
