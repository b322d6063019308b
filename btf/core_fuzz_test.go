package btf

import (
	"strings"
	"testing"

	"github.com/bpfgo/bpf/asm"
)

// FuzzCORE resolves arbitrary relocation records (root type, access string, kind) of
// testdata/core_kernel.o's BTF against testdata/core.o's and writes the result into an
// arbitrary instruction. Nothing may panic; a fixup that is not poisoned and patches without
// error must leave the value in the instruction.
func FuzzCORE(f *testing.F) {
	local, es, insns := loadObject(f, "testdata/core_kernel.o", "raw_tp/sys_enter")
	target, _, _ := loadObject(f, "testdata/core.o", "xdp")
	code, err := insns.Encode()
	if err != nil {
		f.Fatal(err)
	}
	for i, r := range es.CORERelos {
		off := int(r.InsnOff)
		f.Add(uint32(r.TypeID), r.Access, uint32(r.Kind), code[off:off+16], i%2 == 0)
	}
	f.Add(uint32(1), "0:1:2:3:4", uint32(0), code[:16], false)
	f.Fuzz(func(t *testing.T, id uint32, access string, kind uint32, raw []byte, againstSelf bool) {
		tgt := target
		if againstSelf {
			tgt = local
		}
		fx, err := CalcCORE(local, CORERelo{TypeID: TypeID(id), Access: access, Kind: COREReloKind(kind)}, tgt)
		if err != nil {
			return
		}
		ins, err := asm.Decode(raw, nil)
		if err != nil || len(ins) == 0 {
			return
		}
		out, err := fx.Patch(ins[0])
		if err != nil || fx.Poison {
			return
		}
		if len(out) != 1 {
			t.Fatalf("patch of %v gave %v", ins[0], out)
		}
	})
}

// FuzzCOREByName resolves arbitrary named relocations (as the asm.Core* builders record
// them) against testdata/core.o's BTF: no input may panic.
func FuzzCOREByName(f *testing.F) {
	target, _, _ := loadObject(f, "testdata/core.o", "xdp")
	f.Add(uint32(0), "task", "pid")
	f.Add(uint32(0), "struct task", "parent,*,comm,[3]")
	f.Add(uint32(0), "task___x", "fl,e")
	f.Add(uint32(5), "task", "fl,b")
	f.Add(uint32(9), "flags", "")
	f.Add(uint32(11), "enum color", "BLUE")
	f.Add(uint32(7), "typedef u32", "")
	f.Fuzz(func(t *testing.T, kind uint32, typ, path string) {
		var access []string
		if path != "" {
			access = strings.Split(path, ",")
		}
		_, _ = CalcCOREByName(asm.CoreRelo{Kind: asm.CoreKind(kind), Type: typ, Access: access}, target)
	})
}
