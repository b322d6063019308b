package packet

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// TLS protocol versions (the values of crypto/tls).
const (
	VersionTLS12 = 0x0303
	VersionTLS13 = 0x0304
)

// TLS extension types (IANA "TLS ExtensionType Values").
const (
	ExtServerName        = 0  // server_name (RFC 6066 §3)
	ExtSupportedGroups   = 10 // supported_groups (RFC 8446 §4.2.7)
	ExtSignatureAlgs     = 13 // signature_algorithms (RFC 8446 §4.2.3)
	ExtALPN              = 16 // application_layer_protocol_negotiation (RFC 7301)
	ExtSupportedVersions = 43 // supported_versions (RFC 8446 §4.2.1)
	ExtKeyShare          = 51 // key_share (RFC 8446 §4.2.8)
)

const (
	tlsRecordHeaderLen    = 5
	tlsHandshakeHeaderLen = 4
	tlsContentHandshake   = 22
	tlsTypeClientHello    = 1
	sniHostName           = 0
	tlsRecordVersion      = 0x0301
)

// TLSExtension is one ClientHello extension: its type and the raw bytes of
// its extension_data.
type TLSExtension struct {
	Type uint16
	Data []byte
}

// ClientHello is a TLS ClientHello handshake message (RFC 8446 §4.1.2, RFC
// 5246 §7.4.1.2) in one TLS record (content type handshake, record version
// 0x0301). As a [Layer] it encodes the whole record, e.g. as the payload after
// a [TCP] header. [ParseClientHello] and [ServerName] read it back.
//
// The message is enough for a middlebox to route on (SNI, ALPN) and for
// parsers to test against; it does not carry the key_share a real TLS 1.3
// server needs (add it with Extensions when needed).
type ClientHello struct {
	// Version is [VersionTLS12] or [VersionTLS13] (zero means TLS 1.3). The
	// legacy_version field is always 0x0303; TLS 1.3 adds a
	// supported_versions extension listing 0x0304 and 0x0303.
	Version uint16
	// ServerName is the host name for the server_name extension (RFC 6066
	// §3); empty means no extension. It is written as given: RFC 6066 wants
	// ASCII without a trailing dot.
	ServerName string
	// ALPN lists protocols for the application_layer_protocol_negotiation
	// extension (RFC 7301), e.g. "h2", "http/1.1"; nil means no extension.
	ALPN []string
	// Random is the 32-byte client random (zero is fine for tests).
	Random [32]byte
	// SessionID is the legacy session id, at most 32 bytes.
	SessionID []byte
	// CipherSuites lists the offered cipher suites; nil means a default
	// list for the version.
	CipherSuites []uint16
	// Extensions are written after server_name, ALPN and
	// supported_versions, in order. A supported_versions extension here
	// replaces the one TLS 1.3 adds.
	Extensions []TLSExtension
}

var (
	defaultSuites13 = []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f}
	defaultSuites12 = []uint16{0xc02b, 0xc02f, 0xc02c, 0xc030, 0x009c}
)

func (ClientHello) kind() layerKind { return kindClientHello }

func (h ClientHello) sizeHint() int {
	n := tlsRecordHeaderLen + tlsHandshakeHeaderLen + 2 + 32 + 1 + len(h.SessionID) + 2 + 2*max(len(h.CipherSuites), 5) + 2 + 2
	n += 9 + len(h.ServerName) + 7 + 6
	for _, p := range h.ALPN {
		n += 1 + len(p)
	}
	for _, e := range h.Extensions {
		n += 4 + len(e.Data)
	}
	return n
}

func (h ClientHello) version() uint16 {
	if h.Version == 0 {
		return VersionTLS13
	}
	return h.Version
}

// startVec appends a vector with a big-endian length prefix of n bytes.
// It returns the offset of the prefix, to be patched by patchLen.
func startVec(b []byte, n int) ([]byte, int) {
	off := len(b)
	for range n {
		b = append(b, 0)
	}
	return b, off
}

// patchLen writes the length of everything after the n-byte prefix at off.
func patchLen(b []byte, off, n int, what string) error {
	l := len(b) - off - n
	if l >= 1<<(8*n) {
		return fmt.Errorf("tls: %s: length %d exceeds %d bytes", what, l, n)
	}
	for i := n - 1; i >= 0; i-- {
		b[off+i] = byte(l)
		l >>= 8
	}
	return nil
}

