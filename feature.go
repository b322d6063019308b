package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/sys"
)

// Feature probes ask the running kernel, not a version table: each loads a minimal program or
// creates a minimal map and reads the answer. They return nil when the feature works, an error
// matching [ErrNotSupported] (a [*FeatureError]) when the kernel lacks it or refuses it by
// policy, and another error when the question could not be answered (no privileges, for
// example) — never a bare errno. Answers are cached for the life of the process; errors that
// are not answers (EPERM without privileges) are not cached.

type probeKey struct {
	kind string
	a, b uint32
}

var probeCache sync.Map // probeKey → error (nil when supported)

func cachedProbe(key probeKey, probe func() (err error, final bool)) error {
	if v, ok := probeCache.Load(key); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	err, final := probe()
	if final {
		if err == nil {
			probeCache.Store(key, nil)
		} else {
			probeCache.Store(key, err)
		}
	}
	return err
}

// minimalProgram returns the smallest load request for a program of type t that the verifier
// accepts without an attach target, where one exists.
func minimalProgram(t ProgramType, body asm.Instructions) *ProgramSpec {
	spec := &ProgramSpec{Name: "probe", Type: t, License: "GPL"}
	switch t {
	case CgroupSockAddr:
		spec.AttachType = AttachCgroupInet4Connect
	case CgroupSockopt:
		spec.AttachType = AttachCgroupGetsockopt
	case SkLookup:
		spec.AttachType = AttachSkLookup
	case Netfilter:
		spec.AttachType = AttachNetfilter
	case Syscall:
		spec.Flags = sys.BPF_F_SLEEPABLE
	case Tracing:
		spec.AttachType = AttachTraceRawTp
	case LSM:
		spec.AttachType = AttachLSMMac
	}
	spec.Instructions = append(body, asm.MovImm(asm.R0, 0), asm.Exit())
	return spec
}

// probeLoad loads spec with a verifier log and returns the kernel's answer and the log. It
// does not keep the program.
func probeLoad(spec *ProgramSpec) (log []string, err error) {
	code, err := spec.Instructions.Encode()
	if err != nil {
		return nil, err
	}
	attr := sys.ProgLoadAttr{
		ProgType:           uint32(spec.Type),
		InsnCnt:            uint32(len(code) / asm.InstructionSize),
		Insns:              sys.NewSlicePointer(code),
		License:            sys.NewStringPointer(spec.License),
		ProgFlags:          spec.Flags,
		ExpectedAttachType: uint32(spec.AttachType),
	}
	copy(attr.ProgName[:], spec.Name)
	fd, log, err := loadWithLog(&attr, &ProgramOptions{LogLevel: LogLevelBranch, LogSize: 4096})
	fd.Close()
	return log, err
}

// privileged reports whether this process can load BPF programs at all: a socket filter, the
// oldest type, loads. Cached once it is known.
var privileged = sync.OnceValue(func() error {
	_, err := probeLoad(minimalProgram(SocketFilter, nil))
	if err != nil {
		return fmt.Errorf("load a minimal socket filter: %w", err)
	}
	return nil
})

// HaveProgramType reports whether the kernel loads programs of type t: nil if a minimal
// program loads (or, for types that need an attach target, if the verifier accepts the request
// up to the missing target); a [*FeatureError] matching [ErrNotSupported] if the kernel does
// not know the type or refuses it by policy (this answers EPERM for fentry/LSM/freplace on
// some kernels). The result is cached.
func HaveProgramType(t ProgramType) error {
	return cachedProbe(probeKey{"prog", uint32(t), 0}, func() (error, bool) {
		return haveProgramType(t)
	})
}

func haveProgramType(t ProgramType) (error, bool) {
	feature := fmt.Sprintf("%s programs (BPF_PROG_TYPE_%s)", t, strings.ToUpper(t.KernelName()))
	if t == UnspecifiedProgram {
		return &FeatureError{Feature: feature, Err: unix.EINVAL}, true
	}
	log, err := probeLoad(minimalProgram(t, nil))
	switch {
	case err == nil:
		return nil, true
	case errors.Is(err, unix.EPERM):
		if perr := privileged(); perr != nil {
			return fmt.Errorf("probe %s: no permission to load BPF programs: %w", feature, perr), false
		}
		return &FeatureError{Feature: feature, Err: fmt.Errorf("refused by the kernel although other programs load: %w", err)}, true
	case hasVerifierMessage(log) || parseVerifierStats(log) != nil:
		// The verifier ran, so the kernel knows the type; our minimal program lacks the
		// attach target this type needs (tracing, struct_ops).
		return nil, true
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.E2BIG), errors.Is(err, errnoENOTSUPP), errors.Is(err, unix.EOPNOTSUPP):
		return &FeatureError{Feature: feature, Err: fmt.Errorf("unknown to this kernel or compiled out: %w", err)}, true
	}
	return fmt.Errorf("probe %s: %w", feature, err), false
}

