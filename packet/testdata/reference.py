#!/usr/bin/env python3
"""Independent reference encoder for packet's golden tests.

Builds the frames of reference.txt with nothing but struct and socket and
computes every checksum with its own RFC 1071 loop, so the Go package is
checked against a second implementation. Regenerate with:

    python3 testdata/reference.py > testdata/reference.txt
"""
import socket
import struct


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def v4(a):
    return socket.inet_pton(socket.AF_INET, a)


def v6(a):
    return socket.inet_pton(socket.AF_INET6, a)


def eth(dst, src, etype):
    return bytes(dst) + bytes(src) + struct.pack("!H", etype)


MAC1 = [0, 0, 0, 0, 0, 1]
MAC2 = [0, 0, 0, 0, 0, 2]


def ipv4(src, dst, proto, payload, ttl=64, tos=0, ident=0, flags=0, frag=0, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, 20 + len(options) + len(payload),
                      ident, (flags << 13) | frag, ttl, proto, 0, v4(src), v4(dst)) + options
    c = csum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def pseudo4(src, dst, proto, length):
    return v4(src) + v4(dst) + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, proto, length):
    return v6(src) + v6(dst) + struct.pack("!IxxxB", length, proto)


def ipv6(src, dst, nh, payload, hlim=64, tc=0, flow=0):
    return struct.pack("!IHBB", (6 << 28) | (tc << 20) | flow, len(payload), nh, hlim) + v6(src) + v6(dst) + payload


