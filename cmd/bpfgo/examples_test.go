package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/examples"
	"github.com/bpfgo/bpf/internal/testutil"
)

func TestExamplesList(t *testing.T) {
	for _, args := range [][]string{{"examples"}, {"examples", "list"}, {"examples", "ls"}} {
		code, out, errOut := runCmd(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		for _, e := range examples.List() {
			if !strings.Contains(out, e.Name+" ") || !strings.Contains(out, e.Description) {
				t.Errorf("%v: output lacks %s", args, e.Name)
			}
		}
	}
	code, out, errOut := runCmd("examples", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []exampleJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	list := examples.List()
	if len(got) != len(list) {
		t.Fatalf("%d entries, want %d", len(got), len(list))
	}
	for i, e := range list {
		if got[i].Name != e.Name || got[i].Type != e.Type.KernelName() || got[i].Category != string(e.Category) {
			t.Errorf("entry %d = %+v, want %s", i, got[i], e.Name)
		}
	}
	if got[10].Name != "xdp-map-lookup" || len(got[10].Maps) != 1 || got[10].Maps[0] != "proto_action" {
		t.Errorf("xdp-map-lookup entry %+v", got[10])
	}
}

func TestExamplesShow(t *testing.T) {
	code, out, errOut := runCmd("examples", "show", "xdp-tcp-port-filter")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"xdp-tcp-port-filter (port-filtering, xdp)", "r7 = *(u32 *)(r6 + 0x0)",
		"r8 = *(u32 *)(r6 + 0x4)", "goto +0x2 <drop>", "drop:\n", "exit"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd("examples", "show", "ip-allowlist")
	if code != 0 || !strings.Contains(out, "<ip_allowlist>") || !strings.Contains(out, "call bpf_map_lookup_elem") ||
		!strings.Contains(out, "map ") || !strings.Contains(out, "note: ") {
		t.Errorf("show ip-allowlist: exit %d\n%s", code, out)
	}
	code, _, errOut = runCmd("examples", "show", "xdp-tcp-port")
	if code != 1 || !strings.Contains(errOut, "unknown example") || !strings.Contains(errOut, "did you mean xdp-tcp-port-filter") {
		t.Errorf("unknown name: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{{"examples", "show"}, {"examples", "run"}, {"examples", "bogus"},
		{"examples", "list", "extra"}, {"examples", "run", "xdp-pass-all", "--port", "70000"},
		{"examples", "run", "xdp-pass-all", "--proto", "sctp"}, {"examples", "run", "xdp-pass-all", "--repeat", "0"}} {
		if code, _, errOut := runCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %s", args, code, errOut)
		}
	}
}

func TestExamplesRun(t *testing.T) {
	testutil.RequireRoot(t)
	// cmd/bpfgo has no TestMain with testutil.CheckFDs: check here that runs close everything.
	before := testutil.OpenFDs()
	defer func() {
		if diff := testutil.FDChanges(before, testutil.OpenFDs()); diff != "" {
			t.Errorf("examples run leaked fds:\n%s", diff)
		}
	}()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"xdp-tcp-port-filter"}, []string{"accepted by the verifier", "TCP 12345 > 80", "verdict: XDP_PASS"}},
		{[]string{"xdp-tcp-port-filter", "--port", "81"}, []string{"verdict: XDP_DROP"}},
		{[]string{"xdp-udp-port-range", "--proto", "udp", "--port", "1024"}, []string{"verdict: XDP_PASS"}},
		{[]string{"xdp-udp-port-range", "--proto", "udp", "--port", "1023"}, []string{"verdict: XDP_DROP"}},
		{[]string{"xdp-ethertype-filter", "--ipv6"}, []string{"verdict: XDP_DROP"}},
		{[]string{"xdp-ethertype-filter", "--proto", "arp"}, []string{"ARP", "verdict: XDP_DROP"}},
		{[]string{"ip-allowlist", "--src", "192.0.2.1"}, []string{"192.0.2.1 > 10.0.0.2", "verdict: XDP_DROP"}},
		{[]string{"icmp-rate-limiter", "--proto", "icmp", "--repeat", "50"}, []string{"verdict: XDP_DROP", "50 runs", "map icmp_buckets: 1 entries"}},
		{[]string{"tc-classifier", "--size", "300"}, []string{"verdict: TC_ACT_OK", "skb->priority after the run: 1"}},
		{[]string{"tc-shot-all"}, []string{"verdict: TC_ACT_SHOT"}},
		{[]string{"arithmetic-demo"}, []string{"+16                   107", "+40                    14", "-100"}},
		{[]string{"kprobe-timestamp"}, []string{"loaded as kprobe", "raw tracepoint", "map timestamps: 1 entries"}},
		{[]string{"perf-event-output"}, []string{"perf (CPU", "record, 36 bytes"}},
		{[]string{"xdp-ringbuf-flow"}, []string{"ring buffer record, 16 bytes: 0a 00 00 01 0a 00 00 02 30 39 00 50 06"}},
	} {
		args := append([]string{"examples", "run"}, c.args...)
		code, out, errOut := runCmd(args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", c.args, code, errOut)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, out)
			}
		}
	}
}
