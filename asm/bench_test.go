package asm

import (
	"io"
	"strconv"
	"testing"
)

// BenchmarkAssembleMillion builds and encodes a 1,000,000-instruction program with a label every
// 8 instructions and a jump to each label, source positions included (issue 3's target: at most
// 100 ns and under 1 allocation per instruction).
func BenchmarkAssembleMillion(b *testing.B) {
	const n = 1_000_000
	names := make([]string, n/8)
	for i := range names {
		names[i] = "l" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		insns := make(Instructions, 0, n+n/8)
		for i := 0; i < n/8; i++ {
			insns = append(insns,
				Label(names[i]),
				MovImm(R0, int32(i)),
				AddImm(R0, 1),
				MovReg(R1, R0),
				Ldx(W, R2, R1, 4),
				Stx(DW, R10, R2, -8),
				XorImm(R3, int32(i)),
				OrReg(R3, R4),
				JmpImm(JEQ, R0, 7, names[min(i+1, n/8-1)]),
			)
		}
		if _, err := insns.Encode(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/insn")
}

// BenchmarkDecode decodes the encoding of every instruction form in the opcode table.
func BenchmarkDecode(b *testing.B) {
	insns := make(Instructions, 0, len(opcodeTable))
	for _, tc := range opcodeTable {
		insns = append(insns, tc.ins)
	}
	code, err := insns.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(code)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeNative(code); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFormat prints a listing of every instruction form.
func BenchmarkFormat(b *testing.B) {
	insns := make(Instructions, 0, len(opcodeTable))
	for _, tc := range opcodeTable {
		insns = append(insns, tc.ins)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := insns.Fprint(io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(insns)), "ns/insn")
}
