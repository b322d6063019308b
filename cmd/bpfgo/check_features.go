package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/link"
)

// featureReport is one capability beyond program and map types, probed for real.
type featureReport struct {
	Name      string `json:"name"`
	Since     string `json:"since"` // the Linux version that added it
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"` // why not, or a probe error
}

// checkReport is the JSON of `bpfgo check`: the library's system report and the features.
type checkReport struct {
	*bpf.SystemReport
	Features []featureReport `json:"features"`
}

// probeFeatures asks the kernel about the features bpfgo's packages use beyond the basics.
func probeFeatures() []featureReport {
	probes := []struct {
		name, since string
		probe       func() error
	}{
		{"kfunc calls (bpf_rcu_read_lock from syscall programs)", "6.2", func() error { return bpf.HaveKfunc(bpf.Syscall, "bpf_rcu_read_lock") }},
		{"typed kernel variables (.ksyms, asm.LoadKsym)", "5.10, needs CONFIG_KALLSYMS_ALL", func() error { return bpf.HaveKernelVariable("runqueues") }},
		{"kprobes", "4.1, needs CONFIG_KPROBES", link.HaveKprobes},
		{"uprobe_multi links", "6.6", link.HaveUprobeMulti},
		{"TCX links", "6.6", link.HaveTCX},
		{"sockmap links", "6.10", link.HaveSockMapLink},
	}
	out := make([]featureReport, 0, len(probes))
	for _, p := range probes {
		f := featureReport{Name: p.name, Since: p.since}
		switch err := p.probe(); {
		case err == nil:
			f.Available = true
		case errors.Is(err, bpf.ErrNotSupported):
			f.Reason = err.Error()
		default:
			f.Reason = "probe failed: " + err.Error()
		}
		out = append(out, f)
	}
	return out
}

// writeFeatures prints the features after the system report.
func writeFeatures(w io.Writer, fs []featureReport) {
	fmt.Fprintln(w, "features")
	for _, f := range fs {
		mark := "yes"
		if !f.Available {
			mark = "no "
		}
		fmt.Fprintf(w, "  %s  %s (Linux %s)", mark, f.Name, f.Since)
		if f.Reason != "" {
			fmt.Fprintf(w, ": %s", f.Reason)
		}
		fmt.Fprintln(w)
	}
}
