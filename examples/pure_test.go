package examples_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/examples"
)

// seedNames is clj-ebpf's list (seed 001): every one must be in the catalogue under its name.
var seedNames = []string{
	"xdp-pass-all", "xdp-drop-all", "xdp-packet-size-filter", "xdp-aborted-on-error",
	"xdp-ethernet-parser", "xdp-ethertype-filter", "xdp-ipv4-parser", "xdp-ip-protocol-filter",
	"xdp-tcp-port-filter", "xdp-udp-port-range", "xdp-map-lookup", "xdp-map-counter",
	"tc-ok-all", "tc-shot-all", "tc-classifier", "kprobe-trace-printk", "kprobe-timestamp",
	"arithmetic-demo", "bitwise-demo", "conditional-demo", "syn-flood-protection",
	"icmp-rate-limiter", "ip-allowlist", "perf-event-output", "get-cpu-id",
}

func TestCatalogueHasSeedList(t *testing.T) {
	for _, n := range seedNames {
		e, err := examples.Get(n)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if e.Name != n {
			t.Errorf("Get(%q).Name = %q", n, e.Name)
		}
	}
	if got := len(examples.List()); got < len(seedNames) {
		t.Errorf("List has %d examples, fewer than the seed's %d", got, len(seedNames))
	}
}

// TestCatalogueWellFormed checks what needs no kernel: unique names, descriptions, types, and
// programs that assemble (labels resolve) and end in exit.
func TestCatalogueWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range examples.List() {
		if seen[e.Name] {
			t.Errorf("duplicate name %q", e.Name)
		}
		seen[e.Name] = true
		if e.Description == "" || e.Category == "" || e.AttachHint == "" || e.Type == 0 {
			t.Errorf("%s: incomplete entry %+v", e.Name, e)
		}
		insns := e.Instructions()
		if len(insns) == 0 {
			t.Errorf("%s: no instructions", e.Name)
			continue
		}
		if _, err := insns.Encode(); err != nil {
			t.Errorf("%s: encode: %v", e.Name, err)
		}
		if s := insns.String(); !strings.Contains(s, "exit") {
			t.Errorf("%s: no exit in\n%s", e.Name, s)
		}
		for _, s := range e.MapSpecs() {
			if !strings.Contains(insns.String(), "<"+s.Name+">") {
				t.Errorf("%s: map %q not referenced by name in\n%s", e.Name, s.Name, insns)
			}
		}
	}
}

func TestGetUnknown(t *testing.T) {
	_, err := examples.Get("xdp-pass-al")
	var ue *examples.UnknownError
	if !errors.As(err, &ue) || !errors.Is(err, examples.ErrUnknown) {
		t.Fatalf("Get: %v, want an *UnknownError", err)
	}
	if len(ue.Suggestions) == 0 || ue.Suggestions[0] != "xdp-pass-all" {
		t.Errorf("suggestions %v, want xdp-pass-all first", ue.Suggestions)
	}
	if !strings.Contains(err.Error(), "did you mean xdp-pass-all") {
		t.Errorf("error %q lacks the suggestion", err)
	}
	if got := examples.Suggest("port"); len(got) == 0 {
		t.Errorf("Suggest(port) = %v, want the port filters", got)
	}
	if got := examples.Suggest("zzzzzzzzzzzzzzzzzzzzzzz"); len(got) != 0 {
		t.Errorf("Suggest(nonsense) = %v, want none", got)
	}
	if e, err := examples.Get(":xdp-drop-all"); err != nil || e.Name != "xdp-drop-all" {
		t.Errorf("Get with clj-ebpf keyword: %v, %v", e, err)
	}
}

func TestBuildNeedsMaps(t *testing.T) {
	e, err := examples.Get("ip-allowlist")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Build(nil); err == nil || !strings.Contains(err.Error(), `map "ip_allowlist" missing`) {
		t.Fatalf("Build(nil) = %v, want an error naming the missing map", err)
	}
	e, _ = examples.Get("xdp-pass-all")
	spec, err := e.Build(nil)
	if err != nil || spec.Name != "xdp_pass_all" || len(spec.Instructions) != 2 {
		t.Fatalf("Build: %v %v", spec, err)
	}
}
