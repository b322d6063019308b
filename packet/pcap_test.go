package packet

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// writePcap writes frames to a classic pcap file (link type Ethernet), the
// format tcpdump and Wireshark read.
func writePcap(t testing.TB, path string, frames [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4) // magic, microsecond timestamps
	le.PutUint16(hdr[4:], 2)          // version 2.4
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535) // snaplen
	le.PutUint32(hdr[20:], 1)     // LINKTYPE_ETHERNET
	buf.Write(hdr)
	for i, f := range frames {
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(1700000000+i))
		le.PutUint32(rec[8:], uint32(len(f)))
		le.PutUint32(rec[12:], uint32(len(f)))
		buf.Write(rec)
		buf.Write(f)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tcpdump returns tcpdump's verbose decoding of frames. It skips when
// tcpdump is not installed, and fails then under BPFGO_REQUIRE_KERNEL=1 (CI).
func tcpdump(t *testing.T, frames [][]byte) string {
	t.Helper()
	bin := testutil.RequireTool(t, "tcpdump") // the independent checksum check
	path := filepath.Join(t.TempDir(), "frames.pcap")
	writePcap(t, path, frames)
	out, err := exec.Command(bin, "-r", path, "-e", "-n", "-vvv", "-K=false").CombinedOutput()
	if err != nil {
		// Older tcpdump has no -K=false; verification is on by default.
		out, err = exec.Command(bin, "-r", path, "-e", "-n", "-vvv").CombinedOutput()
	}
	if err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, out)
	}
	return string(out)
}

var badChecksum = regexp.MustCompile(`(?i)bad (udp |icmp6 )?cksum|wrong icmp cksum|incorrect`)

// TestTcpdumpAgrees has tcpdump, an independent decoder, check the lengths
// and checksums of the frames the package builds.
func TestTcpdumpAgrees(t *testing.T) {
	var frames [][]byte
	var names []string
	for name, b := range readReference(t) {
		if !strings.HasPrefix(name, "tls") {
			frames = append(frames, b)
			names = append(names, name)
		}
	}
	frames = append(frames, Spec{VLANs: []uint16{7}, Protocol: IPProtoUDP, Payload: []byte{0, 0}}.MustBuild())
	names = append(names, "spec vlan udp")
	out := tcpdump(t, frames)
	if m := badChecksum.FindString(out); m != "" {
		t.Errorf("tcpdump reports %q:\n%s", m, out)
	}
	for _, want := range []string{
		"cksum 0x6b57 (correct)", // the Spec{} TCP SYN
		"[udp sum ok]",           // UDP over IPv4 and IPv6
		"[icmp6 sum ok]",         // ICMPv6 echo
		"ICMP echo request, id 12345, seq 1",
		"RT6 (len=4, type=4, segleft=1",           // segment routing header
		"DSTOPT (padn) 5000 > 4789: [udp sum ok]", // checksum over the final destination
		"vlan 100, p 3, ethertype 802.1Q",         // QinQ
		"10.1.0.1 > 10.1.0.2: (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto TCP", // IPIP
		"options (RA)",                    // IPv4 option
		"options [mss 1460,nop,wscale 7]", // TCP options
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tcpdump output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("frames: %v\n%s", names, out)
	}
}

// TestTcpdumpSeesCorruption makes sure the tcpdump check has teeth.
func TestTcpdumpSeesCorruption(t *testing.T) {
	for _, tt := range []struct {
		name string
		spec Spec
		at   int
	}{
		{"udp payload", Spec{Protocol: IPProtoUDP, Payload: []byte("x")}, 42},
		{"tcp payload", Spec{Payload: []byte("x")}, 54},
		{"ipv4 ttl", Spec{Protocol: IPProtoUDP}, 22},
		{"icmp payload", Spec{Protocol: IPProtoICMP, Payload: []byte("x")}, 42},
		{"icmpv6 id", Spec{IPv6: true, Protocol: IPProtoICMP}, 58},
	} {
		b := tt.spec.MustBuild()
		b[tt.at] ^= 0xff
		if out := tcpdump(t, [][]byte{b}); !badChecksum.MatchString(out) {
			t.Errorf("%s: tcpdump did not report the corruption:\n%s", tt.name, out)
		}
	}
}