// HaveHelper reports whether programs of type t may call the helper fn: nil if so, a
// [*FeatureError] matching [ErrNotSupported] if the kernel lacks the helper or does not offer
// it to this program type (or lacks the program type). The result is cached.
func HaveHelper(t ProgramType, fn asm.BuiltinFunc) error {
	return cachedProbe(probeKey{"helper", uint32(t), uint32(fn)}, func() (error, bool) {
		if err := HaveProgramType(t); err != nil {
			return err, errors.Is(err, ErrNotSupported)
		}
		feature := fmt.Sprintf("helper %s for %s programs", fn, t)
		return probeCall(feature, t, asm.Call(fn), func(l string) bool {
			return strings.Contains(l, "invalid func ") || strings.Contains(l, "unknown func ") ||
				strings.Contains(l, "program of this type cannot use helper")
		})
	})
}

// probeCall loads a minimal program of type t making call and reads the verifier's answer:
// nil when the verifier reached the call (complaints about its arguments mean the function is
// there), a [*FeatureError] when a log line matches refused.
func probeCall(feature string, t ProgramType, call asm.Instruction, refused func(line string) bool) (error, bool) {
	log, err := probeLoad(minimalProgram(t, asm.Instructions{call}))
	if err == nil {
		return nil, true
	}
	for _, l := range log {
		if refused(l) {
			return &FeatureError{Feature: feature, Err: errors.New(strings.TrimSpace(l))}, true
		}
	}
	for _, l := range log {
		if _, text, ok := parseInsnLine(l); ok && strings.HasPrefix(text, "call ") {
			return nil, true
		}
	}
	if hasVerifierMessage(log) {
		// The verifier stopped before the call (the type needs an attach target): no answer.
		return fmt.Errorf("probe %s: the verifier stopped before the call: %s", feature, decisiveLines(log, 2)), true
	}
	return fmt.Errorf("probe %s: %w", feature, err), false
}

// HaveMapType reports whether the kernel creates maps of type t: nil if a minimal map of the
// type can be created, a [*FeatureError] matching [ErrNotSupported] if not. The result is
// cached.
func HaveMapType(t MapType) error {
	return cachedProbe(probeKey{"map", uint32(t), 0}, func() (error, bool) {
		return haveMapType(t)
	})
}

func haveMapType(t MapType) (error, bool) {
	feature := fmt.Sprintf("%s maps (BPF_MAP_TYPE_%s)", t, strings.ToUpper(t.KernelName()))
	attr := sys.MapCreateAttr{MapType: uint32(t), KeySize: 4, ValueSize: 4, MaxEntries: 1}
	copy(attr.MapName[:], "probe")
	var keep []*sys.FD
	defer func() {
		for _, fd := range keep {
			fd.Close()
		}
	}()
	switch t {
	case UnspecifiedMap:
		return &FeatureError{Feature: feature, Err: unix.EINVAL}, true
	case StackTrace:
		attr.ValueSize = 8
	case LPMTrie:
		attr.KeySize, attr.MapFlags = 8, sys.BPF_F_NO_PREALLOC
	case ArrayOfMaps, HashOfMaps:
		inner, err := sys.MapCreate(&sys.MapCreateAttr{MapType: uint32(Array), KeySize: 4, ValueSize: 4, MaxEntries: 1})
		if err != nil {
			return fmt.Errorf("probe %s: create inner map: %w", feature, err), false
		}
		keep = append(keep, inner)
		attr.InnerMapFD = inner.Uint()
	case CgroupStorage, PerCPUCgroupStorage:
		attr.KeySize, attr.MaxEntries = 8, 0
	case Queue, Stack, BloomFilter:
		attr.KeySize = 0
	case RingBuf, UserRingBuf:
		attr.KeySize, attr.ValueSize, attr.MaxEntries = 0, 0, uint32(os.Getpagesize())
	case Arena:
		attr.KeySize, attr.ValueSize, attr.MapFlags = 0, 0, sys.BPF_F_MMAPABLE
	case SkStorage, InodeStorage, TaskStorage, CgrpStorage:
		// Local storage maps need BTF for key and value: a one-type BTF blob ("int") will do.
		btfFD, err := loadIntBTF()
		if err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.E2BIG) {
				return &FeatureError{Feature: feature, Err: fmt.Errorf("load BTF: %w", err)}, true
			}
			return fmt.Errorf("probe %s: load BTF: %w", feature, err), false
		}
		keep = append(keep, btfFD)
		attr.MaxEntries, attr.MapFlags = 0, sys.BPF_F_NO_PREALLOC
		attr.BTFFD, attr.BTFKeyTypeID, attr.BTFValueTypeID = btfFD.Uint(), 1, 1
	case StructOpsMap:
		// A struct_ops map needs the BTF id of a kernel struct_ops type; without one the kernel
		// answers EINVAL only after it recognised the type, which a zero id cannot show.
		// Decide by the presence of kernel BTF and the program type, which the kernel probes.
		if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
			return &FeatureError{Feature: feature, Err: errors.New("no kernel BTF")}, true
		}
		if err := HaveProgramType(StructOps); err != nil {
			return err, errors.Is(err, ErrNotSupported)
		}
		return nil, true
	}
	fd, err := sys.MapCreate(&attr)
	switch {
	case err == nil:
		fd.Close()
		return nil, true
	case errors.Is(err, unix.EPERM):
		return fmt.Errorf("probe %s: no permission: %w", feature, err), false
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.E2BIG), errors.Is(err, errnoENOTSUPP), errors.Is(err, unix.EOPNOTSUPP):
		return &FeatureError{Feature: feature, Err: err}, true
	}
	return fmt.Errorf("probe %s: %w", feature, err), false
}

