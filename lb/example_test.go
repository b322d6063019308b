package lb_test

import (
	"fmt"
	"log"
	"net/netip"
	"os"

	"github.com/bpfgo/bpf/lb"
	"github.com/bpfgo/bpf/link"
)

// A load balancer for HTTPS on port 443 of eth0: by default to one backend, the API's
// hostname to another, and one client network to a third. Replies are rewritten back to the
// VIP by the TC egress program on the same interface.
func Example() {
	l, err := lb.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	svc := lb.Service{Interface: 2, Port: 443, Proto: lb.TCP}
	if err := l.AddService(svc, netip.MustParseAddrPort("10.1.0.10:8443")); err != nil {
		log.Fatal(err)
	}
	if err := l.AddSNIRoute(svc, "api.example.com", netip.MustParseAddrPort("10.1.0.11:8443")); err != nil {
		log.Fatal(err)
	}
	if err := l.AddSourceRoute(svc, netip.MustParsePrefix("198.51.100.0/24"), netip.MustParseAddrPort("10.1.0.12:8443")); err != nil {
		log.Fatal(err)
	}
	if err := l.Attach(link.XDPGeneric, svc.Interface); err != nil {
		log.Fatal(err)
	}
	st, err := l.Stats(svc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Packets, "packets balanced")
	it := l.Conns()
	for flow, conn := range it.All() {
		fmt.Println(flow.Client, "talks to", flow.Backend, "through", conn.VIP)
	}
	if err := it.Err(); err != nil {
		log.Fatal(err)
	}
}

// SNI hostnames are matched in lower case without a trailing dot.
func ExampleNormalizeHostname() {
	h, err := lb.NormalizeHostname("API.Example.COM.")
	fmt.Println(h, err)
	_, err = lb.NormalizeHostname("bad name")
	fmt.Println(err)
	// Output:
	// api.example.com <nil>
	// hostname "bad name": character ' ' at 3: bad hostname
}

// The bytecode of both programs, without a kernel.
func ExampleDump() {
	if err := lb.Dump(os.Stdout, &lb.Spec{SNIPort: 8443}); err != nil {
		log.Fatal(err)
	}
}
