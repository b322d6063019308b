// Package ratelimit generates a token-bucket rate limiter inside a BPF program: each key (a
// source address, a flow, any bytes on the stack) gets a bucket in an LRU hash map that refills
// at a constant rate up to a burst, and every packet takes one token or is dropped. It is the
// port of clj-ebpf's rate-limit namespace, with the rate and burst either fixed when the program
// is built ([Check]) or read at run time from an array map that user space writes
// ([CheckConfig], [EncodeConfig], [DisabledConfig]).
//
// # The bucket
//
// A bucket is a [Bucket] value: the tokens, in billionths of a token, and the [clock.Monotonic]
// time of the last refill in nanoseconds. One packet costs [TokenScale] (10^9) units, and the
// refill is elapsed_ns × rate units — exact integer arithmetic with nanosecond precision and no
// division, so no fraction of a token is ever lost however often packets arrive. The elapsed
// time is capped before the multiplication at the time the empty bucket needs to fill
// (burst·10^9/rate + 1 ns), which both protects against overflow after a long idle time and
// lets an idle bucket fill completely (clj-ebpf capped at 10 s and lost the rest). Rates and
// bursts are limited to [MaxRate] and [MaxBurst] so that every product fits in 64 bits.
//
// The bucket update is not atomic: two CPUs limiting the same key at the same instant may both
// take the last token. This errs on the side of passing and stays bounded by one packet per CPU.
//
// A missing bucket is created full and then charged for the packet. When the bucket map cannot
// be updated (it should not: it is an LRU map) or, for [CheckConfig], the configuration cannot be
// found, the packet passes: the limiter fails open.
//
// # The map
//
// The bucket map is a bpf.LRUHash with KeySize = the key slot's Size and ValueSize = 16
// ([BucketSize]); MaxEntries bounds the number of tracked keys, the least recently used being
// evicted. The config map of [CheckConfig] is a bpf.Array with KeySize 4 and ValueSize 16
// ([ConfigSize]).
package ratelimit

import (
	"encoding/binary"
	"fmt"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/clock"
	"github.com/bpfgo/bpf/emit/mapop"
)

const (
	// TokenScale is the number of bucket units one token (one packet) is worth: tokens are
	// counted in billionths, so that a refill of elapsed_ns × rate units is exact.
	TokenScale = 1_000_000_000
	// MaxRate is the largest rate in tokens per second; larger configured rates are clamped.
	MaxRate = 1_000_000_000
	// MaxBurst is the largest burst in tokens; larger configured bursts are clamped.
	MaxBurst = 1_000_000_000
	// BucketSize is the size of a bucket map value ([Bucket]).
	BucketSize = 16
	// ConfigSize is the size of a config map value ([Config]).
	ConfigSize = 16
	// ScratchSize is the stack space Check and CheckConfig need in their scratch slot.
	ScratchSize = 32
)

// Bucket is the value of the bucket map, as the program stores it (host byte order).
type Bucket struct {
	// Tokens is the content of the bucket in billionths of a token ([TokenScale] per token).
	Tokens uint64
	// Last is the bpf_ktime_get_ns time of the last refill (CLOCK_MONOTONIC, nanoseconds).
	Last uint64
}

// MarshalBinary returns the 16-byte bucket map value (host byte order), to preset or reset a
// bucket from user space.
func (b Bucket) MarshalBinary() ([]byte, error) {
	v := binary.NativeEndian.AppendUint64(make([]byte, 0, BucketSize), b.Tokens)
	return binary.NativeEndian.AppendUint64(v, b.Last), nil
}

// UnmarshalBinary decodes a bucket map value read from user space. It fails unless data holds
// exactly [BucketSize] bytes.
func (b *Bucket) UnmarshalBinary(data []byte) error {
	if len(data) != BucketSize {
		return fmt.Errorf("ratelimit: bucket: %d bytes, want %d", len(data), BucketSize)
	}
	b.Tokens = binary.NativeEndian.Uint64(data)
	b.Last = binary.NativeEndian.Uint64(data[8:])
	return nil
}

// Config is the value of the config map of [CheckConfig] (host byte order).
type Config struct {
	// Rate is the refill rate in tokens per second; 0 disables the limiter (every packet
	// passes).
	Rate uint64
	// Burst is the capacity of the bucket in tokens: how many packets pass in a burst after an
	// idle time. 0 with a non-zero rate drops everything.
	Burst uint64
}

// MarshalBinary returns the 16-byte config map value (rate, then burst, as u64 in host byte
// order). It fails when Rate exceeds [MaxRate] or Burst exceeds [MaxBurst].
func (c Config) MarshalBinary() ([]byte, error) {
	if c.Rate > MaxRate {
		return nil, fmt.Errorf("ratelimit: config: rate %d above the maximum %d", c.Rate, MaxRate)
	}
	if c.Burst > MaxBurst {
		return nil, fmt.Errorf("ratelimit: config: burst %d above the maximum %d", c.Burst, MaxBurst)
	}
	b := binary.NativeEndian.AppendUint64(make([]byte, 0, ConfigSize), c.Rate)
	return binary.NativeEndian.AppendUint64(b, c.Burst), nil
}

