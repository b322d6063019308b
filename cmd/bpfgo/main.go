// Command bpfgo is the command line of the bpfgo library: a system check, listings of the maps
// and programs loaded in the kernel, a disassembler, a BTF browser, and the tour, which shows
// each capability of the library running for real.
//
// Every subcommand is a thin shell over the library: anything it does, a Go program can do the
// same way. Subcommands live in their own files and register themselves in init, so parallel
// work does not collide here.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand. Run receives the arguments after the subcommand name, flags and
// positional arguments in any order.
type command struct {
	Name    string
	Summary string
	Usage   string // e.g. "map show ID|PATH [--json]"
	Run     func(ctx *runContext, args []string) error
}

// runContext carries the output streams, so tests can run commands in-process.
type runContext struct {
	Stdout io.Writer
	Stderr io.Writer
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("bpfgo: duplicate command " + c.Name)
	}
	commands[c.Name] = c
}

// errUsage marks an error as a usage error (exit status 2).
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(&runContext{Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:]))
}

func run(ctx *runContext, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(ctx.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(ctx.Stderr, "bpfgo: unknown command %q\n\n", args[0])
		usage(ctx.Stderr)
		return 2
	}
	if err := c.Run(ctx, args[1:]); err != nil {
		fmt.Fprintf(ctx.Stderr, "bpfgo %s: %v\n", c.Name, err)
		if errors.Is(err, errUsage) {
			fmt.Fprintf(ctx.Stderr, "usage: bpfgo %s\n", c.Usage)
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "bpfgo: a pure-Go eBPF toolkit\n\nusage: bpfgo COMMAND [ARGS]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
}

// parseFlags parses fs from args where flags may come before or after the positional
// arguments, and returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
