package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourChapters runs the system-check and raw-program chapters for real.
func TestTourChapters(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_SYS_ADMIN")
	for _, tt := range []struct {
		run  func(context.Context, *bytes.Buffer) error
		want []string
	}{
		{func(ctx context.Context, b *bytes.Buffer) error { return tourCheck(ctx, b) },
			[]string{"kernel ", "program types", "HaveProgramType(XDP)                     yes"}},
		{func(ctx context.Context, b *bytes.Buffer) error { return tourProgram(ctx, b) },
			[]string{"parse_eth:", "UDP/IPv4 to port 53                      47  XDP_DROP", "TCP/IPv4 to port 53", "XDP_PASS",
				"verifier: processed", "emitted at tour_program.go:", `after label "parse_eth"`}},
	} {
		var b bytes.Buffer
		if err := tt.run(context.Background(), &b); err != nil {
			t.Fatalf("chapter: %v\n%s", err, b.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("output lacks %q:\n%s", w, b.String())
			}
		}
	}
	code, out, errOut := runCmd("tour", "--run", "system check|raw instructions")
	if code != 0 || !strings.Contains(out, "all 2 chapters ran") {
		t.Fatalf("bpfgo tour: exit %d\n%s\n%s", code, out, errOut)
	}
}