// UnmarshalBinary decodes a config map value. It fails unless data holds exactly [ConfigSize]
// bytes; values above the maxima are accepted (the program clamps them).
func (c *Config) UnmarshalBinary(data []byte) error {
	if len(data) != ConfigSize {
		return fmt.Errorf("ratelimit: config: %d bytes, want %d", len(data), ConfigSize)
	}
	c.Rate = binary.NativeEndian.Uint64(data)
	c.Burst = binary.NativeEndian.Uint64(data[8:])
	return nil
}

// EncodeConfig returns the config map value for rate tokens per second and a bucket of burst
// tokens (clj-ebpf: encode-rate-limit-config).
func EncodeConfig(rate, burst uint64) ([]byte, error) {
	return Config{Rate: rate, Burst: burst}.MarshalBinary()
}

// DisabledConfig returns the config map value that turns the limiter off: 16 zero bytes, a
// rate of zero (clj-ebpf: rate-disabled-config).
func DisabledConfig() []byte { return make([]byte, ConfigSize) }

// Scratch layout (offsets into the scratch slot).
const (
	scrTokens = 0  // bucket.tokens when a bucket is created; also the config index
	scrNow    = 8  // now, and bucket.last when a bucket is created
	scrRate   = 16 // rate (CheckConfig)
	scrBurst  = 24 // burst (CheckConfig)
)

// source of rate and burst: constants, or loads from the scratch slot.
type params struct {
	rate, burst uint64 // constants, or
	scratch     emit.Slot
	fromStack   bool
}

// loadRate sets dst = rate.
func (p params) loadRate(dst asm.Register) asm.Instruction {
	if p.fromStack {
		return asm.Ldx(asm.DW, dst, asm.R10, p.scratch.At(scrRate))
	}
	return asm.LoadImm64(dst, int64(p.rate))
}

// loadCapacity sets dst = burst × TokenScale: 1 or 2 instructions.
func (p params) loadCapacity(dst asm.Register) asm.Instructions {
	if p.fromStack {
		return asm.Instructions{
			asm.Ldx(asm.DW, dst, asm.R10, p.scratch.At(scrBurst)),
			asm.MulImm(dst, TokenScale),
		}
	}
	return asm.Instructions{asm.LoadImm64(dst, int64(p.burst*TokenScale))}
}

// loadFillTime sets dst = burst × TokenScale / rate + 1, the cap of the elapsed time, given
// capacity (burst × TokenScale) in capReg and the rate in rateReg (rate is not 0).
func (p params) loadFillTime(dst, capReg, rateReg asm.Register) asm.Instructions {
	if p.fromStack {
		return asm.Instructions{
			asm.MovReg(dst, capReg),
			asm.DivReg(dst, rateReg),
			asm.AddImm(dst, 1),
		}
	}
	return asm.Instructions{asm.LoadImm64(dst, int64(p.burst*TokenScale/p.rate+1))}
}

func slots(insns asm.Instructions) int16 {
	n := 0
	for _, ins := range insns {
		n += ins.Slots()
	}
	return int16(n)
}

// bucket returns the shared body: read the clock, find or create key's bucket, refill, take a
// token, and jump to pass or drop.
func bucket(p params, buckets asm.MapHandle, key, scratch emit.Slot, pass, drop string) asm.Instructions {
	insns := clock.StoreTimestamp(clock.Monotonic, emit.Slot{Off: scratch.At(scrNow), Size: 8})

	// Create the bucket full when it is missing, then look it up again. A failed insert (or
	// a bucket another CPU created meanwhile, which the lookup finds) is fine.
	create := p.loadCapacity(asm.R1)
	create = append(create, asm.Stx(asm.DW, asm.R10, asm.R1, scratch.At(scrTokens)))
	create = append(create, mapop.Update(buckets, key, emit.Slot{Off: scratch.Off, Size: BucketSize}, mapop.UpdateNoExist)...)
	create = append(create, mapop.Lookup(buckets, key)...)
	create = append(create, asm.JmpImm(asm.JEQ, asm.R0, 0, pass)) // cannot track: fail open

	insns = append(insns, mapop.Lookup(buckets, key)...)
	insns = append(insns, asm.JmpImmOff(asm.JNE, asm.R0, 0, slots(create)))
	insns = append(insns, create...)

	// R0 = bucket. R1 = elapsed, R2 = tokens, R3 = rate, R4 = capacity, R5 = fill time.
	insns = append(insns,
		asm.Ldx(asm.DW, asm.R1, asm.R10, scratch.At(scrNow)),
		asm.Ldx(asm.DW, asm.R2, asm.R0, 8), // last
		asm.SubReg(asm.R1, asm.R2),
		asm.JmpImmOff(asm.JSGE, asm.R1, 0, 1), // another CPU refilled later than our now
		asm.MovImm(asm.R1, 0),
		p.loadRate(asm.R3),
	)
	insns = append(insns, p.loadCapacity(asm.R4)...)
	insns = append(insns, p.loadFillTime(asm.R5, asm.R4, asm.R3)...)
	insns = append(insns,
		asm.JmpRegOff(asm.JLE, asm.R1, asm.R5, 1), // cap the elapsed time before multiplying
		asm.MovReg(asm.R1, asm.R5),
		asm.MulReg(asm.R1, asm.R3), // refill in units
		asm.Ldx(asm.DW, asm.R2, asm.R0, 0),
		asm.JmpRegOff(asm.JLE, asm.R2, asm.R4, 1), // a corrupt bucket cannot overflow either
		asm.MovReg(asm.R2, asm.R4),
		asm.AddReg(asm.R2, asm.R1),
		asm.JmpRegOff(asm.JLE, asm.R2, asm.R4, 1),
		asm.MovReg(asm.R2, asm.R4),
		asm.Ldx(asm.DW, asm.R1, asm.R10, scratch.At(scrNow)),
		asm.Stx(asm.DW, asm.R0, asm.R1, 8), // last = now
		asm.JmpImmOff(asm.JGE, asm.R2, TokenScale, 2),
		asm.Stx(asm.DW, asm.R0, asm.R2, 0), // not a whole token: keep the fraction, drop
		asm.Ja(drop),
		asm.SubImm(asm.R2, TokenScale),
		asm.Stx(asm.DW, asm.R0, asm.R2, 0),
		asm.Ja(pass),
	)
	return insns
}

