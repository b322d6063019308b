package bpf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/sys"
)

// Programs built with asm carry the Go source position of every instruction. When such a
// program is loaded, NewProgram describes it to the kernel the way clang describes a C
// program: a BTF blob with one FUNC per function (the entry, and every target of a
// bpf-to-bpf call or of a callback reference), func_info records placing those functions,
// and line_info records giving each instruction's Go file and line. The verifier log then
// prints "; <Go source line> @ file.go:42" above the instructions, bpftool prog dump shows
// the lines, and callbacks (bpf_loop, timers), which the kernel accepts only with func_info,
// load.

// progBTF is the BTF and the func_info / line_info records generated for one program.
type progBTF struct {
	raw      []byte
	funcInfo []byte
	nFunc    int
	lineInfo []byte
	nLine    int
}

// forceBadProgBTF makes buildProgBTF emit BTF the kernel refuses, to test the fallback.
var forceBadProgBTF = false

// unknownFile is the file name of line_info records for function entries without a Go
// source position.
const unknownFile = "<generated>"

// buildProgBTF generates BTF, func_info and line_info for insns, whose encoding is code.
// It returns nil when there is nothing to describe.
func buildProgBTF(name string, insns asm.Instructions, code []byte) (*progBTF, error) {
	nslots := len(code) / asm.InstructionSize
	if nslots == 0 {
		return nil, nil
	}
	// Function entries, found the way the kernel finds subprograms: the targets of
	// bpf-to-bpf calls and of BPF_PSEUDO_FUNC loads.
	starts := map[int]bool{0: true}
	for i := 0; i < nslots; i++ {
		rec := code[i*asm.InstructionSize:]
		op, src := rec[0], asm.Register(regSrc(rec[1]))
		imm := int32(binary.NativeEndian.Uint32(rec[4:]))
		switch {
		case op == 0x85 && src == asm.PseudoCall, // call pc+imm
			op == 0x18 && src == asm.PseudoFunc: // r = func at pc+imm
			target := i + 1 + int(imm)
			if target < 0 || target >= nslots {
				return nil, fmt.Errorf("program btf: instruction %d: call target %d outside the program", i, target)
			}
			starts[target] = true
		}
		if op == 0x18 {
			i++ // second slot of a 64-bit immediate load
		}
	}

	// Labels by slot, to name functions, and source positions by slot: only where the
	// position changes, the first one of each function included.
	labels := make(map[int]string)
	type lineAt struct {
		slot int
		pos  asm.Position
	}
	var lines []lineAt
	var last asm.Position
	slot, fresh := 0, true
	for _, ins := range insns {
		if ins.IsLabel() {
			if _, ok := labels[slot]; !ok {
				labels[slot] = ins.Reference
			}
			continue
		}
		if starts[slot] {
			fresh = true
		}
		if pos, ok := ins.Source(); ok && pos.File != "" && (fresh || pos.File != last.File || pos.Line != last.Line) {
			lines = append(lines, lineAt{slot, pos})
			last, fresh = pos, false
		}
		slot += ins.Slots()
	}
	if slot != nslots {
		return nil, fmt.Errorf("program btf: %d slots in the instructions, %d encoded", slot, nslots)
	}

	if len(starts) == 1 && len(lines) == 0 {
		return nil, nil
	}
	entries := make([]int, 0, len(starts))
	for s := range starts {
		entries = append(entries, s)
	}
	sort.Ints(entries)

	b := btf.NewBuilder()
	long, err := b.Add(&btf.Int{Name: "long", Size: 8, Bits: 64, Encoding: btf.Signed})
	if err != nil {
		return nil, err
	}
	voidPtr, err := b.Add(&btf.Pointer{})
	if err != nil {
		return nil, err
	}
	mainProto, err := b.Add(&btf.FuncProto{Return: long, Params: []btf.FuncParam{{Name: "ctx", Type: voidPtr}}})
	if err != nil {
		return nil, err
	}
	// Subprograms are static: the verifier checks them in the caller's context, so their
	// prototype only has to return a scalar.
	subProto, err := b.Add(&btf.FuncProto{Return: long})
	if err != nil {
		return nil, err
	}
	funcs := make([]btf.ProgFuncInfo, 0, len(entries))
	for _, s := range entries {
		fname, proto := labels[s], subProto
		if s == 0 {
			fname, proto = name, mainProto
			if fname == "" {
				fname = labels[0]
			}
			if fname == "" {
				fname = "main"
			}
		} else if fname == "" {
			fname = fmt.Sprintf("func_%d", s)
		}
		id, err := b.Add(&btf.Func{Name: cIdentifier(fname), Type: proto, Linkage: btf.StaticFunc})
		if err != nil {
			return nil, err
		}
		if forceBadProgBTF {
			id = 1 // an INT, not a FUNC: the kernel refuses the func_info
		}
		funcs = append(funcs, btf.ProgFuncInfo{InsnOff: uint32(s), TypeID: id})
	}

	// One line_info record where the position changes, and one at every function entry
	// (the kernel insists on it).
	src := sourceLines{}
	var infos []btf.ProgLineInfo
	li, prevFile, prevLine := 0, "", -1
	for k, s := range entries {
		end := nslots
		if k+1 < len(entries) {
			end = entries[k+1]
		}
		for li < len(lines) && lines[li].slot < s {
			li++
		}
		if li >= len(lines) || lines[li].slot != s {
			// No position at the entry: borrow the function's first one, or a placeholder.
			pos := asm.Position{File: unknownFile}
			if li < len(lines) && lines[li].slot < end {
				pos = lines[li].pos
			}
			infos = append(infos, lineInfo(b, src, s, pos))
			prevFile, prevLine = pos.File, pos.Line
		} else {
			prevFile, prevLine = "", -1
		}
		for ; li < len(lines) && lines[li].slot < end; li++ {
			l := lines[li]
			if l.pos.File == prevFile && l.pos.Line == prevLine {
				continue
			}
			infos = append(infos, lineInfo(b, src, l.slot, l.pos))
			prevFile, prevLine = l.pos.File, l.pos.Line
		}
	}

	pb := &progBTF{nFunc: len(funcs), nLine: len(infos)}
	if pb.raw, err = b.Marshal(nil); err != nil {
		return nil, err
	}
	if pb.funcInfo, err = btf.MarshalFuncInfos(funcs); err != nil {
		return nil, err
	}
	if pb.lineInfo, err = btf.MarshalLineInfos(infos); err != nil {
		return nil, err
	}
	return pb, nil
}