def tcp(pseudo, sport, dport, seq, ack, flags, win, payload=b"", options=b"", urg=0):
    doff = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4 | (flags >> 8), flags & 0xFF, win, 0, urg) + options
    seg = hdr + payload
    c = csum(pseudo(len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(pseudo, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = csum(pseudo(len(seg)) + seg)
    if c == 0:
        c = 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp(typ, code, ident, seq, payload, pseudo=None):
    msg = struct.pack("!BBHHH", typ, code, 0, ident, seq) + payload
    pre = pseudo(len(msg)) if pseudo else b""
    c = csum(pre + msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


SYN, PSH, ACK = 0x02, 0x08, 0x10
cases = {}

# Spec{}: TCP SYN 10.0.0.1:12345 -> 10.0.0.2:80.
p4 = lambda proto: lambda n: pseudo4("10.0.0.1", "10.0.0.2", proto, n)
cases["tcp4_syn"] = eth(MAC2, MAC1, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", 6,
    tcp(p4(6), 12345, 80, 0, 0, SYN, 65535))

# Spec{Protocol: UDP, Payload: "hello"}.
cases["udp4_hello"] = eth(MAC2, MAC1, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", 17,
    udp(p4(17), 12345, 80, b"hello"))

# Spec{Protocol: ICMP, Payload: "ping"}: echo request id 12345 seq 1.
cases["icmp4_echo"] = eth(MAC2, MAC1, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", 1,
    icmp(8, 0, 12345, 1, b"ping"))

# Spec{IPv6: true, Payload: "GET /"}: TCP PSH|ACK fd00::1 -> fd00::2.
p6 = lambda proto: lambda n: pseudo6("fd00::1", "fd00::2", proto, n)
cases["tcp6_data"] = eth(MAC2, MAC1, 0x86DD) + ipv6("fd00::1", "fd00::2", 6,
    tcp(p6(6), 12345, 80, 0, 0, PSH | ACK, 65535, b"GET /"))

# Spec{IPv6: true, Protocol: UDP, Payload: "abc"} (odd length).
cases["udp6_odd"] = eth(MAC2, MAC1, 0x86DD) + ipv6("fd00::1", "fd00::2", 17,
    udp(p6(17), 12345, 80, b"abc"))

# Spec{IPv6: true, Protocol: ICMP}: ICMPv6 echo request id 12345 seq 1.
cases["icmp6_echo"] = eth(MAC2, MAC1, 0x86DD) + ipv6("fd00::1", "fd00::2", 58,
    icmp(128, 0, 12345, 1, b"", pseudo=p6(58)))

# QinQ (S-tag 100 pcp 3 over C-tag 200), IPv4 with a 4-byte option (IHL 6),
# DF, TOS 0x10, id 0x1234, TTL 1, TCP with MSS and window scale options.
opts = bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7])  # MSS 1460, NOP, wscale 7
p4b = lambda proto: lambda n: pseudo4("192.168.1.10", "172.16.0.1", proto, n)
cases["qinq_ipv4opt_tcpopt"] = (
    eth([0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE], [0x02, 0x11, 0x22, 0x33, 0x44, 0x55], 0x88A8)
    + struct.pack("!HH", (3 << 13) | 100, 0x8100)
    + struct.pack("!HH", 200, 0x0800)
    + ipv4("192.168.1.10", "172.16.0.1", 6,
           tcp(p4b(6), 40000, 443, 0x01020304, 0x0A0B0C0D, SYN | ACK, 29200, b"xyz", opts),
           ttl=1, tos=0x10, ident=0x1234, flags=2, options=bytes([0x94, 0x04, 0, 0]))
)

# IPv6 with hop-by-hop (router alert), segment routing header (type 4, two
# segments, segments left 1), destination options (PadN only) and UDP. The
# UDP checksum uses the final destination, segment list[0] = 2001:db8::99.
seg0, seg1 = v6("2001:db8::99"), v6("2001:db8::2")
hbh = struct.pack("!BB", 43, 0) + bytes([5, 2, 0, 0]) + bytes([1, 0])           # RA, PadN(2)
srh = struct.pack("!BBBB", 60, 4, 4, 1) + bytes([1, 0, 0, 0]) + seg0 + seg1     # last entry 1
dst = struct.pack("!BB", 17, 0) + bytes([1, 4, 0, 0, 0, 0])                     # PadN(6)
body = udp(lambda n: pseudo6("2001:db8::1", "2001:db8::99", 17, n), 5000, 4789, b"payload!")
cases["ipv6_ext_udp"] = eth(MAC2, MAC1, 0x86DD) + ipv6("2001:db8::1", "2001:db8::2", 0,
    hbh + srh + dst + body, hlim=255, tc=0xB8, flow=0x12345)

# IPIP: outer 10.1.0.1 -> 10.1.0.2 carrying the Spec{} TCP SYN's IP packet.
inner = ipv4("10.0.0.1", "10.0.0.2", 6, tcp(p4(6), 12345, 80, 0, 0, SYN, 65535))
cases["ipip_tcp"] = eth(MAC2, MAC1, 0x0800) + ipv4("10.1.0.1", "10.1.0.2", 4, inner)


def vec(n, body):
    return len(body).to_bytes(n, "big") + body


def client_hello(sni, alpn, tls13, session_id=b"", suites=None, extra=b""):
    """TLS record with a ClientHello, RFC 8446 section 4.1.2 / RFC 6066 section 3."""
    if suites is None:
        suites = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F] if tls13 else [0xC02B, 0xC02F, 0xC02C, 0xC030, 0x009C]
    exts = b""
    if sni:
        exts += struct.pack("!H", 0) + vec(2, vec(2, b"\0" + vec(2, sni.encode())))
    if alpn:
        exts += struct.pack("!H", 16) + vec(2, vec(2, b"".join(vec(1, p.encode()) for p in alpn)))
    if tls13:
        exts += struct.pack("!H", 43) + vec(2, vec(1, struct.pack("!HH", 0x0304, 0x0303)))
    exts += extra
    body = (struct.pack("!H", 0x0303) + bytes(32) + vec(1, session_id)
            + vec(2, b"".join(struct.pack("!H", s) for s in suites)) + vec(1, b"\0"))
    if exts:
        body += vec(2, exts)
    hs = b"\x01" + vec(3, body)
    return b"\x16\x03\x01" + vec(2, hs)


cases["tls13_sni_alpn"] = client_hello("example.com", ["h2", "http/1.1"], True)
cases["tls12_sni_sid"] = client_hello("lb.test", None, False, session_id=bytes(range(1, 9)),
                                      extra=struct.pack("!H", 0xFF01) + vec(2, b"\0"))
cases["tls12_bare"] = client_hello("", None, False, suites=[0x002F])
# Spec{ServerName: "backend.example"}: TCP PSH|ACK to port 443 with a TLS 1.3 ClientHello.
cases["tcp4_sni"] = eth(MAC2, MAC1, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", 6,
    tcp(p4(6), 12345, 443, 0, 0, PSH | ACK, 65535, client_hello("backend.example", None, True)))

for name, b in cases.items():
    print(name, b.hex())
