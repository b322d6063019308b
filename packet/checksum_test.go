package packet

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// naiveSum is RFC 1071's reference loop: 16-bit words with end-around carry.
func naiveSum(b []byte) uint16 {
	var s uint32
	for i := 0; i < len(b); i += 2 {
		w := uint32(b[i]) << 8
		if i+1 < len(b) {
			w |= uint32(b[i+1])
		}
		s += w
		s = (s & 0xffff) + (s >> 16)
	}
	return uint16(s)
}

func TestChecksum(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint16
	}{
		// RFC 1071 §3: the sum of 00 01 f2 03 f4 f5 f6 f7 is 0xddf2.
		{"rfc1071 example", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, ^uint16(0xddf2)},
		{"empty", nil, 0xffff},
		{"odd length pads low byte", []byte{0x12}, ^uint16(0x1200)},
		{"carry wraps", []byte{0xff, 0xff, 0x00, 0x01}, ^uint16(0x0001)},
		// The IPv4 header of Spec{} (checksum field zero): 0x66ce.
		{"ipv4 header", []byte{0x45, 0, 0, 0x28, 0, 0, 0, 0, 0x40, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}, 0x66ce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Checksum(tt.in); got != tt.want {
				t.Errorf("Checksum = %#04x, want %#04x", got, tt.want)
			}
		})
	}
}

func TestPartialSumMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if n%7 == 0 {
			for i := range b {
				b[i] = 0xff // worst case for carries
			}
		}
		got, want := fold(PartialSum(b, 0)), naiveSum(b)
		// Ones' complement has two zeros; the naive loop never yields 0 for
		// non-zero input, nor does the fold.
		if got != want {
			t.Fatalf("len %d: PartialSum folds to %#04x, naive sum %#04x", n, got, want)
		}
		// Summing in pieces with even-length heads gives the same result.
		if n >= 2 {
			cut := (r.IntN(n) / 2) * 2
			if got2 := fold(PartialSum(b[cut:], PartialSum(b[:cut], 0))); got2 != want {
				t.Fatalf("len %d cut %d: chained sum %#04x, want %#04x", n, cut, got2, want)
			}
		}
	}
	// A large initial sum must not overflow.
	if got := fold(PartialSum([]byte{0xff, 0xff}, 0xffffffff)); got != naiveSum([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("large initial sum folds to %#04x", got)
	}
}

func TestPseudoHeaderSum(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		name     string
		src, dst netip.Addr
		proto    IPProto
		length   uint32
		bytes    []byte // the pseudo-header as RFC 793 / RFC 8200 lay it out
		err      string
	}{
		{"ipv4", a("10.0.0.1"), a("10.0.0.2"), IPProtoTCP, 20,
			[]byte{10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 20}, ""},
		{"ipv6", a("fd00::1"), a("fd00::2"), IPProtoUDP, 0x12345,
			append(append(a("fd00::1").AsSlice(), a("fd00::2").AsSlice()...), 0, 1, 0x23, 0x45, 0, 0, 0, 17), ""},
		{"mixed", a("10.0.0.1"), a("fd00::2"), IPProtoTCP, 20, nil, "not both IPv4 or both IPv6"},
		{"invalid", netip.Addr{}, netip.Addr{}, IPProtoTCP, 20, nil, "not both IPv4 or both IPv6"},
		{"ipv4 too long", a("10.0.0.1"), a("10.0.0.2"), IPProtoTCP, 70000, nil, "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PseudoHeaderSum(tt.src, tt.dst, tt.proto, tt.length)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fold(got) != naiveSum(tt.bytes) {
				t.Errorf("sum folds to %#04x, want %#04x", fold(got), naiveSum(tt.bytes))
			}
		})
	}
}

func TestUpdateChecksum16RFC1624(t *testing.T) {
	// RFC 1624 §4: m = 0x5555 changes to 0x3285 under HC = 0xdd2f; equation
	// 3 gives 0x0000 (equation 2 would give the wrong 0xffff).
	if got := UpdateChecksum16(0xdd2f, 0x5555, 0x3285); got != 0x0000 {
		t.Errorf("UpdateChecksum16 = %#04x, want 0x0000", got)
	}
	if got := UpdateChecksum(0xdd2f, []byte{0x55, 0x55}, []byte{0x32, 0x85}); got != 0x0000 {
		t.Errorf("UpdateChecksum = %#04x, want 0x0000", got)
	}
}

// TestUpdateChecksumMatchesRecompute rewrites fields of random data (as a
// NAT rewrites addresses and ports) and checks the incremental checksum
// against a full recomputation.
func TestUpdateChecksumMatchesRecompute(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		b := make([]byte, 2+2*r.IntN(40))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		hc := Checksum(b)
		start := 2 * r.IntN(len(b)/2)
		n := 2 * (1 + r.IntN((len(b)-start)/2))
		old := append([]byte(nil), b[start:start+n]...)
		for j := start; j < start+n; j++ {
			b[j] = byte(r.Uint32())
		}
		if i%10 == 0 {
			copy(b[start:], make([]byte, n)) // rewrite to zeros
		}
		got, want := UpdateChecksum(hc, old, b[start:start+n]), Checksum(b)
		if got != want && !(got^want == 0xffff && (got == 0 || want == 0)) {
			t.Fatalf("case %d: UpdateChecksum = %#04x, recomputed %#04x", i, got, want)
		}
		if n == 2 {
			got16 := UpdateChecksum16(hc, uint16(old[0])<<8|uint16(old[1]), uint16(b[start])<<8|uint16(b[start+1]))
			if got16 != got {
				t.Fatalf("case %d: UpdateChecksum16 = %#04x, UpdateChecksum %#04x", i, got16, got)
			}
		}
	}
}
