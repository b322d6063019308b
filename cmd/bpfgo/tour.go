package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strings"

	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/tour"
)

func init() {
	register(&command{
		Name:    "tour",
		Summary: "run every chapter of the tour: each capability of bpfgo, for real",
		Usage:   "tour [--list] [--run REGEX]",
		Run:     runTour,
	})
}

func runTour(rc *runContext, args []string) error {
	fs := flag.NewFlagSet("tour", flag.ContinueOnError)
	list := fs.Bool("list", false, "list the chapters and exit")
	only := fs.String("run", "", "run only the chapters whose name matches this regular expression")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	var re *regexp.Regexp
	if *only != "" {
		var err error
		if re, err = regexp.Compile(*only); err != nil {
			return fmt.Errorf("%w: --run: %v", errUsage, err)
		}
	}
	var failed []string
	ran := 0
	for i, c := range tour.Chapters() {
		if re != nil && !re.MatchString(c.Name) {
			continue
		}
		if *list {
			fmt.Fprintf(rc.Stdout, "%2d. %s\n", i+1, c.Name)
			continue
		}
		ran++
		fmt.Fprintf(rc.Stdout, "\n== %d. %s ==\n", i+1, c.Name)
		err := c.Run(context.Background(), rc.Stdout)
		switch {
		case err == nil:
			fmt.Fprintf(rc.Stdout, "-- ok\n")
		case errors.Is(err, sys.ErrNotSupported):
			fmt.Fprintf(rc.Stdout, "-- skipped: %v\n", err)
		default:
			fmt.Fprintf(rc.Stdout, "-- FAILED: %v\n", err)
			failed = append(failed, c.Name)
		}
	}
	if *list {
		return nil
	}
	if ran == 0 {
		return errors.New("no chapter ran")
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d chapters failed: %s", len(failed), ran, strings.Join(failed, ", "))
	}
	fmt.Fprintf(rc.Stdout, "\nall %d chapters ran\n", ran)
	return nil
}