// regSrc returns the source register of an encoded instruction's register byte.
func regSrc(regs byte) byte {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 { // little-endian: src in the high nibble
		return regs >> 4
	}
	return regs & 0x0f
}

// lineInfo returns the line_info record of the instruction at slot.
func lineInfo(b *btf.Builder, src sourceLines, slot int, pos asm.Position) btf.ProgLineInfo {
	line := uint32(max(pos.Line, 0))
	if line >= 1<<22 {
		line = 0
	}
	text := src.line(pos.File, pos.Line)
	if text == "" && pos.File != unknownFile {
		text = fmt.Sprintf("%s:%d", pos.File, pos.Line)
	}
	if pos.Helper != "" {
		text += " /* " + pos.Helper + " */"
	}
	return btf.ProgLineInfo{
		InsnOff:     uint32(slot),
		FileNameOff: b.AddString(pos.File),
		LineOff:     b.AddString(text),
		LineNum:     line,
	}
}

// sourceLines reads Go source lines for one load, through a process-wide cache: the Go
// files that built a program do not change while it runs, and programs are often loaded
// many times.
type sourceLines map[string][]string

// maxCachedFiles bounds the process-wide cache of source files.
const maxCachedFiles = 256

var sourceCache struct {
	sync.Mutex
	files map[string][]string
}

