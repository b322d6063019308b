//go:build linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTourCORE runs the CO-RE chapter for real: every relocated read must equal what Go and the
// kernel's BTF say (the chapter returns an error otherwise).
func TestTourCORE(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	var b bytes.Buffer
	if err := tourCORE(context.Background(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	for _, w := range []string{"task_struct->pid", "real_parent->tgid", "no_such_field", "sizeof(struct task_struct)"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, b.String())
		}
	}
}
