package asm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// opcodeTable is every instruction form with its exact little-endian encoding (hex, as
// llvm-objdump shows it) and its text.
var opcodeTable = []struct {
	ins  Instruction
	hex  string
	text string
}{
	// ALU64, immediate
	{AddImm(R1, 7), "0701000007000000", "r1 += 0x7"},
	{SubImm(R1, 7), "1701000007000000", "r1 -= 0x7"},
	{MulImm(R1, 7), "2701000007000000", "r1 *= 0x7"},
	{DivImm(R1, 7), "3701000007000000", "r1 /= 0x7"},
	{OrImm(R1, 7), "4701000007000000", "r1 |= 0x7"},
	{AndImm(R1, -256), "5701000000ffffff", "r1 &= -0x100"},
	{LshImm(R1, 7), "6701000007000000", "r1 <<= 0x7"},
	{RshImm(R1, 7), "7701000007000000", "r1 >>= 0x7"},
	{Neg(R3), "8703000000000000", "r3 = -r3"},
	{ModImm(R1, 7), "9701000007000000", "r1 %= 0x7"},
	{XorImm(R1, 7), "a701000007000000", "r1 ^= 0x7"},
	{MovImm(R1, -1), "b7010000ffffffff", "r1 = -0x1"},
	{ArshImm(R1, 63), "c70100003f000000", "r1 s>>= 0x3f"},
	{SDivImm(R1, -3), "37010100fdffffff", "r1 s/= -0x3"},
	{SModImm(R1, 3), "9701010003000000", "r1 s%= 0x3"},
	{ALU64Imm(Xor, R9, 1), "a709000001000000", "r9 ^= 0x1"},
	// ALU64, register
	{AddReg(R1, R2), "0f21000000000000", "r1 += r2"},
	{SubReg(R1, R2), "1f21000000000000", "r1 -= r2"},
	{MulReg(R1, R2), "2f21000000000000", "r1 *= r2"},
	{DivReg(R1, R2), "3f21000000000000", "r1 /= r2"},
	{OrReg(R1, R2), "4f21000000000000", "r1 |= r2"},
	{AndReg(R1, R2), "5f21000000000000", "r1 &= r2"},
	{LshReg(R1, R2), "6f21000000000000", "r1 <<= r2"},
	{RshReg(R1, R2), "7f21000000000000", "r1 >>= r2"},
	{ModReg(R1, R2), "9f21000000000000", "r1 %= r2"},
	{XorReg(R1, R2), "af21000000000000", "r1 ^= r2"},
	{MovReg(R1, R10), "bfa1000000000000", "r1 = r10"},
	{ArshReg(R1, R2), "cf21000000000000", "r1 s>>= r2"},
	{SDivReg(R1, R2), "3f21010000000000", "r1 s/= r2"},
	{SModReg(R1, R2), "9f21010000000000", "r1 s%= r2"},
	{MovSX(R1, R2, 8), "bf21080000000000", "r1 = (s8)r2"},
	{MovSX(R1, R2, 16), "bf21100000000000", "r1 = (s16)r2"},
	{MovSX(R1, R2, 32), "bf21200000000000", "r1 = (s32)r2"},
	{ALU64Reg(SDiv, R4, R5), "3f54010000000000", "r4 s/= r5"},
	// ALU32
	{Add32Imm(R1, 7), "0401000007000000", "w1 += 0x7"},
	{Sub32Imm(R1, 7), "1401000007000000", "w1 -= 0x7"},
	{Mul32Imm(R1, 7), "2401000007000000", "w1 *= 0x7"},
	{Div32Imm(R1, 7), "3401000007000000", "w1 /= 0x7"},
	{Or32Imm(R1, 7), "4401000007000000", "w1 |= 0x7"},
	{And32Imm(R1, 7), "5401000007000000", "w1 &= 0x7"},
	{Lsh32Imm(R1, 7), "6401000007000000", "w1 <<= 0x7"},
	{Rsh32Imm(R1, 7), "7401000007000000", "w1 >>= 0x7"},
	{Neg32(R3), "8403000000000000", "w3 = -w3"},
	{Mod32Imm(R1, 7), "9401000007000000", "w1 %= 0x7"},
	{Xor32Imm(R1, 7), "a401000007000000", "w1 ^= 0x7"},
	{Mov32Imm(R1, 7), "b401000007000000", "w1 = 0x7"},
	{Arsh32Imm(R1, 7), "c401000007000000", "w1 s>>= 0x7"},
	{SDiv32Imm(R1, 7), "3401010007000000", "w1 s/= 0x7"},
	{SMod32Imm(R1, 7), "9401010007000000", "w1 s%= 0x7"},
	{Add32Reg(R1, R2), "0c21000000000000", "w1 += w2"},
	{Sub32Reg(R1, R2), "1c21000000000000", "w1 -= w2"},
	{Mul32Reg(R1, R2), "2c21000000000000", "w1 *= w2"},
	{Div32Reg(R1, R2), "3c21000000000000", "w1 /= w2"},
	{Or32Reg(R1, R2), "4c21000000000000", "w1 |= w2"},
	{And32Reg(R1, R2), "5c21000000000000", "w1 &= w2"},
	{Lsh32Reg(R1, R2), "6c21000000000000", "w1 <<= w2"},
	{Rsh32Reg(R1, R2), "7c21000000000000", "w1 >>= w2"},
	{Mod32Reg(R1, R2), "9c21000000000000", "w1 %= w2"},
	{Xor32Reg(R1, R2), "ac21000000000000", "w1 ^= w2"},
	{Mov32Reg(R1, R2), "bc21000000000000", "w1 = w2"},
	{Arsh32Reg(R1, R2), "cc21000000000000", "w1 s>>= w2"},
	{SDiv32Reg(R1, R2), "3c21010000000000", "w1 s/= w2"},
	{SMod32Reg(R1, R2), "9c21010000000000", "w1 s%= w2"},
	{Mov32SX(R1, R2, 8), "bc21080000000000", "w1 = (s8)w2"},
	{Mov32SX(R1, R2, 16), "bc21100000000000", "w1 = (s16)w2"},
	{ALU32Imm(Lsh, R0, 3), "6400000003000000", "w0 <<= 0x3"},
	{ALU32Reg(Arsh, R0, R9), "cc90000000000000", "w0 s>>= w9"},
	// byte swaps
	{ToLE(R0, 16), "d400000010000000", "r0 = le16 r0"},
	{ToLE(R0, 32), "d400000020000000", "r0 = le32 r0"},
	{ToLE(R0, 64), "d400000040000000", "r0 = le64 r0"},
	{ToBE(R0, 16), "dc00000010000000", "r0 = be16 r0"},
	{ToBE(R0, 32), "dc00000020000000", "r0 = be32 r0"},
	{ToBE(R0, 64), "dc00000040000000", "r0 = be64 r0"},
	{BSwap(R7, 16), "d707000010000000", "r7 = bswap16 r7"},
	{BSwap(R7, 32), "d707000020000000", "r7 = bswap32 r7"},
	{BSwap(R7, 64), "d707000040000000", "r7 = bswap64 r7"},
	// jumps
	{JaOff(1), "0500010000000000", "goto +0x1"},
	{JaOff(-32768), "0500008000000000", "goto -0x8000"},
	{GotolOff(100000), "06000000a0860100", "gotol +0x186a0"},
	{GotolOff(-2), "06000000feffffff", "gotol -0x2"},
	{MayGotoOff(3), "e500030000000000", "may_goto +0x3"},
	{JmpImmOff(JEQ, R1, -3, -1), "1501fffffdffffff", "if r1 == -0x3 goto -0x1"},
	{JmpImmOff(JGT, R1, 3, 1), "2501010003000000", "if r1 > 0x3 goto +0x1"},
	{JmpImmOff(JGE, R1, 3, 1), "3501010003000000", "if r1 >= 0x3 goto +0x1"},
	{JmpImmOff(JSET, R1, 3, 1), "4501010003000000", "if r1 & 0x3 goto +0x1"},
	{JmpImmOff(JNE, R1, 3, 1), "5501010003000000", "if r1 != 0x3 goto +0x1"},
	{JmpImmOff(JSGT, R1, 3, 1), "6501010003000000", "if r1 s> 0x3 goto +0x1"},
	{JmpImmOff(JSGE, R1, 3, 1), "7501010003000000", "if r1 s>= 0x3 goto +0x1"},
	{JmpImmOff(JLT, R1, 3, 1), "a501010003000000", "if r1 < 0x3 goto +0x1"},
	{JmpImmOff(JLE, R1, 3, 1), "b501010003000000", "if r1 <= 0x3 goto +0x1"},
	{JmpImmOff(JSLT, R1, 3, 1), "c501010003000000", "if r1 s< 0x3 goto +0x1"},
	{JmpImmOff(JSLE, R1, 3, 1), "d501010003000000", "if r1 s<= 0x3 goto +0x1"},
	{JmpRegOff(JEQ, R1, R2, 1), "1d21010000000000", "if r1 == r2 goto +0x1"},
	{JmpRegOff(JGT, R1, R2, 1), "2d21010000000000", "if r1 > r2 goto +0x1"},
	{JmpRegOff(JGE, R1, R2, 1), "3d21010000000000", "if r1 >= r2 goto +0x1"},
	{JmpRegOff(JSET, R1, R2, 1), "4d21010000000000", "if r1 & r2 goto +0x1"},
	{JmpRegOff(JNE, R1, R2, 1), "5d21010000000000", "if r1 != r2 goto +0x1"},
	{JmpRegOff(JSGT, R1, R2, 1), "6d21010000000000", "if r1 s> r2 goto +0x1"},
	{JmpRegOff(JSGE, R1, R2, 1), "7d21010000000000", "if r1 s>= r2 goto +0x1"},
	{JmpRegOff(JLT, R1, R2, 1), "ad21010000000000", "if r1 < r2 goto +0x1"},
	{JmpRegOff(JLE, R1, R2, 1), "bd21010000000000", "if r1 <= r2 goto +0x1"},
	{JmpRegOff(JSLT, R1, R2, 1), "cd21010000000000", "if r1 s< r2 goto +0x1"},
	{JmpRegOff(JSLE, R1, R2, 1), "dd21010000000000", "if r1 s<= r2 goto +0x1"},
	{Jmp32ImmOff(JEQ, R1, 3, 1), "1601010003000000", "if w1 == 0x3 goto +0x1"},
	{Jmp32ImmOff(JSET, R1, 3, 1), "4601010003000000", "if w1 & 0x3 goto +0x1"},
	{Jmp32ImmOff(JSLE, R1, -3, 1), "d6010100fdffffff", "if w1 s<= -0x3 goto +0x1"},
	{Jmp32RegOff(JNE, R1, R2, 1), "5e21010000000000", "if w1 != w2 goto +0x1"},
	{Jmp32RegOff(JLT, R1, R2, -4), "ae21fcff00000000", "if w1 < w2 goto -0x4"},
	{Call(FnMapLookupElem), "8500000001000000", "call 0x1"},
	{CallOff(5), "8510000005000000", "call 0x5"},
	{CallKfunc(1234), "85200000d2040000", "call 0x4d2"},
	{Exit(), "9500000000000000", "exit"},
	// loads and stores
	{Ldx(B, R0, R1, 1), "7110010000000000", "r0 = *(u8 *)(r1 + 0x1)"},
	{Ldx(H, R0, R1, -2), "6910feff00000000", "r0 = *(u16 *)(r1 - 0x2)"},
	{Ldx(W, R0, R1, 4), "6110040000000000", "r0 = *(u32 *)(r1 + 0x4)"},
	{Ldx(DW, R0, R1, -32768), "7910008000000000", "r0 = *(u64 *)(r1 - 0x8000)"},
	{LdxSX(B, R0, R1, 1), "9110010000000000", "r0 = *(s8 *)(r1 + 0x1)"},
	{LdxSX(H, R0, R1, 2), "8910020000000000", "r0 = *(s16 *)(r1 + 0x2)"},
	{LdxSX(W, R0, R1, 4), "8110040000000000", "r0 = *(s32 *)(r1 + 0x4)"},
	{Stx(B, R10, R2, -1), "732affff00000000", "*(u8 *)(r10 - 0x1) = r2"},
	{Stx(H, R10, R2, -2), "6b2afeff00000000", "*(u16 *)(r10 - 0x2) = r2"},
	{Stx(W, R10, R2, -4), "632afcff00000000", "*(u32 *)(r10 - 0x4) = r2"},
	{Stx(DW, R10, R2, -8), "7b2af8ff00000000", "*(u64 *)(r10 - 0x8) = r2"},
	{St(B, R10, -1, 1), "720affff01000000", "*(u8 *)(r10 - 0x1) = 0x1"},
	{St(H, R10, -2, -2), "6a0afefffeffffff", "*(u16 *)(r10 - 0x2) = -0x2"},
	{St(W, R10, -4, 3), "620afcff03000000", "*(u32 *)(r10 - 0x4) = 0x3"},
	{St(DW, R10, -8, -4), "7a0af8fffcffffff", "*(u64 *)(r10 - 0x8) = -0x4"},
	{LdAbs(B, 12), "300000000c000000", "r0 = *(u8 *)skb[0xc]"},
	{LdAbs(H, 12), "280000000c000000", "r0 = *(u16 *)skb[0xc]"},
	{LdAbs(W, 14), "200000000e000000", "r0 = *(u32 *)skb[0xe]"},
	{LdInd(B, R6, 0), "5060000000000000", "r0 = *(u8 *)skb[r6]"},
	{LdInd(H, R6, 0), "4860000000000000", "r0 = *(u16 *)skb[r6]"},
	{LdInd(W, R6, 8), "4060000008000000", "r0 = *(u32 *)skb[r6 + 0x8]"},
	// atomics
	{AtomicAddReg(DW, R1, R2, 8), "db21080000000000", "lock *(u64 *)(r1 + 0x8) += r2"},
	{AtomicOrReg(DW, R1, R2, 8), "db21080040000000", "lock *(u64 *)(r1 + 0x8) |= r2"},
	{AtomicAndReg(DW, R1, R2, 8), "db21080050000000", "lock *(u64 *)(r1 + 0x8) &= r2"},
	{AtomicXorReg(DW, R1, R2, 8), "db210800a0000000", "lock *(u64 *)(r1 + 0x8) ^= r2"},
	{AtomicFetchAdd(DW, R1, R2, 8), "db21080001000000", "r2 = atomic_fetch_add((u64 *)(r1 + 0x8), r2)"},
	{AtomicFetchOr(DW, R1, R2, 8), "db21080041000000", "r2 = atomic_fetch_or((u64 *)(r1 + 0x8), r2)"},
	{AtomicFetchAnd(DW, R1, R2, 8), "db21080051000000", "r2 = atomic_fetch_and((u64 *)(r1 + 0x8), r2)"},
	{AtomicFetchXor(DW, R1, R2, 8), "db210800a1000000", "r2 = atomic_fetch_xor((u64 *)(r1 + 0x8), r2)"},
	{Xchg(DW, R1, R2, 8), "db210800e1000000", "r2 = xchg_64(r1 + 0x8, r2)"},
	{CmpXchg(DW, R1, R2, 8), "db210800f1000000", "r0 = cmpxchg_64(r1 + 0x8, r0, r2)"},
	{AtomicAddReg(W, R1, R2, 4), "c321040000000000", "lock *(u32 *)(r1 + 0x4) += r2"},
	{AtomicOrReg(W, R1, R2, 4), "c321040040000000", "lock *(u32 *)(r1 + 0x4) |= w2"},
	{AtomicAndReg(W, R1, R2, 4), "c321040050000000", "lock *(u32 *)(r1 + 0x4) &= w2"},
	{AtomicXorReg(W, R1, R2, 4), "c3210400a0000000", "lock *(u32 *)(r1 + 0x4) ^= w2"},
	{AtomicFetchAdd(W, R1, R2, 4), "c321040001000000", "w2 = atomic_fetch_add((u32 *)(r1 + 0x4), w2)"},
	{AtomicFetchOr(W, R1, R2, 4), "c321040041000000", "w2 = atomic_fetch_or((u32 *)(r1 + 0x4), w2)"},
	{AtomicFetchAnd(W, R1, R2, 4), "c321040051000000", "w2 = atomic_fetch_and((u32 *)(r1 + 0x4), w2)"},
	{AtomicFetchXor(W, R1, R2, 4), "c3210400a1000000", "w2 = atomic_fetch_xor((u32 *)(r1 + 0x4), w2)"},
	{Xchg(W, R1, R2, 4), "c3210400e1000000", "w2 = xchg32_32(r1 + 0x4, w2)"},
	{CmpXchg(W, R1, R2, 4), "c3210400f1000000", "w0 = cmpxchg32_32(r1 + 0x4, w0, w2)"},
	{Atomic(AtomicXor|AtomicFetch, DW, R3, R4, 0), "db430000a1000000", "r4 = atomic_fetch_xor((u64 *)(r3 + 0x0), r4)"},
	{LoadAcquire(DW, R1, R2, 0), "db21000000010000", "r1 = load_acquire((u64 *)(r2 + 0x0))"},
	{LoadAcquire(B, R1, R2, 4), "d321040000010000", "w1 = load_acquire((u8 *)(r2 + 0x4))"},
	{LoadAcquire(H, R1, R2, 4), "cb21040000010000", "w1 = load_acquire((u16 *)(r2 + 0x4))"},
	{LoadAcquire(W, R1, R2, 4), "c321040000010000", "w1 = load_acquire((u32 *)(r2 + 0x4))"},
	{StoreRelease(H, R1, R2, -8), "cb21f8ff10010000", "store_release((u16 *)(r1 - 0x8), w2)"},
	{StoreRelease(DW, R1, R2, 0), "db21000010010000", "store_release((u64 *)(r1 + 0x0), r2)"},
	// 64-bit immediates (two slots)
	{LoadImm64(R1, 0x1234), "18010000341200000000000000000000", "r1 = 0x1234 ll"},
	{LoadImm64(R1, -1), "18010000ffffffff00000000ffffffff", "r1 = -0x1 ll"},
	{LoadImm64(R2, -1<<63), "18020000000000000000000000000080", "r2 = -0x8000000000000000 ll"},
	{LoadMapByIndex(R5, 2), "18550000020000000000000000000000", "ld_pseudo r5, 0x5, 0x2"},
	{LoadMapValueByIndex(R6, 2, 8), "18660000020000000000000008000000", "ld_pseudo r6, 0x6, 0x2, 0x8"},
	{LoadBTFID(R3, 0xabcd), "18330000cdab00000000000000000000", "ld_pseudo r3, 0x3, 0xabcd"},
}