// line returns line n (1-based) of file without surrounding blanks, or "" when the file
// cannot be read.
func (s sourceLines) line(file string, n int) string {
	lines, ok := s[file]
	if !ok {
		lines = cachedLines(file)
		s[file] = lines
	}
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

func cachedLines(file string) []string {
	sourceCache.Lock()
	lines, ok := sourceCache.files[file]
	sourceCache.Unlock()
	if ok {
		return lines
	}
	lines = readLines(file)
	sourceCache.Lock()
	if sourceCache.files == nil {
		sourceCache.files = make(map[string][]string)
	}
	if len(sourceCache.files) < maxCachedFiles {
		sourceCache.files[file] = lines
	}
	sourceCache.Unlock()
	return lines
}

// maxSourceFile bounds the size of a source file read for line texts.
const maxSourceFile = 4 << 20

func readLines(file string) []string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > maxSourceFile {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	return lines
}

// cIdentifier turns a label into a C identifier, as the kernel wants function names:
// letters, digits and '_', not starting with a digit.
func cIdentifier(name string) string {
	var sb strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9':
			if i == 0 {
				sb.WriteByte('_')
			}
		default:
			c = '_'
		}
		sb.WriteByte(c)
	}
	if sb.Len() == 0 {
		return "_"
	}
	return sb.String()
}

// loadProgBTF loads pb's BTF and fills the BTF fields of attr. It returns the BTF fd,
// which the caller closes after the load.
func loadProgBTF(attr *sys.ProgLoadAttr, pb *progBTF) (*sys.FD, error) {
	fd, err := loadBTF(pb.raw)
	if err != nil {
		return nil, err
	}
	attr.ProgBTFFD = fd.Uint()
	attr.FuncInfoRecSize = btf.FuncInfoRecSize
	attr.FuncInfo = sys.NewSlicePointer(pb.funcInfo)
	attr.FuncInfoCnt = uint32(pb.nFunc)
	attr.LineInfoRecSize = btf.LineInfoRecSize
	attr.LineInfo = sys.NewSlicePointer(pb.lineInfo)
	attr.LineInfoCnt = uint32(pb.nLine)
	return fd, nil
}

// clearProgBTF removes the BTF fields from attr.
func clearProgBTF(attr *sys.ProgLoadAttr) {
	attr.ProgBTFFD = 0
	attr.FuncInfoRecSize, attr.FuncInfo, attr.FuncInfoCnt = 0, sys.Pointer{}, 0
	attr.LineInfoRecSize, attr.LineInfo, attr.LineInfoCnt = 0, sys.Pointer{}, 0
}

// btfRelated reports whether a failed load may be the fault of the generated BTF rather
// than of the program: the kernel's answer mentions BTF, func_info or line_info, or the
// verifier never ran.
func btfRelated(log []string) bool {
	if !hasVerifierMessage(log) {
		return true
	}
	for _, l := range log {
		ll := strings.ToLower(l)
		if strings.Contains(ll, "btf") || strings.Contains(ll, "func_info") || strings.Contains(ll, "line_info") ||
			strings.Contains(ll, "func info") || strings.Contains(ll, "line info") {
			return true
		}
	}
	return false
}

// loadProgram runs BPF_PROG_LOAD for a program with generated BTF (pb may be nil): first
// with the BTF, then — if the kernel refuses the BTF or the load in a way the BTF may have
// caused — once more without. When both fail, the first error is returned, as its log shows
// the Go source lines.
func loadProgram(attr *sys.ProgLoadAttr, opts *ProgramOptions, pb *progBTF) (*sys.FD, []string, error) {
	if pb == nil {
		return loadWithLog(attr, opts)
	}
	btfFD, err := loadProgBTF(attr, pb)
	if err != nil {
		// The kernel refuses our BTF (or has no BTF at all): load without.
		clearProgBTF(attr)
		return loadWithLog(attr, opts)
	}
	fd, log, err := loadWithLog(attr, opts)
	btfFD.Close()
	if err == nil || !btfRelated(log) {
		return fd, log, err
	}
	clearProgBTF(attr)
	fd2, log2, err2 := loadWithLog(attr, opts)
	if err2 == nil {
		return fd2, log2, nil
	}
	return nil, log, err
}

// kernelSpec is the running kernel's BTF, parsed once per process.
var kernelSpec = sync.OnceValues(btf.LoadKernelSpec)

// resolveKfunc is the default kfunc resolver: the FUNC of that name in vmlinux BTF.
func resolveKfunc(name string) (int32, int16, error) {
	spec, err := kernelSpec()
	if err != nil {
		return 0, 0, fmt.Errorf("kfunc %q: %w", name, err)
	}
	id, _, err := spec.TypeByName(name, btf.KindFunc)
	if err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			err = fmt.Errorf("%w: %w", asm.ErrKernelSymbolNotFound, err)
		}
		return 0, 0, fmt.Errorf("kfunc %q: not a function in the kernel's BTF (vmlinux): %w", name, err)
	}
	return int32(id), 0, nil
}

