package packet

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseClientHello(t *testing.T) {
	ref := readReference(t)
	tests := []struct {
		frame string
		want  ClientHello
	}{
		{"tls13_sni_alpn", ClientHello{Version: VersionTLS13, ServerName: "example.com", ALPN: []string{"h2", "http/1.1"},
			CipherSuites: defaultSuites13}},
		{"tls12_sni_sid", ClientHello{Version: VersionTLS12, ServerName: "lb.test", SessionID: []byte{1, 2, 3, 4, 5, 6, 7, 8},
			CipherSuites: defaultSuites12, Extensions: []TLSExtension{{Type: 0xff01, Data: []byte{0}}}}},
		{"tls12_bare", ClientHello{Version: VersionTLS12, CipherSuites: []uint16{0x002f}}},
	}
	for _, tt := range tests {
		t.Run(tt.frame, func(t *testing.T) {
			h, err := ParseClientHello(ref[tt.frame])
			if err != nil {
				t.Fatal(err)
			}
			if h.String() != tt.want.String() || !slices.Equal(h.CipherSuites, tt.want.CipherSuites) ||
				!bytes.Equal(h.SessionID, tt.want.SessionID) || len(h.Extensions) != len(tt.want.Extensions) {
				t.Errorf("got %+v\nwant %+v", h, tt.want)
			}
			// Parse then build gives the same record.
			b, err := Build(h)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, ref[tt.frame]) {
				t.Errorf("rebuilt record differs\n got %x\nwant %x", b, ref[tt.frame])
			}
		})
	}
	// The SNI inside a whole frame.
	p, err := Parse(ref["tcp4_sni"])
	if err != nil {
		t.Fatal(err)
	}
	if sni, err := ServerName(p.Payload()); err != nil || sni != "backend.example" {
		t.Errorf("ServerName = %q, %v", sni, err)
	}
}

func TestServerNameErrors(t *testing.T) {
	ref := readReference(t)
	good := ref["tls13_sni_alpn"]
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		in   []byte
		is   error
	}{
		{"empty", nil, ErrTruncated},
		{"not handshake", mod(func(b []byte) []byte { b[0] = 23; return b }), ErrNotClientHello},
		{"http", []byte("GET / HTTP/1.1\r\n\r\n"), ErrNotClientHello},
		{"record version", mod(func(b []byte) []byte { b[1] = 2; return b }), ErrNotClientHello},
		{"server hello", mod(func(b []byte) []byte { b[5] = 2; return b }), ErrNotClientHello},
		{"record cut", good[:len(good)-1], ErrTruncated},
		{"record header cut", good[:4], ErrTruncated},
		{"handshake longer than record", mod(func(b []byte) []byte { b[8]++; return b }), ErrTruncated},
		{"handshake shorter than record", mod(func(b []byte) []byte { b[8]--; return b }), ErrMalformed},
		{"no sni", ref["tls12_bare"], ErrNoServerName},
		{"duplicate extension", MustBuild(ClientHello{ServerName: "a", Extensions: []TLSExtension{{Type: ExtServerName, Data: []byte{0, 4, 0, 0, 1, 'b'}}}}), ErrMalformed},
		{"empty host name", MustBuild(ClientHello{Version: VersionTLS12, Extensions: []TLSExtension{{Type: ExtServerName, Data: []byte{0, 3, 0, 0, 0}}}}), ErrMalformed},
		{"sni list length", MustBuild(ClientHello{Version: VersionTLS12, Extensions: []TLSExtension{{Type: ExtServerName, Data: []byte{0, 3, 0, 0, 1, 'a'}}}}), ErrMalformed},
		{"sni name cut", MustBuild(ClientHello{Version: VersionTLS12, Extensions: []TLSExtension{{Type: ExtServerName, Data: []byte{0, 4, 0, 0, 5, 'a'}}}}), ErrTruncated},
		{"odd cipher suites", MustBuild(ClientHello{Version: VersionTLS12, CipherSuites: []uint16{1}, Extensions: []TLSExtension{{Type: 1}}}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if tt.is == nil { // odd cipher suites: patch the length 2 → 3 by hand
				in = bytes.Clone(in)
				in[5+4+2+32+1+1]++ // cipher_suites length low byte
				tt.is = ErrMalformed
			}
			sni, err := ServerName(in)
			if !errors.Is(err, tt.is) {
				t.Errorf("ServerName = %q, %v; want %v", sni, err, tt.is)
			}
		})
	}
	// Every truncation is an error, never a panic.
	for n := range len(good) {
		if _, err := ServerName(good[:n]); err == nil {
			t.Errorf("ServerName(record[:%d]) succeeded", n)
		}
	}
}

