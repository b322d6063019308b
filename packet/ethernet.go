package packet

import (
	"encoding/binary"
	"fmt"
	"net"
)

const (
	ethernetHeaderLen = 14
	vlanTagLen        = 4
)

// Ethernet is an Ethernet II header (IEEE 802.3): destination MAC, source MAC
// and EtherType, 14 bytes, no preamble or frame check sequence (what XDP and
// TC programs see).
type Ethernet struct {
	// Dst and Src are the MAC addresses: 6 bytes each, or nil for all zeros.
	// Parse sets them to slices of the parsed data.
	Dst, Src net.HardwareAddr
	// EtherType announces the next header. Zero means: taken from the
	// next layer (IPv4, IPv6, or a VLAN tag's TPID).
	EtherType EtherType
}

func (Ethernet) kind() layerKind { return kindEthernet }
func (Ethernet) sizeHint() int   { return ethernetHeaderLen }

func (h Ethernet) encode(b []byte, _ *encoder, next Layer) ([]byte, error) {
	if err := checkMAC("destination", h.Dst); err != nil {
		return b, err
	}
	if err := checkMAC("source", h.Src); err != nil {
		return b, err
	}
	t := h.EtherType
	if t == 0 {
		t = etherTypeOf(next)
	}
	b = appendMAC(b, h.Dst)
	b = appendMAC(b, h.Src)
	return binary.BigEndian.AppendUint16(b, uint16(t)), nil
}

func checkMAC(which string, mac net.HardwareAddr) error {
	if len(mac) != 0 && len(mac) != 6 {
		return fmt.Errorf("ethernet: %s MAC %v has %d bytes, want 6", which, mac, len(mac))
	}
	return nil
}

func appendMAC(b []byte, mac net.HardwareAddr) []byte {
	if len(mac) == 0 {
		return append(b, 0, 0, 0, 0, 0, 0)
	}
	return append(b, mac...)
}

// String returns e.g. "Ethernet 00:00:00:00:00:01 > 00:00:00:00:00:02 IPv4".
func (h Ethernet) String() string {
	return fmt.Sprintf("Ethernet %s > %s %v", macString(h.Src), macString(h.Dst), h.EtherType)
}

func macString(m net.HardwareAddr) string {
	if len(m) == 0 {
		return "00:00:00:00:00:00"
	}
	return m.String()
}

// VLAN is an IEEE 802.1Q tag (TPID 0x8100) or 802.1ad service tag (TPID
// 0x88a8, "QinQ"). Put it right after [Ethernet] or another VLAN; the
// preceding header's EtherType field holds the TPID, and the tag holds the
// TCI and the next EtherType.
type VLAN struct {
	// TPID is the tag protocol identifier written by the preceding header:
	// zero means [EtherTypeVLAN]. Use [EtherTypeQinQ] for an outer S-tag.
	TPID EtherType
	// Priority is the 3-bit priority code point (PCP).
	Priority uint8
	// DropEligible is the drop eligible indicator (DEI, formerly CFI).
	DropEligible bool
	// ID is the 12-bit VLAN identifier (VID).
	ID uint16
	// EtherType announces the next header; zero means: taken from the next layer.
	EtherType EtherType
}

func (VLAN) kind() layerKind { return kindVLAN }
func (VLAN) sizeHint() int   { return vlanTagLen }

func (h VLAN) encode(b []byte, e *encoder, next Layer) ([]byte, error) {
	if e.prev != kindEthernet && e.prev != kindVLAN {
		return b, fmt.Errorf("vlan: must follow an Ethernet header or another VLAN tag")
	}
	if h.ID > 0xfff {
		return b, fmt.Errorf("vlan: id %d exceeds 12 bits", h.ID)
	}
	if h.Priority > 7 {
		return b, fmt.Errorf("vlan: priority %d exceeds 3 bits", h.Priority)
	}
	tci := uint16(h.Priority)<<13 | h.ID
	if h.DropEligible {
		tci |= 1 << 12
	}
	t := h.EtherType
	if t == 0 {
		t = etherTypeOf(next)
	}
	b = binary.BigEndian.AppendUint16(b, tci)
	return binary.BigEndian.AppendUint16(b, uint16(t)), nil
}

// String returns e.g. "VLAN 802.1Q id 100 IPv4".
func (h VLAN) String() string {
	tpid := h.TPID
	if tpid == 0 {
		tpid = EtherTypeVLAN
	}
	s := fmt.Sprintf("VLAN %v id %d", tpid, h.ID)
	if h.Priority != 0 {
		s += fmt.Sprintf(" pcp %d", h.Priority)
	}
	if h.DropEligible {
		s += " dei"
	}
	return s + " " + h.EtherType.String()
}

// Payload is raw bytes: application data after a transport header, or any
// header the package has no type for (put the next layers after it, e.g. an
// inner Ethernet frame after a VXLAN header). [Parse] returns the bytes it
// does not decode as a Payload layer.
type Payload []byte

func (Payload) kind() layerKind  { return kindPayload }
func (p Payload) sizeHint() int  { return len(p) }
func (p Payload) String() string { return fmt.Sprintf("Payload %d bytes", len(p)) }
func (p Payload) encode(b []byte, _ *encoder, _ Layer) ([]byte, error) {
	return append(b, p...), nil
}
