package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Draft for cmd/bpfgo/disasm_test.go (the asm engineer owns only disasm.go).
func TestDisasm(t *testing.T) {
	var out, errb bytes.Buffer
	rc := &runContext{Stdout: &out, Stderr: &errb}
	if code := run(rc, []string{"disasm", "../../asm/testdata/alu_v3.o", "xdp"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"Disassembly of section xdp:", "alu_prog:", "  24: r1 = 0x0 ll <counts>", "  44: call -0x1 <mix>", "  60: exit"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(rc, []string{"disasm", "--json", "../../asm/testdata/v4.o"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var secs []struct {
		Section      string `json:"section"`
		Instructions []struct {
			Slot int    `json:"slot"`
			Text string `json:"text"`
		} `json:"instructions"`
	}
	if err := json.Unmarshal(out.Bytes(), &secs); err != nil {
		t.Fatal(err)
	}
	if len(secs) != 2 || secs[0].Section != ".text" || secs[1].Section != "xdp" {
		t.Fatalf("sections %+v", secs)
	}
	if code := run(rc, []string{"disasm", "../../asm/testdata/v4.o", "nosuch"}); code != 1 {
		t.Errorf("unknown section: exit %d", code)
	}
	if code := run(rc, []string{"disasm"}); code != 2 {
		t.Errorf("no argument: exit %d", code)
	}
}