func TestOpcodeTable(t *testing.T) {
	for _, tc := range opcodeTable {
		want, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		got, err := Instructions{tc.ins}.AppendEncode(nil, &EncodeOptions{ByteOrder: binary.LittleEndian})
		if err != nil {
			t.Errorf("%s: encode: %v", tc.text, err)
			continue
		}
		if hex.EncodeToString(got) != tc.hex {
			t.Errorf("%s: encoded %x, want %s", tc.text, got, tc.hex)
		}
		if s := tc.ins.String(); s != tc.text {
			t.Errorf("%x: text %q, want %q", got, s, tc.text)
		}
		dec, err := Decode(want, binary.LittleEndian)
		if err != nil {
			t.Errorf("%s: decode: %v", tc.text, err)
			continue
		}
		if len(dec) != 1 || !sameEncoding(dec[0], tc.ins) {
			t.Errorf("%s: decoded %#v, want %#v", tc.text, dec, tc.ins)
		}
	}
}

// sameEncoding compares the fields that bytes carry.
func sameEncoding(a, b Instruction) bool {
	return a.OpCode == b.OpCode && a.Dst == b.Dst && a.Src == b.Src && a.Offset == b.Offset && a.Constant == b.Constant
}

// TestRoundTrip encodes the whole table in both byte orders and decodes it back.
func TestRoundTrip(t *testing.T) {
	var insns Instructions
	for _, tc := range opcodeTable {
		insns = append(insns, tc.ins)
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian, nil} {
		b, err := insns.AppendEncode(nil, &EncodeOptions{ByteOrder: bo})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := Decode(b, bo)
		if err != nil {
			t.Fatalf("%v: %v", bo, err)
		}
		if len(dec) != len(insns) {
			t.Fatalf("%v: decoded %d instructions, want %d", bo, len(dec), len(insns))
		}
		for i := range dec {
			if !sameEncoding(dec[i], insns[i]) {
				t.Errorf("%v: %d: decoded %v, want %v", bo, i, dec[i], insns[i])
			}
		}
	}
	if bo := binary.ByteOrder(binary.BigEndian); true {
		b, _ := Instructions{MovReg(R1, R2)}.AppendEncode(nil, &EncodeOptions{ByteOrder: bo})
		if b[1] != 0x12 {
			t.Errorf("big endian registers byte %#x, want dst in the high nibble (0x12)", b[1])
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		hex  string
		slot int
		want string
	}{
		{"0701000007000000ff", 1, "not a multiple of 8"},
		{"b700000000000000" + "ff00000000000000", 1, "unknown"},
		{"1801000000000000", 0, "without its second slot"},
		{"18010000000000000100000000000000", 1, "second slot"},
		{"0711000000000000", 0, "source register"},
		{"0701010000000000", 0, "offset"},
		{"bf21070000000000", 0, "sign-extension width"},
		{"bc21200000000000", 0, "32-bit movsx"},
		{"d700000010000000" + "dc00000011000000", 1, "byte swap width"},
		{"df00000010000000", 0, "bswap"},
		{"9500000001000000", 0, "exit takes no operands"},
		{"8530000001000000", 0, "call kind"},
		{"9600000000000000", 0, "exit takes no operands"},
		{"7b2af8ff01000000", 0, "reserved immediate"},
		{"d321040000000000", 0, "1 or 2 bytes"},
		{"db21040002000000", 0, "unknown atomic"},
		{"0fc2000000000000", 0, "invalid source register 12"},
		{"0f0b000000000000", 0, "invalid destination register 11"},
		{"9910000000000000", 0, "sign-extending load of 8 bytes"},
		{"f500000000000000", 0, "unknown jump operation"},
		{"0600010000000000", 0, "reserved offset of gotol"},
		{"3800000000000000", 0, "8 bytes"},
		{"0000000000000000", 0, "must be 8 bytes wide"},
		{"1871000000000000" + "0000000000000000", 0, "unknown pseudo source 7"},
	} {
		b, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatalf("%s: %v", tc.hex, err)
		}
		_, err = Decode(b, binary.LittleEndian)
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrInvalidInstruction) {
			t.Errorf("%s: error %v, want a *DecodeError", tc.hex, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || de.Slot != tc.slot {
			t.Errorf("%s: error %q (slot %d), want %q at slot %d", tc.hex, err, de.Slot, tc.want, tc.slot)
		}
	}
}

func ExampleDecode_error() {
	_, err := Decode([]byte{0x95, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0}, binary.LittleEndian)
	fmt.Println(err)
	// Output: asm: decode: slot 1: opcode 0xff: unknown alu operation
}

// TestEncodeKsym resolves a kernel variable load by name through KsymID: the BTF id goes into
// the first slot's immediate, the BTF object's fd into the second's; a resolver error names the
// instruction; without a resolver both stay zero.
func TestEncodeKsym(t *testing.T) {
	insns := Instructions{LoadKsym(R1, "runqueues"), Exit()}
	b, err := insns.AppendEncode(nil, &EncodeOptions{KsymID: func(name string) (int32, int32, error) {
		if name != "runqueues" {
			t.Errorf("resolver asked for %q", name)
		}
		return 10671, 7, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x18, 0x31, 0, 0, 0xaf, 0x29, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(b, want) {
		t.Errorf("encoded\n% x\nwant\n% x", b, want)
	}
	if b, err = insns.Encode(); err != nil || binary.LittleEndian.Uint32(b[4:]) != 0 || binary.LittleEndian.Uint32(b[12:]) != 0 {
		t.Errorf("without a resolver: % x, %v", b, err)
	}
	_, err = insns.AppendEncode(nil, &EncodeOptions{KsymID: func(string) (int32, int32, error) {
		return 0, 0, errors.New("no such variable")
	}})
	if err == nil || !strings.Contains(err.Error(), "no such variable") || !strings.Contains(err.Error(), "encode_test.go") {
		t.Errorf("resolver error: %v, want it with the instruction's position", err)
	}
	if got := string(insns[0].AppendText(nil, &FormatOptions{References: true})); got != "r1 = <runqueues> ll" {
		t.Errorf("format: %q", got)
	}
}

// TestEncodeWeak encodes weak kernel symbol references with a resolver that knows only "have":
// a weak call of a missing kfunc becomes a call of PoisonedKfunc, a weak load of a missing
// variable a NULL constant, LoadKfuncExists 1 or 0; a missing symbol that is not weak, or any
// other resolver error, fails with the instruction's position.
func TestEncodeWeak(t *testing.T) {
	notFound := fmt.Errorf("%w: gone", ErrKernelSymbolNotFound)
	opts := &EncodeOptions{
		KfuncID: func(name string) (int32, int16, error) {
			if name == "have" {
				return 77, 0, nil
			}
			return 0, 0, notFound
		},
		KsymID: func(name string) (int32, int32, error) { return 0, 0, notFound },
	}
	insns := Instructions{
		CallKfuncByName("gone").Weak(),
		CallKfuncByName("have").Weak(),
		LoadKfuncExists(R1, "have"),
		LoadKfuncExists(R2, "gone"),
		LoadKsym(R3, "gone").Weak(),
		Exit(),
	}
	b, err := insns.AppendEncode(nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decode(b, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"call 0x7fff0000", "call 0x4d", "r1 = 0x1 ll", "r2 = 0x0 ll", "r3 = 0x0 ll", "exit"}
	for i, ins := range dec {
		if got := string(ins.AppendText(nil, nil)); got != want[i] {
			t.Errorf("instruction %d: %q, want %q", i, got, want[i])
		}
	}
	if dec[0].IsKfuncCall() || !dec[1].IsKfuncCall() {
		t.Errorf("calls decoded as %v and %v: want a helper call, then a kfunc call", dec[0], dec[1])
	}
	for _, bad := range []Instruction{CallKfuncByName("gone"), LoadKsym(R1, "gone")} {
		_, err := Instructions{bad, Exit()}.AppendEncode(nil, opts)
		if !errors.Is(err, ErrKernelSymbolNotFound) || !strings.Contains(err.Error(), "encode_test.go") {
			t.Errorf("%v, not weak: %v, want the resolver's error at its position", bad, err)
		}
	}
	other := &EncodeOptions{KfuncID: func(string) (int32, int16, error) { return 0, 0, errors.New("no BTF") }}
	if _, err := (Instructions{LoadKfuncExists(R1, "x"), Exit()}).AppendEncode(nil, other); err == nil || !strings.Contains(err.Error(), "no BTF") {
		t.Errorf("LoadKfuncExists with a broken resolver: %v, want its error", err)
	}
}
