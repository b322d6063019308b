package asm

import (
	"strconv"
	"strings"
)

// name returns the kernel's name of the helper without the bpf_ prefix, or "".
func (fn BuiltinFunc) name() string {
	if fn < 0 || int(fn) >= len(builtinFuncNames) {
		return ""
	}
	return builtinFuncNames[fn]
}

// String returns the helper's C name, e.g. "bpf_map_lookup_elem", or "BuiltinFunc(N)" for an id
// this package does not know.
func (fn BuiltinFunc) String() string {
	if n := fn.name(); n != "" {
		return "bpf_" + n
	}
	return "BuiltinFunc(" + strconv.Itoa(int(fn)) + ")"
}

// BuiltinFuncByName returns the helper called name, with or without the "bpf_" prefix
// ("bpf_map_lookup_elem" or "map_lookup_elem"), and false if there is none.
func BuiltinFuncByName(name string) (BuiltinFunc, bool) {
	name = strings.TrimPrefix(name, "bpf_")
	for id, n := range builtinFuncNames {
		if n != "" && n == name {
			return BuiltinFunc(id), true
		}
	}
	return 0, false
}
