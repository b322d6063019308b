package packet

import "testing"

var sinkBytes []byte

// BenchmarkBuildTCP4 builds the default Ethernet/IPv4/TCP frame from a Spec.
func BenchmarkBuildTCP4(b *testing.B) {
	spec := Spec{Payload: make([]byte, 64)}
	b.ReportAllocs()
	b.SetBytes(int64(len(spec.MustBuild())))
	for b.Loop() {
		sinkBytes, _ = spec.Build()
	}
}

// BenchmarkAppendTCP4 builds the same frame from prepared layers into a
// reused buffer: what a test loop that varies one field pays.
func BenchmarkAppendTCP4(b *testing.B) {
	layers, err := Spec{Payload: make([]byte, 64)}.Layers()
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(MustBuild(layers...))))
	for b.Loop() {
		buf, _ = Append(buf[:0], layers...)
	}
	sinkBytes = buf
}

// BenchmarkParseTCP4 parses an Ethernet/IPv4/TCP frame and verifies its checksums.
func BenchmarkParseTCP4(b *testing.B) {
	frame := Spec{Payload: make([]byte, 64)}.MustBuild()
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		p, err := Parse(frame)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.VerifyChecksums(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChecksum1500 checksums a full-MTU packet's worth of bytes.
func BenchmarkChecksum1500(b *testing.B) {
	data := make([]byte, 1500)
	for i := range data {
		data[i] = byte(i)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var c uint16
	for b.Loop() {
		c += Checksum(data)
	}
	_ = c
}

// BenchmarkServerName extracts the SNI from a ClientHello record.
func BenchmarkServerName(b *testing.B) {
	rec := MustBuild(ClientHello{ServerName: "backend.example", ALPN: []string{"h2", "http/1.1"}})
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, err := ServerName(rec); err != nil {
			b.Fatal(err)
		}
	}
}