// TestClientHelloAgainstCryptoTLS checks the builder against an independent
// parser: Go's crypto/tls server reads our ClientHello.
func TestClientHelloAgainstCryptoTLS(t *testing.T) {
	for _, ch := range []ClientHello{
		{ServerName: "backend.example", ALPN: []string{"h2", "http/1.1"}},
		{Version: VersionTLS12, ServerName: "v12.example", CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
	} {
		info := make(chan *tls.ClientHelloInfo, 1)
		client, server := net.Pipe()
		go func() {
			defer client.Close()
			client.Write(MustBuild(ch))
			client.SetReadDeadline(time.Now().Add(2 * time.Second))
			var buf [512]byte
			client.Read(buf[:]) // the server's alert or hello
		}()
		srv := tls.Server(server, &tls.Config{GetConfigForClient: func(i *tls.ClientHelloInfo) (*tls.Config, error) {
			info <- i
			return nil, errors.New("stop after the ClientHello")
		}})
		srv.SetDeadline(time.Now().Add(2 * time.Second))
		err := srv.Handshake()
		server.Close()
		select {
		case i := <-info:
			if i.ServerName != ch.ServerName || !slices.Equal(i.SupportedProtos, ch.ALPN) {
				t.Errorf("crypto/tls read server name %q, ALPN %v; want %q, %v", i.ServerName, i.SupportedProtos, ch.ServerName, ch.ALPN)
			}
			wantVersions := []uint16{VersionTLS12}
			if ch.Version == 0 {
				wantVersions = []uint16{VersionTLS13, VersionTLS12}
			}
			if ch.Version == VersionTLS12 {
				// Without supported_versions crypto/tls derives the list from legacy_version.
				wantVersions = []uint16{VersionTLS12, 0x0302, 0x0301}
			}
			if !slices.Equal(i.SupportedVersions, wantVersions) {
				t.Errorf("crypto/tls read versions %#04x, want %#04x", i.SupportedVersions, wantVersions)
			}
		default:
			t.Errorf("crypto/tls rejected the ClientHello before reading it: %v", err)
		}
	}
}

// TestServerNameOfCryptoTLS checks the parser against an independent
// builder: the ClientHello Go's crypto/tls client sends.
func TestServerNameOfCryptoTLS(t *testing.T) {
	for _, max := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		client, server := net.Pipe()
		go func() {
			c := tls.Client(client, &tls.Config{ServerName: "sni.example.org", NextProtos: []string{"h2"}, MaxVersion: max})
			c.SetDeadline(time.Now().Add(2 * time.Second))
			c.Handshake() // fails when the server side closes
			c.Close()
		}()
		server.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 4096)
		n, err := server.Read(buf)
		server.Close()
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseClientHello(buf[:n])
		if err != nil {
			t.Fatalf("max %#04x: %v", max, err)
		}
		wantVersion := uint16(VersionTLS12)
		if max == tls.VersionTLS13 {
			wantVersion = VersionTLS13
		}
		if h.ServerName != "sni.example.org" || !slices.Equal(h.ALPN, []string{"h2"}) || h.Version != wantVersion {
			t.Errorf("max %#04x: parsed %v", max, h)
		}
		if len(h.Extensions) == 0 || len(h.CipherSuites) == 0 {
			t.Errorf("max %#04x: no extensions or cipher suites kept: %+v", max, h)
		}
	}
}

func TestClientHelloString(t *testing.T) {
	for _, tt := range []struct {
		h    ClientHello
		want string
	}{
		{ClientHello{}, "TLS ClientHello 1.3"},
		{ClientHello{Version: VersionTLS12, ServerName: "a.b", ALPN: []string{"h2"}}, `TLS ClientHello 1.2 sni "a.b" alpn [h2]`},
		{ClientHello{Version: 0x0301}, "TLS ClientHello 0x0301"},
	} {
		if got := tt.h.String(); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
	}
	if !strings.Contains(Payload("ab").String(), "2 bytes") {
		t.Error("Payload.String")
	}
}
