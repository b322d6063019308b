package asm

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpfgo/bpf/internal/elfsec"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts encodes back to the
// same bytes, in both byte orders, and prints.
func FuzzDecode(f *testing.F) {
	for _, tc := range opcodeTable {
		b, _ := hex.DecodeString(tc.hex)
		f.Add(b)
	}
	objs, _ := filepath.Glob("testdata/*.o")
	for _, path := range objs {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		ef, err := elfsec.OpenBytes(data)
		if err != nil {
			f.Fatal(err)
		}
		for _, sec := range ef.Sections {
			if sec.Flags&elf.SHF_EXECINSTR != 0 && sec.Type == elf.SHT_PROGBITS {
				if b, err := elfsec.SectionData(sec); err == nil && len(b) > 0 {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			insns, err := Decode(b, bo)
			if err != nil {
				continue
			}
			again, err := insns.AppendEncode(nil, &EncodeOptions{ByteOrder: bo})
			if err != nil {
				t.Fatalf("%v: re-encode: %v", bo, err)
			}
			if !bytes.Equal(again, b) {
				t.Fatalf("%v: re-encoded\n%x\nwant\n%x", bo, again, b)
			}
			for _, ins := range insns {
				_ = ins.String()
			}
			_ = insns.String()
		}
	})
}
