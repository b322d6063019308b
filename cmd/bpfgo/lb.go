package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/lb"
	"github.com/bpfgo/bpf/link"
)

func init() {
	register(&command{
		Name:    "lb",
		Summary: "the XDP/TC layer-4 load balancer: verify, dump, run",
		Usage: "lb verify [--sni-port N]\n" +
			"       bpfgo lb dump [--sni-port N]\n" +
			"       bpfgo lb run --iface IF[,IF...] --service PORT/tcp|udp [--vip ADDR] --backend ADDR:PORT\n" +
			"                    [--weighted ADDR:PORT=WEIGHT]... [--src PREFIX=ADDR:PORT]... [--sni HOST=ADDR:PORT]...\n" +
			"                    [--mode generic|driver]\n" +
			"                    [--duration D] [--interval D]",
		Run: runLB,
	})
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runLB(rc *runContext, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: want verify, dump or run", errUsage)
	}
	fs := flag.NewFlagSet("lb", flag.ContinueOnError)
	sniPort := fs.Uint("sni-port", 443, "TCP port whose TLS ClientHellos are routed by SNI")
	switch args[0] {
	case "verify":
		if pos, err := parseFlags(fs, args[1:]); err != nil {
			return err
		} else if len(pos) != 0 {
			return fmt.Errorf("%w: lb verify takes no arguments", errUsage)
		}
		spec, err := lbSpec(*sniPort)
		if err != nil {
			return err
		}
		ing, eg := spec.ProgramSpecs()
		if err := lb.Verify(spec); err != nil {
			var ve *bpf.VerifierError
			if errors.As(err, &ve) {
				fmt.Fprintf(rc.Stdout, "invalid: %+v\n", ve)
			}
			return err
		}
		fmt.Fprintf(rc.Stdout, "valid: %s (%d instructions) and %s (%d instructions) pass the verifier\n",
			ing.Name, lbCount(ing.Instructions), eg.Name, lbCount(eg.Instructions))
		return nil
	case "dump":
		if pos, err := parseFlags(fs, args[1:]); err != nil {
			return err
		} else if len(pos) != 0 {
			return fmt.Errorf("%w: lb dump takes no arguments", errUsage)
		}
		spec, err := lbSpec(*sniPort)
		if err != nil {
			return err
		}
		return lb.Dump(rc.Stdout, spec)
	case "run":
		return runLBRun(rc, fs, sniPort, args[1:])
	}
	return fmt.Errorf("%w: unknown lb command %q", errUsage, args[0])
}

// lbCount counts instructions, not labels.
func lbCount(insns asm.Instructions) int {
	n := 0
	for _, ins := range insns {
		if !ins.IsLabel() {
			n++
		}
	}
	return n
}

func lbSpec(port uint) (*lb.Spec, error) {
	if port == 0 || port > 65535 {
		return nil, fmt.Errorf("%w: --sni-port %d out of range", errUsage, port)
	}
	return &lb.Spec{SNIPort: uint16(port)}, nil
}

// parseLBService parses "PORT/tcp" or "PORT/udp".
func parseLBService(s string) (uint16, lb.Proto, error) {
	port, proto, ok := strings.Cut(s, "/")
	if !ok {
		proto = "tcp"
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return 0, 0, fmt.Errorf("%w: --service %q: want PORT/tcp or PORT/udp", errUsage, s)
	}
	switch strings.ToLower(proto) {
	case "tcp":
		return uint16(p), lb.TCP, nil
	case "udp":
		return uint16(p), lb.UDP, nil
	}
	return 0, 0, fmt.Errorf("%w: --service %q: protocol %q is not tcp or udp", errUsage, s, proto)
}

// parseLBRoute parses "KEY=ADDR:PORT".
func parseLBRoute(flagName, s string) (string, netip.AddrPort, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", netip.AddrPort{}, fmt.Errorf("%w: --%s %q: want KEY=ADDR:PORT", errUsage, flagName, s)
	}
	b, err := netip.ParseAddrPort(v)
	if err != nil {
		return "", netip.AddrPort{}, fmt.Errorf("%w: --%s %q: backend: %v", errUsage, flagName, s, err)
	}
	return k, b, nil
}