// loadIntBTF loads a BTF object with one type, id 1: a signed 32-bit "int".
func loadIntBTF() (*sys.FD, error) {
	const (
		btfMagic   = 0xeB9F
		hdrLen     = 24
		kindInt    = 1
		intSigned  = 1 << 24
		typeLen    = 16
		strings    = "\x00int\x00"
		intNameOff = 1
	)
	b := make([]byte, 0, hdrLen+typeLen+len(strings))
	le := binary.NativeEndian
	b = le.AppendUint16(b, btfMagic)
	b = append(b, 1, 0) // version, flags
	b = le.AppendUint32(b, hdrLen)
	b = le.AppendUint32(b, 0)                    // type_off
	b = le.AppendUint32(b, typeLen)              // type_len
	b = le.AppendUint32(b, typeLen)              // str_off
	b = le.AppendUint32(b, uint32(len(strings))) // str_len
	b = le.AppendUint32(b, intNameOff)           // name_off
	b = le.AppendUint32(b, kindInt<<24)          // info: kind INT, vlen 0
	b = le.AppendUint32(b, 4)                    // size
	b = le.AppendUint32(b, intSigned|32)         // encoding: signed, 32 bits
	b = append(b, strings...)
	attr := sys.BTFLoadAttr{BTF: sys.NewSlicePointer(b), BTFSize: uint32(len(b))}
	return sys.BTFLoad(&attr)
}

// HaveKernelVariable reports whether programs can load the address of the kernel variable
// name with [asm.LoadKsym] (a typed ksym, BPF_PSEUDO_BTF_ID): nil if so, a [*FeatureError]
// matching [ErrNotSupported] if the kernel's BTF lacks the variable or the kernel cannot find
// its address (kallsyms without CONFIG_KALLSYMS_ALL answers ENOENT). The result is cached.
func HaveKernelVariable(name string) error {
	feature := fmt.Sprintf("kernel variable %s (typed ksym)", name)
	id, _, err := resolveKsym(name)
	if err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			return &FeatureError{Feature: feature, Err: err}
		}
		return fmt.Errorf("probe %s: %w", feature, err)
	}
	return cachedProbe(probeKey{"ksym", uint32(id), 0}, func() (error, bool) {
		log, err := probeLoad(minimalProgram(SocketFilter, asm.Instructions{asm.LoadBTFID(asm.R1, id)}))
		if err == nil {
			return nil, true
		}
		for _, l := range log {
			if strings.Contains(l, "failed to find the address for kernel symbol") {
				return &FeatureError{Feature: feature, Err: fmt.Errorf("kallsyms has no data symbols (CONFIG_KALLSYMS_ALL): %s: %w", strings.TrimSpace(l), err)}, true
			}
		}
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("probe %s: %w", feature, err), false
		}
		return fmt.Errorf("probe %s: %s: %w", feature, decisiveLines(log, 2), err), false
	})
}

// HaveKfunc reports whether programs of type t may call the kernel function name
// ([asm.CallKfuncByName]): nil if so, a [*FeatureError] matching [ErrNotSupported] if the
// kernel's BTF lacks the function or the kernel does not offer it to this program type. The
// result is cached.
func HaveKfunc(t ProgramType, name string) error {
	feature := fmt.Sprintf("kfunc %s for %s programs", name, t)
	id, _, err := resolveKfunc(name)
	if err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			return &FeatureError{Feature: feature, Err: err}
		}
		return fmt.Errorf("probe %s: %w", feature, err)
	}
	return cachedProbe(probeKey{"kfunc", uint32(t), uint32(id)}, func() (error, bool) {
		if err := HaveProgramType(t); err != nil {
			return err, errors.Is(err, ErrNotSupported)
		}
		return probeCall(feature, t, asm.CallKfunc(id), func(l string) bool {
			return strings.Contains(l, "calling kernel function") && strings.Contains(l, "not allowed") ||
				strings.Contains(l, "kernel btf_id") && strings.Contains(l, "is not a function")
		})
	})
}