// resolveKsym is the default [ProgramOptions.KsymID]: the variable name in vmlinux BTF.
func resolveKsym(name string) (int32, int32, error) {
	spec, err := kernelSpec()
	if err != nil {
		return 0, 0, fmt.Errorf("kernel variable %q: %w", name, err)
	}
	id, _, err := spec.TypeByName(name, btf.KindVar)
	if err != nil {
		if errors.Is(err, btf.ErrNotFound) {
			err = fmt.Errorf("%w: %w", asm.ErrKernelSymbolNotFound, err)
		}
		return 0, 0, fmt.Errorf("kernel variable %q: not a variable in the kernel's BTF (vmlinux describes per-CPU variables only): %w", name, err)
	}
	return int32(id), 0, nil
}

// resolveAttachTo returns the attach_btf_id (and the expected attach type, which struct_ops
// programs use for the member index) that spec.AttachTo names in the kernel's BTF:
//
//   - Tracing with AttachTraceRawTp (tp_btf): the typedef btf_trace_<AttachTo>;
//   - Tracing with AttachTraceIter: the function bpf_iter_<AttachTo>;
//   - other Tracing (fentry, fexit, fmod_ret): the kernel function AttachTo;
//   - LSM: the function bpf_lsm_<AttachTo>;
//   - StructOps: "type:member", the struct (e.g. tcp_congestion_ops) and the member whose
//     index becomes the expected attach type;
//   - Extension (freplace), and Tracing with an AttachTarget (fentry/fexit on a BPF
//     program): the function of that name in the target program's BTF.
//
// Names already carrying the prefix are accepted as they are.
func resolveAttachTo(spec *ProgramSpec) (uint32, AttachType, error) {
	at := spec.AttachType
	if spec.AttachBTFID != 0 || spec.AttachTo == "" {
		return spec.AttachBTFID, at, nil
	}
	if spec.AttachTarget != nil {
		switch spec.Type {
		case Extension, Tracing:
			return resolveInProgram(spec.AttachTarget, spec.AttachTo, at)
		}
		return 0, at, nil
	}
	var name string
	kind := btf.KindFunc
	switch spec.Type {
	case Tracing:
		switch at {
		case AttachTraceRawTp:
			name, kind = withPrefix("btf_trace_", spec.AttachTo), btf.KindTypedef
		case AttachTraceIter:
			name = withPrefix("bpf_iter_", spec.AttachTo)
		case AttachTraceFEntry, AttachTraceFExit, AttachModifyReturn:
			name = spec.AttachTo
		default:
			return 0, at, fmt.Errorf("attach target %q: a tracing program needs AttachType AttachTraceFEntry, AttachTraceFExit, AttachModifyReturn, AttachTraceRawTp or AttachTraceIter to resolve it (or an AttachBTFID)", spec.AttachTo)
		}
	case LSM:
		name = withPrefix("bpf_lsm_", spec.AttachTo)
	case StructOps:
		return resolveStructOps(spec.AttachTo)
	case Extension:
		return 0, at, fmt.Errorf("attach target %q: an extension program needs AttachTarget, the program whose function it replaces", spec.AttachTo)
	default:
		return 0, at, nil // informational for other program types
	}
	ks, err := kernelSpec()
	if err != nil {
		return 0, at, fmt.Errorf("attach target %q: %w", spec.AttachTo, err)
	}
	id, _, err := ks.TypeByName(name, kind)
	if err != nil {
		return 0, at, fmt.Errorf("attach target %q: no %s %s in the kernel's BTF: %w", spec.AttachTo, strings.ToLower(kind.String()), name, err)
	}
	return uint32(id), at, nil
}

func withPrefix(prefix, name string) string {
	if strings.HasPrefix(name, prefix) {
		return name
	}
	return prefix + name
}

