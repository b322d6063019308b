package packet

import (
	"errors"
	"fmt"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and ParseIP. Neither may panic,
// and every packet they return must survive VerifyChecksums and String, and
// build again into a packet that parses to the same layers with correct
// checksums.
func FuzzParse(f *testing.F) {
	for _, b := range readReference(f) {
		f.Add(b)
		if len(b) > 14 {
			f.Add(b[14:])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (*Packet, error){Parse, ParseIP} {
			p, err := parse(b)
			if err != nil {
				if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v wraps neither ErrTruncated nor ErrMalformed", err)
				}
				continue
			}
			_ = p.VerifyChecksums()
			s := p.String()
			for i, l := range p.Layers {
				if p.Offset(l) != p.Offsets[i] {
					t.Fatalf("Offset(layer %d) = %d, want %d", i, p.Offset(l), p.Offsets[i])
				}
			}
			rebuilt, err := Build(p.Layers...)
			if err != nil {
				// Only a first layer Build cannot start with may fail: a
				// Payload-only ParseIP result always builds.
				t.Fatalf("Build(parsed %v): %v", p, err)
			}
			if len(rebuilt) != len(b)-len(p.Trailer) {
				t.Fatalf("rebuilt %d bytes from %d minus a %d-byte trailer", len(rebuilt), len(b), len(p.Trailer))
			}
			p2, err := parse(rebuilt)
			if err != nil {
				t.Fatalf("parse(rebuilt): %v\noriginal %v", err, p)
			}
			if err := p2.VerifyChecksums(); err != nil {
				// Build writes every checksum except a UDP one the input left zero.
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var ce *ChecksumError
					if !errors.As(e, &ce) || ce.Layer != "udp" || ce.Got != 0 {
						t.Fatalf("rebuilt packet: %v\n%v", err, p2)
					}
				}
			}
			s2 := p2.String()
			if len(p.Trailer) > 0 {
				s2 += " | Trailer " + s[len(s)-len("0 bytes")-countDigits(len(p.Trailer))+1:]
			}
			if s2 != s {
				t.Fatalf("layers differ after a rebuild\n got %s\nwant %s", s2, s)
			}
		}
	})
}

func countDigits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// FuzzParseClientHello feeds arbitrary bytes to ParseClientHello and
// ServerName: no panic, errors wrap the package's sentinels, and a parsed
// ClientHello that builds again parses to the same SNI, ALPN and version.
func FuzzParseClientHello(f *testing.F) {
	for name, b := range readReference(f) {
		if p, err := Parse(b); err == nil && p.TCP() != nil && p.Payload() != nil {
			f.Add(p.Payload())
		} else if name[:3] == "tls" {
			f.Add(b)
		}
	}
	f.Add(MustBuild(ClientHello{Version: VersionTLS12}))
	f.Fuzz(func(t *testing.T, b []byte) {
		sni, err := ServerName(b)
		h, err2 := ParseClientHello(b)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotClientHello) && !errors.Is(err, ErrNoServerName) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
		} else if err2 != nil || h.ServerName != sni || sni == "" {
			t.Fatalf("ServerName = %q but ParseClientHello = %+v, %v", sni, h, err2)
		}
		if err2 != nil {
			return
		}
		rebuilt, err := Build(h)
		if err != nil {
			return // e.g. a legacy version or an empty ALPN name Build refuses
		}
		h2, err := ParseClientHello(rebuilt)
		if err != nil {
			t.Fatalf("ParseClientHello(rebuilt): %v", err)
		}
		// The version can change: Build writes legacy_version 0x0303 whatever
		// the input said.
		if h2.ServerName != h.ServerName || fmt.Sprint(h2.ALPN) != fmt.Sprint(h.ALPN) || len(h2.Extensions) != len(h.Extensions) {
			t.Fatalf("rebuilt ClientHello differs\n got %v\nwant %v", h2, h)
		}
	})
}