func runLBRun(rc *runContext, fs *flag.FlagSet, sniPort *uint, args []string) error {
	ifaces := fs.String("iface", "", "interfaces to attach to, comma-separated")
	service := fs.String("service", "", "the service: PORT/tcp or PORT/udp")
	vipFlag := fs.String("vip", "", "the service's IPv4 address (VIP); empty: any destination address")
	backend := fs.String("backend", "", "the default backend ADDR:PORT")
	mode := fs.String("mode", "generic", "XDP mode: generic or driver")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	interval := fs.Duration("interval", time.Second, "print the counters this often")
	var srcRoutes, sniRoutes, weighted multiFlag
	fs.Var(&weighted, "weighted", "weighted backend ADDR:PORT=WEIGHT (repeatable): new flows spread over these")
	fs.Var(&srcRoutes, "src", "source route PREFIX=ADDR:PORT (repeatable)")
	fs.Var(&sniRoutes, "sni", "SNI route HOST=ADDR:PORT (repeatable)")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		return fmt.Errorf("%w: lb run takes flags only", errUsage)
	}
	if *ifaces == "" || *service == "" || *backend == "" {
		return fmt.Errorf("%w: lb run needs --iface, --service and --backend", errUsage)
	}
	if *interval <= 0 {
		return fmt.Errorf("%w: --interval must be positive", errUsage)
	}
	var xdpMode link.XDPMode
	switch *mode {
	case "generic", "skb":
		xdpMode = link.XDPGeneric
	case "driver", "drv", "native":
		xdpMode = link.XDPDriver
	default:
		return fmt.Errorf("%w: --mode %q: want generic or driver", errUsage, *mode)
	}
	port, proto, err := parseLBService(*service)
	if err != nil {
		return err
	}
	def, err := netip.ParseAddrPort(*backend)
	if err != nil {
		return fmt.Errorf("%w: --backend %q: %v", errUsage, *backend, err)
	}
	var vip netip.Addr
	if *vipFlag != "" {
		if vip, err = netip.ParseAddr(*vipFlag); err != nil {
			return fmt.Errorf("%w: --vip %q: %v", errUsage, *vipFlag, err)
		}
	}
	spec, err := lbSpec(*sniPort)
	if err != nil {
		return err
	}
	var table []lb.Backend
	for _, wb := range weighted {
		a, ws, ok := strings.Cut(wb, "=")
		b, err := netip.ParseAddrPort(a)
		if !ok || err != nil {
			return fmt.Errorf("%w: --weighted %q: want ADDR:PORT=WEIGHT", errUsage, wb)
		}
		wt, err := strconv.ParseUint(ws, 10, 32)
		if err != nil {
			return fmt.Errorf("%w: --weighted %q: weight: %v", errUsage, wb, err)
		}
		table = append(table, lb.Backend{Addr: b, Weight: uint32(wt)})
	}
	var indexes []int
	var names []string
	for _, name := range strings.Split(*ifaces, ",") {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return fmt.Errorf("interface %q: %w", name, err)
		}
		indexes = append(indexes, ifi.Index)
		names = append(names, name)
	}

	l, err := lb.New(spec)
	if err != nil {
		return err
	}
	defer l.Close()
	// One service per interface, all with the same routes.
	var svcs []lb.Service
	for _, i := range indexes {
		svc := lb.Service{Interface: i, Addr: vip, Port: port, Proto: proto}
		if err := l.AddService(svc, def); err != nil {
			return err
		}
		if len(table) > 0 {
			if err := l.SetBackends(svc, table); err != nil {
				return err
			}
		}
		for _, r := range srcRoutes {
			k, b, err := parseLBRoute("src", r)
			if err != nil {
				return err
			}
			p, err := netip.ParsePrefix(k)
			if err != nil {
				return fmt.Errorf("%w: --src %q: prefix: %v", errUsage, r, err)
			}
			if err := l.AddSourceRoute(svc, p, b); err != nil {
				return err
			}
		}
		for _, r := range sniRoutes {
			k, b, err := parseLBRoute("sni", r)
			if err != nil {
				return err
			}
			if err := l.AddSNIRoute(svc, k, b); err != nil {
				return err
			}
		}
		svcs = append(svcs, svc)
	}
	for n, i := range indexes {
		if err := l.AttachXDP(i, xdpMode); err != nil {
			return err
		}
		tc, err := l.AttachTC(i, lb.TCAuto)
		if err != nil {
			return err
		}
		fmt.Fprintf(rc.Stdout, "attached to %s (ifindex %d): XDP %v, TC egress %v\n", names[n], i, xdpMode, tc)
	}
	fmt.Fprintf(rc.Stdout, "balancing %d/%v to %v (%d weighted backends, %d source routes, %d SNI routes)\n",
		port, proto, def, len(table), len(srcRoutes), len(sniRoutes))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := lbPrintStats(rc.Stdout, l, svcs, names); err != nil {
				return err
			}
			return l.Close()
		case <-tick.C:
			if err := lbPrintStats(rc.Stdout, l, svcs, names); err != nil {
				return err
			}
		}
	}
}

func lbPrintStats(w io.Writer, l *lb.LB, svcs []lb.Service, names []string) error {
	for n, svc := range svcs {
		st, err := l.Stats(svc)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %d packets %d bytes (source %d, sni %d, flow %d, default %d), %d replies %d bytes\n",
			names[n], st.Packets, st.Bytes, st.BySource, st.BySNI, st.ByFlow, st.ByDefault, st.Replies, st.ReplyBytes)
	}
	flows := 0
	it := l.Conns()
	for f, c := range it.All() {
		flows++
		if flows <= 8 {
			fmt.Fprintf(w, "  %v %v -> %v (via %v)\n", f.Proto, f.Client, f.Backend, c.VIP)
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  %d flows\n", flows)
	return nil
}