// resolveStructOps resolves "type:member" for a struct_ops program.
func resolveStructOps(target string) (uint32, AttachType, error) {
	typ, member, ok := strings.Cut(target, ":")
	if !ok || typ == "" || member == "" {
		return 0, 0, fmt.Errorf("attach target %q: struct_ops programs name \"type:member\", e.g. \"tcp_congestion_ops:ssthresh\"", target)
	}
	ks, err := kernelSpec()
	if err != nil {
		return 0, 0, fmt.Errorf("attach target %q: %w", target, err)
	}
	id, st, err := btf.Find[*btf.Struct](ks, typ)
	if err != nil {
		return 0, 0, fmt.Errorf("attach target %q: %w", target, err)
	}
	for i, m := range st.Members {
		if m.Name == member {
			return uint32(id), AttachType(i), nil
		}
	}
	return 0, 0, fmt.Errorf("attach target %q: struct %s has no member %s", target, typ, member)
}

// resolveInProgram finds the function name in the BTF of the loaded program target.
func resolveInProgram(target *Program, name string, at AttachType) (uint32, AttachType, error) {
	info, err := target.Info()
	if err != nil {
		return 0, at, fmt.Errorf("attach target %q: %w", name, err)
	}
	if info.BTFID == 0 {
		return 0, at, fmt.Errorf("attach target %q: program %q has no BTF", name, target.Name())
	}
	h, err := NewBTFFromID(BTFID(info.BTFID))
	if err != nil {
		return 0, at, fmt.Errorf("attach target %q: %w", name, err)
	}
	defer h.Close()
	spec, err := h.Spec(nil)
	if err != nil {
		return 0, at, fmt.Errorf("attach target %q: %w", name, err)
	}
	id, _, err := spec.TypeByName(name, btf.KindFunc)
	if err != nil {
		return 0, at, fmt.Errorf("attach target %q: no function of that name in program %q's BTF: %w", name, target.Name(), err)
	}
	return uint32(id), at, nil
}

// ProgramFunc is one function of a loaded program, from the kernel's func_info.
type ProgramFunc struct {
	// Insn is the function's first instruction slot in the translated program (the kernel
	// may have inlined helpers before it, so it can differ from the loaded slot).
	Insn int
	// Name is the function's name in the program's BTF: for programs built with asm, the
	// program's name for the entry and the (sanitised) label of every called function.
	Name string
}

// Functions returns the program's functions as the kernel records them (func_info and the
// program's BTF, as `bpftool prog dump xlated` shows them), or nil for a program loaded
// without BTF. Requires Linux 5.0.
func (p *Program) Functions() ([]ProgramFunc, error) {
	var info sys.ProgInfo
	if err := sys.ObjInfo(p.fd, &info); err != nil {
		return nil, fmt.Errorf("program %q: functions: %w", p.name, err)
	}
	if info.BTFID == 0 || info.NrFuncInfo == 0 {
		return nil, nil
	}
	buf := make([]byte, int(info.NrFuncInfo)*btf.FuncInfoRecSize)
	second := sys.ProgInfo{NrFuncInfo: info.NrFuncInfo, FuncInfoRecSize: btf.FuncInfoRecSize, FuncInfo: sys.NewSlicePointer(buf)}
	if err := sys.ObjInfo(p.fd, &second); err != nil {
		return nil, fmt.Errorf("program %q: functions: %w", p.name, err)
	}
	h, err := NewBTFFromID(BTFID(info.BTFID))
	if err != nil {
		return nil, fmt.Errorf("program %q: functions: %w", p.name, err)
	}
	defer h.Close()
	spec, err := h.Spec(nil)
	if err != nil {
		return nil, fmt.Errorf("program %q: functions: %w", p.name, err)
	}
	n := min(int(info.NrFuncInfo), int(second.NrFuncInfo))
	funcs := make([]ProgramFunc, 0, n)
	for i := range n {
		rec := buf[i*btf.FuncInfoRecSize:]
		name, err := spec.NameOf(btf.TypeID(binary.NativeEndian.Uint32(rec[4:])))
		if err != nil {
			return nil, fmt.Errorf("program %q: functions: %w", p.name, err)
		}
		funcs = append(funcs, ProgramFunc{Insn: int(binary.NativeEndian.Uint32(rec)), Name: name})
	}
	return funcs, nil
}
