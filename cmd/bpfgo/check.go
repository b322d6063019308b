package main

import (
	"flag"
	"fmt"

	"github.com/bpfgo/bpf"
)

func init() {
	register(&command{
		Name:    "check",
		Summary: "report what this system offers BPF: kernel, mounts, capabilities, BTF, JIT, program and map types, features",
		Usage:   "check [--json]",
		Run:     runCheck,
	})
}

func runCheck(rc *runContext, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: check takes no arguments", errUsage)
	}
	report, checkErr := bpf.Check()
	var features []featureReport
	if checkErr == nil {
		features = probeFeatures()
	}
	if *asJSON {
		err = progWriteJSON(rc.Stdout, checkReport{SystemReport: report, Features: features})
	} else if err = report.WriteText(rc.Stdout); err == nil && features != nil {
		writeFeatures(rc.Stdout, features)
	}
	if err != nil {
		return err
	}
	// A system where BPF cannot be used at all fails the command, after the report.
	return checkErr
}