func (h ClientHello) encode(b []byte, _ *encoder, _ Layer) ([]byte, error) {
	v := h.version()
	if v != VersionTLS12 && v != VersionTLS13 {
		return b, fmt.Errorf("tls: version %#04x is not TLS 1.2 or 1.3", v)
	}
	if len(h.SessionID) > 32 {
		return b, fmt.Errorf("tls: session id of %d bytes exceeds 32", len(h.SessionID))
	}
	suites := h.CipherSuites
	if suites == nil {
		suites = defaultSuites12
		if v == VersionTLS13 {
			suites = defaultSuites13
		}
	}
	if len(suites) == 0 {
		return b, fmt.Errorf("tls: no cipher suites")
	}
	start := len(b)
	b = append(b, tlsContentHandshake, tlsRecordVersion>>8, tlsRecordVersion&0xff)
	b, recLen := startVec(b, 2)
	b = append(b, tlsTypeClientHello)
	b, hsLen := startVec(b, 3)
	b = binary.BigEndian.AppendUint16(b, VersionTLS12) // legacy_version
	b = append(b, h.Random[:]...)
	b = append(b, byte(len(h.SessionID)))
	b = append(b, h.SessionID...)
	b = binary.BigEndian.AppendUint16(b, uint16(2*len(suites)))
	for _, s := range suites {
		b = binary.BigEndian.AppendUint16(b, s)
	}
	b = append(b, 1, 0) // legacy_compression_methods: null only
	if h.ServerName != "" || h.ALPN != nil || v == VersionTLS13 || len(h.Extensions) > 0 {
		var extLen int
		b, extLen = startVec(b, 2)
		var err error
		if b, err = h.appendExtensions(b, v); err != nil {
			return b[:start], err
		}
		if err := patchLen(b, extLen, 2, "extensions"); err != nil {
			return b[:start], err
		}
	}
	if err := patchLen(b, hsLen, 3, "handshake"); err != nil {
		return b[:start], err
	}
	if err := patchLen(b, recLen, 2, "record"); err != nil {
		return b[:start], fmt.Errorf("%w (one record holds at most 65535 bytes)", err)
	}
	return b, nil
}

func (h ClientHello) appendExtensions(b []byte, v uint16) ([]byte, error) {
	if h.ServerName != "" {
		// RFC 6066 §3: ServerNameList { NameType name_type; HostName host_name }.
		var extLen, listLen, nameLen int
		b = binary.BigEndian.AppendUint16(b, ExtServerName)
		b, extLen = startVec(b, 2)
		b, listLen = startVec(b, 2)
		b = append(b, sniHostName)
		b, nameLen = startVec(b, 2)
		b = append(b, h.ServerName...)
		for _, p := range [][2]int{{nameLen, 2}, {listLen, 2}, {extLen, 2}} {
			if err := patchLen(b, p[0], p[1], "server_name"); err != nil {
				return b, err
			}
		}
	}
	if h.ALPN != nil {
		// RFC 7301 §3.1: ProtocolNameList protocol_name_list<2..2^16-1>.
		var extLen, listLen int
		b = binary.BigEndian.AppendUint16(b, ExtALPN)
		b, extLen = startVec(b, 2)
		b, listLen = startVec(b, 2)
		for _, p := range h.ALPN {
			if len(p) == 0 || len(p) > 0xff {
				return b, fmt.Errorf("tls: alpn protocol %q: length must be 1 to 255", p)
			}
			b = append(b, byte(len(p)))
			b = append(b, p...)
		}
		for _, p := range [][2]int{{listLen, 2}, {extLen, 2}} {
			if err := patchLen(b, p[0], p[1], "alpn"); err != nil {
				return b, err
			}
		}
	}
	if v == VersionTLS13 && !h.hasExtension(ExtSupportedVersions) {
		// RFC 8446 §4.2.1: ProtocolVersion versions<2..254>.
		b = binary.BigEndian.AppendUint16(b, ExtSupportedVersions)
		b = append(b, 0, 5, 4, 0x03, 0x04, 0x03, 0x03)
	}
	for _, e := range h.Extensions {
		if len(e.Data) > 0xffff {
			return b, fmt.Errorf("tls: extension %d: %d bytes exceed 65535", e.Type, len(e.Data))
		}
		b = binary.BigEndian.AppendUint16(b, e.Type)
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.Data)))
		b = append(b, e.Data...)
	}
	return b, nil
}