// Check returns the token-bucket check of key against buckets at a fixed rate (tokens per
// second) and burst (tokens): it jumps to pass when the packet may go, taking a token, and to
// drop when the bucket is empty (clj-ebpf: build-simple-rate-limit). A rate of 0 jumps to pass
// unconditionally; a rate above [MaxRate] or a burst above [MaxBurst] is clamped.
//
// buckets is an LRU hash map keyed by key (KeySize = key.Size, ValueSize = [BucketSize]),
// referenced by handle or [mapop.Name]. scratch must hold [ScratchSize] bytes.
// Reads the key slot; writes the scratch slot and R0; clobbers R1–R5; always ends in a jump to
// pass or drop. About 50 instructions (see the package's tests).
func Check(buckets asm.MapHandle, key, scratch emit.Slot, rate, burst uint64, pass, drop string) asm.Instructions {
	if rate == 0 {
		// Always pass, but keep drop reachable in the control-flow graph: the verifier refuses
		// programs with unreachable instructions, and the caller's drop block would be one.
		return asm.Attribute("ratelimit.Check", asm.Instructions{
			asm.MovImm(asm.R0, 0),
			asm.JmpImm(asm.JNE, asm.R0, 0, drop),
			asm.Ja(pass),
		})
	}
	p := params{rate: min(rate, MaxRate), burst: min(burst, MaxBurst)}
	return asm.Attribute("ratelimit.Check", bucket(p, buckets, key, scratch, pass, drop))
}

// CheckConfig is [Check] with the rate and burst read, on every packet, from element index of
// the config array map (KeySize 4, ValueSize [ConfigSize]; values from [EncodeConfig], or
// [DisabledConfig] to pass everything), so user space can change them while the program runs
// (clj-ebpf: build-rate-limit-check). A missing config element passes the packet; values above
// [MaxRate] and [MaxBurst] are clamped.
//
// Reads the key slot; writes the scratch slot ([ScratchSize] bytes) and R0; clobbers R1–R5;
// always ends in a jump to pass or drop.
func CheckConfig(config asm.MapHandle, index uint32, buckets asm.MapHandle, key, scratch emit.Slot, pass, drop string) asm.Instructions {
	idx := emit.Slot{Off: scratch.At(scrTokens), Size: 4}
	insns := asm.Instructions{asm.St(asm.W, asm.R10, idx.Off, int32(index))}
	insns = append(insns, mapop.Lookup(config, idx)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, pass),
		asm.Ldx(asm.DW, asm.R1, asm.R0, 0), // rate
		asm.JmpImm(asm.JEQ, asm.R1, 0, pass),
		asm.LoadImm64(asm.R3, MaxRate),
		asm.JmpRegOff(asm.JLE, asm.R1, asm.R3, 1),
		asm.MovReg(asm.R1, asm.R3),
		asm.Stx(asm.DW, asm.R10, asm.R1, scratch.At(scrRate)),
		asm.Ldx(asm.DW, asm.R2, asm.R0, 8), // burst
		asm.LoadImm64(asm.R3, MaxBurst),
		asm.JmpRegOff(asm.JLE, asm.R2, asm.R3, 1),
		asm.MovReg(asm.R2, asm.R3),
		asm.Stx(asm.DW, asm.R10, asm.R2, scratch.At(scrBurst)),
	)
	p := params{scratch: scratch, fromStack: true}
	insns = append(insns, bucket(p, buckets, key, scratch, pass, drop)...)
	return asm.Attribute("ratelimit.CheckConfig", insns)
}