func (h ClientHello) hasExtension(typ uint16) bool {
	for _, e := range h.Extensions {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// String returns e.g. `TLS ClientHello 1.3 sni "example.com" alpn [h2]`.
func (h ClientHello) String() string {
	var sb strings.Builder
	sb.WriteString("TLS ClientHello ")
	switch h.version() {
	case VersionTLS12:
		sb.WriteString("1.2")
	case VersionTLS13:
		sb.WriteString("1.3")
	default:
		fmt.Fprintf(&sb, "%#04x", h.Version)
	}
	if h.ServerName != "" {
		fmt.Fprintf(&sb, " sni %q", h.ServerName)
	}
	if h.ALPN != nil {
		fmt.Fprintf(&sb, " alpn %v", h.ALPN)
	}
	return sb.String()
}

// reader is a bounds-checked cursor over bytes; every read that runs past
// the end sets err and returns zero values.
type reader struct {
	b   []byte
	err error
	ctx string
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("tls: %s: %s: %w", r.ctx, what, ErrTruncated)
	}
}

func (r *reader) bytes(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail(what)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8(what string) int {
	v := r.bytes(1, what)
	if v == nil {
		return 0
	}
	return int(v[0])
}

func (r *reader) u16(what string) int {
	v := r.bytes(2, what)
	if v == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(v))
}

func (r *reader) u24(what string) int {
	v := r.bytes(3, what)
	if v == nil {
		return 0
	}
	return int(v[0])<<16 | int(v[1])<<8 | int(v[2])
}

// vec reads a vector with an n-byte length prefix and returns a reader over its contents.
func (r *reader) vec(n int, what string) reader {
	var l int
	if p := r.bytes(n, what); p != nil {
		for _, c := range p {
			l = l<<8 | int(c)
		}
	}
	return reader{b: r.bytes(l, what), err: r.err, ctx: r.ctx}
}

// ParseClientHello decodes a TLS record holding a ClientHello handshake
// message, e.g. the payload of the first TCP segment of a TLS connection.
// Bytes after the record are ignored. The server_name, ALPN and (when it
// lists TLS 1.3) supported_versions extensions fill ServerName, ALPN and
// Version; every other extension is kept in Extensions, in order. Slices in
// the result alias b.
//
// It returns an error wrapping [ErrNotClientHello] when the record is not a
// handshake record starting a ClientHello, [ErrTruncated] when the record or
// message is cut short (a ClientHello split over several records is not
// reassembled), and [ErrMalformed] for inconsistent lengths or a repeated
// extension.
func ParseClientHello(b []byte) (*ClientHello, error) {
	r := reader{b: b, ctx: "record header"}
	if len(b) >= 1 && b[0] != tlsContentHandshake {
		return nil, fmt.Errorf("tls: content type %d is not handshake (22): %w", b[0], ErrNotClientHello)
	}
	r.u8("content type")
	rv := r.u16("record version")
	rec := r.vec(2, "record")
	if r.err != nil {
		return nil, r.err
	}
	if rv>>8 != 3 {
		return nil, fmt.Errorf("tls: record version %#04x is not 3.x: %w", rv, ErrNotClientHello)
	}
	rec.ctx = "handshake"
	if len(rec.b) >= 1 && rec.b[0] != tlsTypeClientHello {
		return nil, fmt.Errorf("tls: handshake type %d is not client_hello (1): %w", rec.b[0], ErrNotClientHello)
	}
	rec.u8("type")
	hl := rec.u24("length")
	body := reader{b: rec.bytes(hl, "message"), err: rec.err, ctx: "client_hello"}
	if body.err != nil {
		return nil, body.err
	}
	if len(rec.b) != 0 {
		return nil, fmt.Errorf("tls: record holds %d bytes after the ClientHello: %w", len(rec.b), ErrMalformed)
	}

	h := &ClientHello{}
	legacy := body.u16("legacy_version")
	copy(h.Random[:], body.bytes(32, "random"))
	sid := body.vec(1, "legacy_session_id")
	h.SessionID = sid.b
	suites := body.vec(2, "cipher_suites")
	if body.err == nil && len(suites.b)%2 != 0 {
		return nil, fmt.Errorf("tls: client_hello: cipher_suites length %d is odd: %w", len(suites.b), ErrMalformed)
	}
	for len(suites.b) >= 2 {
		h.CipherSuites = append(h.CipherSuites, uint16(suites.u16("cipher suite")))
	}
	body.vec(1, "legacy_compression_methods")
	if body.err != nil {
		return nil, body.err
	}
	if len(h.SessionID) > 32 {
		return nil, fmt.Errorf("tls: client_hello: session id of %d bytes exceeds 32: %w", len(h.SessionID), ErrMalformed)
	}
	h.Version = uint16(legacy)
	if len(body.b) == 0 {
		return h, nil // no extensions (TLS 1.2 allows that)
	}
	exts := body.vec(2, "extensions")
	if body.err != nil {
		return nil, body.err
	}
	if len(body.b) != 0 {
		return nil, fmt.Errorf("tls: client_hello: %d bytes after the extensions: %w", len(body.b), ErrMalformed)
	}
	var seen []uint16
	for len(exts.b) > 0 {
		exts.ctx = "extension"
		typ := uint16(exts.u16("type"))
		data := exts.vec(2, "data")
		if exts.err != nil {
			return nil, exts.err
		}
		for _, s := range seen {
			if s == typ {
				return nil, fmt.Errorf("tls: extension %d appears twice: %w", typ, ErrMalformed)
			}
		}
		seen = append(seen, typ)
		var err error
		switch typ {
		case ExtServerName:
			h.ServerName, err = parseServerName(data)
		case ExtALPN:
			h.ALPN, err = parseALPN(data)
		case ExtSupportedVersions:
			var tls13 bool
			tls13, err = parseSupportedVersions(data)
			if tls13 {
				h.Version = VersionTLS13
				continue
			}
			h.Extensions = append(h.Extensions, TLSExtension{Type: typ, Data: data.b})
		default:
			h.Extensions = append(h.Extensions, TLSExtension{Type: typ, Data: data.b})
		}
		if err != nil {
			return nil, err
		}
	}
	return h, nil
}

func parseServerName(r reader) (string, error) {
	r.ctx = "server_name"
	list := r.vec(2, "server_name_list")
	if r.err != nil {
		return "", r.err
	}
	if len(r.b) != 0 || len(list.b) == 0 {
		return "", fmt.Errorf("tls: server_name: list length does not match the extension: %w", ErrMalformed)
	}
	name := ""
	for len(list.b) > 0 {
		typ := list.u8("name_type")
		n := list.vec(2, "host_name")
		if list.err != nil {
			return "", list.err
		}
		if typ == sniHostName && name == "" {
			if len(n.b) == 0 {
				return "", fmt.Errorf("tls: server_name: empty host_name: %w", ErrMalformed)
			}
			name = string(n.b)
		}
	}
	return name, nil
}

func parseALPN(r reader) ([]string, error) {
	r.ctx = "alpn"
	list := r.vec(2, "protocol_name_list")
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("tls: alpn: list length does not match the extension: %w", ErrMalformed)
	}
	protos := []string{}
	for len(list.b) > 0 {
		p := list.vec(1, "protocol_name")
		if list.err != nil {
			return nil, list.err
		}
		protos = append(protos, string(p.b))
	}
	return protos, nil
}

func parseSupportedVersions(r reader) (bool, error) {
	r.ctx = "supported_versions"
	list := r.vec(1, "versions")
	if r.err != nil {
		return false, r.err
	}
	if len(r.b) != 0 || len(list.b)%2 != 0 {
		return false, fmt.Errorf("tls: supported_versions: bad length: %w", ErrMalformed)
	}
	tls13 := false
	for len(list.b) > 0 {
		if list.u16("version") == VersionTLS13 {
			tls13 = true
		}
	}
	return tls13, nil
}

// ServerName returns the server name (SNI host_name) of the ClientHello in
// the TLS record b, as an SNI-routing load balancer reads it. It returns an
// error wrapping [ErrNoServerName] when the ClientHello has none, and the
// errors of [ParseClientHello] otherwise.
func ServerName(b []byte) (string, error) {
	h, err := ParseClientHello(b)
	if err != nil {
		return "", err
	}
	if h.ServerName == "" {
		return "", fmt.Errorf("tls: client_hello: %w", ErrNoServerName)
	}
	return h.ServerName, nil
}
