// Package lb is a layer-4 load balancer built from two BPF programs generated in Go at run
// time (the port of clj-ebpf's load balancer, seed 004):
//
//   - an XDP ingress program ([XDPIngress]) that parses Ethernet/IPv4/TCP|UDP, picks a
//     backend for frames to a service — by source prefix (LPM trie), by the SNI hostname of a
//     TLS ClientHello, by the flow's conntrack entry, or the service's default (one backend,
//     or a weighted table picked by a hash of the flow) — rewrites the destination address
//     and port (DNAT) with incremental checksum updates, records the flow in an LRU conntrack
//     map and passes the frame to the stack;
//   - a TC egress program ([TCEgress]) that rewrites the replies of the backends back to the
//     VIP the client sent to (SNAT), fixing checksums with the skb helpers.
//
// [New] creates the maps and loads both programs; an [LB] adds services, weighted backends
// and routes, attaches to interfaces (XDP with a BPF link, TC egress with TCX where the kernel
// has it, cls_bpf otherwise), reads conntrack entries and per-service counters, and releases
// everything on Close. [Verify] is a dry run, [Dump] prints the bytecode, and [XDPPass] and
// [IPv4Filter] are the seed's small XDP programs.
//
// Packets of a flow seen before take a fast path: when the flow's two conntrack entries
// already say what the packet does, their times are refreshed in place instead of rewritten.
//
// # Map layouts
//
// Addresses and ports are stored in network order, ids and counters in host order.
//
//	lb_listen      Hash     {ifindex u32, vip, port be16, proto u8, 0}   -> {addr, port be16, flags u16, service u32}
//	lb_src_routes  LPMTrie  {prefixlen u32 (32 + bits), service u32, addr} -> same as listen
//	lb_sni_routes  Hash     {service u32, len u32, name [128]byte}        -> same as listen
//	lb_conntrack   LRUHash  {proto u8, dir u8, 0, src, dst, sport, dport} -> {addr, port, 0, service, 0, last_seen_ns u64}
//	lb_stats       PerCPUArray service -> Stats (8 × u64)
//	lb_backends    Array    service * TableSize + slot -> same as listen (address 0: empty)
//
// SNI key scheme: the hostname in ASCII lower case (the XDP program lower-cases 8 bytes at a
// time with a branch-free bit trick, [NormalizeHostname] in Go), zero-padded to 128 bytes,
// with its length and the service id in front, so a lookup is one exact hash match. Names
// longer than [MaxHostnameLen] are not routed by SNI.
//
// # Limits
//
// IPv4 only (IPv6 and other EtherTypes pass untouched), no VLAN tags, no IP fragments (they
// pass untouched). A service without a VIP matches on (interface, port, protocol) whatever the
// destination address, as the seed's listen map does: every frame to that port on that
// interface is balanced; give the Service an Addr to balance only frames to that VIP. The backend must be reachable by the stack after XDP_PASS (a local address, or
// routed onward with forwarding enabled), and its replies must leave through an interface
// where the TC program is attached. The SNI route applies to the segment that carries the ClientHello; since a
// TCP connection's SYN comes before it, the SYN goes to the flow's default (or source-routed)
// backend and the flow's conntrack entry moves to the SNI backend only with the ClientHello:
// SNI routing of real TCP connections therefore needs the ClientHello in the SYN (TCP Fast
// Open) or backends that share state. UDP and TCP routed by source prefix or by service
// behave like any NAT.
package lb

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"net/netip"
	"sync"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/link"
)

// LB is a live load balancer: its maps, its two programs and their attachments. Its methods
// are safe for concurrent use. Close releases every fd.
type LB struct {
	mu       sync.Mutex
	spec     Spec
	maps     map[string]*bpf.Map
	ingress  *bpf.Program
	egress   *bpf.Program
	listen   *bpf.TypedMap[listenKey, target]
	src      *bpf.TypedMap[srcKey, target]
	sni      *bpf.TypedMap[sniKey, target]
	ct       *bpf.TypedMap[connKey, connValue]
	stats    *bpf.PerCPUTypedMap[uint32, Stats]
	backends *bpf.TypedMap[uint32, target]
	services map[Service]*serviceState
	xdp      map[int]io.Closer
	tc       map[int]io.Closer
	closed   bool
}

type serviceState struct {
	id      uint32
	backend netip.AddrPort
	table   []Backend
	src     map[netip.Prefix]netip.AddrPort
	sni     map[string]netip.AddrPort
}

// New creates the load balancer's maps (see MapSpecs) and loads its two programs. The caller
// must Close the LB. A program the verifier rejects gives a *bpf.VerifierError.
func New(spec *Spec) (_ *LB, err error) {
	sp := spec.withDefaults()
	if sp.MaxServices > 1<<16 {
		return nil, fmt.Errorf("lb: MaxServices %d: at most 65536", sp.MaxServices)
	}
	lb := &LB{spec: sp, maps: map[string]*bpf.Map{}, services: map[Service]*serviceState{},
		xdp: map[int]io.Closer{}, tc: map[int]io.Closer{}}
	defer func() {
		if err != nil {
			lb.Close()
		}
	}()
	handles := map[string]asm.MapHandle{}
	for name, ms := range sp.MapSpecs() {
		m, err := bpf.NewMap(ms)
		if err != nil {
			return nil, fmt.Errorf("lb: map %q: %w", name, err)
		}
		lb.maps[name] = m
		handles[name] = m
	}
	if lb.listen, err = bpf.NewTypedMap[listenKey, target](lb.maps[MapListen]); err != nil {
		return nil, fmt.Errorf("lb: %w", err)
	}
	if lb.src, err = bpf.NewTypedMap[srcKey, target](lb.maps[MapSource]); err != nil {
		return nil, fmt.Errorf("lb: %w", err)
	}
	if lb.sni, err = bpf.NewTypedMap[sniKey, target](lb.maps[MapSNI]); err != nil {
		return nil, fmt.Errorf("lb: %w", err)
	}
	if lb.ct, err = bpf.NewTypedMap[connKey, connValue](lb.maps[MapConntrack]); err != nil {
		return nil, fmt.Errorf("lb: %w", err)
	}
	if lb.stats, err = bpf.NewPerCPUTypedMap[uint32, Stats](lb.maps[MapStats]); err != nil {
		return nil, fmt.Errorf("lb: %w", err)
	}
	if lb.backends, err = bpf.NewTypedMap[uint32, target](lb.maps[MapBackends]); err != nil {
		return nil, fmt.Errorf("lb: %w", err)
	}
	ing, eg := sp.ProgramSpecs()
	opts := &bpf.ProgramOptions{Maps: handles}
	if lb.ingress, err = bpf.NewProgramWithOptions(ing, opts); err != nil {
		return nil, fmt.Errorf("lb: XDP ingress program: %w", err)
	}
	if lb.egress, err = bpf.NewProgramWithOptions(eg, opts); err != nil {
		return nil, fmt.Errorf("lb: TC egress program: %w", err)
	}
	return lb, nil
}

// Verify loads the load balancer's programs against fresh maps and closes everything again
// (clj-ebpf's verify-program, a dry run). It returns nil when the kernel accepts both
// programs, or the rejection (a *bpf.VerifierError for the verifier's).
func Verify(spec *Spec) error {
	lb, err := New(spec)
	if err != nil {
		return err
	}
	return lb.Close()
}

// Ingress returns the XDP ingress program. The LB keeps ownership.
func (lb *LB) Ingress() *bpf.Program { return lb.ingress }

// Egress returns the TC egress program. The LB keeps ownership.
func (lb *LB) Egress() *bpf.Program { return lb.egress }

// Map returns one of the load balancer's maps by name (MapListen, ...), or nil. The LB keeps
// ownership.
func (lb *LB) Map(name string) *bpf.Map { return lb.maps[name] }

// Close detaches the programs from every interface and closes the programs and maps. It is
// safe to call twice.
func (lb *LB) Close() error {
	if lb == nil {
		return nil
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.closed {
		return nil
	}
	lb.closed = true
	var errs []error
	for i, l := range lb.xdp {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("lb: detach XDP from interface %d: %w", i, err))
		}
	}
	for i, l := range lb.tc {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("lb: detach TC from interface %d: %w", i, err))
		}
	}
	lb.xdp, lb.tc = nil, nil
	for _, p := range []*bpf.Program{lb.ingress, lb.egress} {
		if p != nil {
			if err := p.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, m := range lb.maps {
		if err := m.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (lb *LB) lock() error {
	lb.mu.Lock()
	if lb.closed {
		lb.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// lockService locks lb for a change of svc and returns the service's state; on an error lb is
// left unlocked.
func (lb *LB) lockService(svc Service) (*serviceState, error) {
	if err := lb.lock(); err != nil {
		return nil, err
	}
	st, ok := lb.services[svc]
	if !ok {
		lb.mu.Unlock()
		return nil, fmt.Errorf("service %v: %w", svc, ErrUnknownService)
	}
	return st, nil
}

// AddService adds a service with its default backend, or changes the default backend of an
// existing one. A service gets an id (its stats slot) that it keeps until removed.
func (lb *LB) AddService(svc Service, backend netip.AddrPort) error {
	if err := svc.check(); err != nil {
		return err
	}
	if err := checkBackend("backend", backend); err != nil {
		return fmt.Errorf("service %v: %w", svc, err)
	}
	if err := lb.lock(); err != nil {
		return err
	}
	defer lb.mu.Unlock()
	st, ok := lb.services[svc]
	if !ok {
		id, err := lb.freeID()
		if err != nil {
			return fmt.Errorf("service %v: %w", svc, err)
		}
		// Start the slot's counters from zero: a removed service may have used it.
		zero := make([]Stats, lb.stats.NumCPU())
		if err := lb.stats.Update(id, zero, bpf.UpdateAny); err != nil {
			return fmt.Errorf("service %v: reset stats: %w", svc, err)
		}
		st = &serviceState{id: id, src: map[netip.Prefix]netip.AddrPort{}, sni: map[string]netip.AddrPort{}}
	}
	v := newTarget(backend, st.id)
	if len(st.table) > 0 {
		v.Flags |= flagTable
	}
	if err := lb.listen.Update(svc.key(), v, bpf.UpdateAny); err != nil {
		return fmt.Errorf("service %v: %w", svc, err)
	}
	st.backend = backend
	lb.services[svc] = st
	return nil
}

// SetBackends gives a service a weighted set of backends: new flows of the service are spread
// over them in proportion to their weights, by a hash of the flow (client address and port,
// service port, protocol) into the service's TableSize slots, so a flow always hashes to the
// same backend. Flows already balanced keep their backend (their conntrack entry) while
// their entry lives. Source and SNI routes still come first. An empty list goes back to the
// default backend of AddService. A backend may appear once; weights must add up to at least
// one and to at most 2^32-1.
func (lb *LB) SetBackends(svc Service, backends []Backend) error {
	var total uint64
	seen := map[netip.AddrPort]bool{}
	for _, b := range backends {
		if err := checkBackend("backend", b.Addr); err != nil {
			return fmt.Errorf("service %v: %w", svc, err)
		}
		if seen[b.Addr] {
			return fmt.Errorf("service %v: backend %v listed twice: %w", svc, b.Addr, ErrBadAddress)
		}
		seen[b.Addr] = true
		total += uint64(b.Weight)
	}
	if len(backends) > 0 && (total == 0 || total > 1<<32-1) {
		return fmt.Errorf("service %v: backend weights add up to %d: want 1 to 2^32-1: %w", svc, total, ErrBadAddress)
	}
	st, err := lb.lockService(svc)
	if err != nil {
		return err
	}
	defer lb.mu.Unlock()
	slots := tableSlots(backends)
	for i, b := range slots {
		v := target{}
		if b.IsValid() {
			v = newTarget(b, st.id)
		}
		if err := lb.backends.Update(st.id*TableSize+uint32(i), v, bpf.UpdateAny); err != nil {
			return fmt.Errorf("service %v: backend table: %w", svc, err)
		}
	}
	v := newTarget(st.backend, st.id)
	if len(backends) > 0 {
		v.Flags |= flagTable
	}
	if err := lb.listen.Update(svc.key(), v, bpf.UpdateAny); err != nil {
		return fmt.Errorf("service %v: %w", svc, err)
	}
	st.table = append([]Backend(nil), backends...)
	return nil
}

// tableSlots deals TableSize slots to the backends in proportion to their weights (largest
// remainder, every backend with a weight gets at least one slot while slots last) and
// interleaves them. Without backends all slots are empty.
func tableSlots(backends []Backend) [TableSize]netip.AddrPort {
	var slots [TableSize]netip.AddrPort
	var total uint64
	for _, b := range backends {
		total += uint64(b.Weight)
	}
	if total == 0 {
		return slots
	}
	counts := make([]int, len(backends))
	type rem struct {
		i int
		r uint64
	}
	var rems []rem
	used := 0
	for i, b := range backends {
		q := uint64(b.Weight) * TableSize
		counts[i] = int(q / total)
		if b.Weight > 0 && counts[i] == 0 {
			counts[i] = 1
		}
		used += counts[i]
		rems = append(rems, rem{i, q % total})
	}
	// Largest remainders first, ties by order.
	for used < TableSize {
		best := -1
		for j, r := range rems {
			if backends[r.i].Weight > 0 && (best < 0 || r.r > rems[best].r) {
				best = j
			}
		}
		counts[rems[best].i]++
		rems[best].r = 0
		used++
	}
	for used > TableSize { // minimum slots for tiny weights overflowed: take from the largest
		big := 0
		for i := range counts {
			if counts[i] > counts[big] {
				big = i
			}
		}
		counts[big]--
		used--
	}
	// Interleave: round-robin over the backends with slots left.
	n := 0
	for n < TableSize {
		for i := range backends {
			if counts[i] > 0 && n < TableSize {
				slots[n] = backends[i].Addr
				counts[i]--
				n++
			}
		}
	}
	return slots
}

// Backends returns a service's weighted backends (nil when it uses its default backend).
func (lb *LB) Backends(svc Service) ([]Backend, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	st, ok := lb.services[svc]
	if !ok {
		return nil, fmt.Errorf("service %v: %w", svc, ErrUnknownService)
	}
	return append([]Backend(nil), st.table...), nil
}

func (lb *LB) freeID() (uint32, error) {
	used := make(map[uint32]bool, len(lb.services))
	for _, st := range lb.services {
		used[st.id] = true
	}
	for id := range lb.spec.MaxServices {
		if !used[id] {
			return id, nil
		}
	}
	return 0, fmt.Errorf("%w (MaxServices %d)", ErrTooManyServices, lb.spec.MaxServices)
}

// RemoveService removes a service with its routes. Conntrack entries of its flows stay until
// the LRU map evicts them (replies of those flows are still rewritten).
func (lb *LB) RemoveService(svc Service) error {
	st, err := lb.lockService(svc)
	if err != nil {
		return err
	}
	defer lb.mu.Unlock()
	var errs []error
	for p := range st.src {
		if err := lb.src.Delete(newSrcKey(st.id, p)); err != nil {
			errs = append(errs, err)
		}
	}
	for h := range st.sni {
		if err := lb.sni.Delete(newSNIKey(st.id, h)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := lb.listen.Delete(svc.key()); err != nil {
		errs = append(errs, err)
	}
	for i := range uint32(TableSize) {
		if err := lb.backends.Update(st.id*TableSize+i, target{}, bpf.UpdateAny); err != nil {
			errs = append(errs, err)
			break
		}
	}
	delete(lb.services, svc)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("service %v: remove: %w", svc, err)
	}
	return nil
}

// Services returns the services and their default backends.
func (lb *LB) Services() map[Service]netip.AddrPort {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	out := make(map[Service]netip.AddrPort, len(lb.services))
	for s, st := range lb.services {
		out[s] = st.backend
	}
	return out
}

// ServiceID returns the id of a service (its stats slot and the id in its route keys).
func (lb *LB) ServiceID(svc Service) (uint32, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	st, ok := lb.services[svc]
	if !ok {
		return 0, fmt.Errorf("service %v: %w", svc, ErrUnknownService)
	}
	return st.id, nil
}

// AddSourceRoute sends the clients of svc whose address is in prefix to backend; among
// overlapping prefixes the longest wins. Source routes come first, before SNI routes and the
// flow's conntrack entry. Host bits of prefix are ignored (10.1.2.3/8 is 10.0.0.0/8).
func (lb *LB) AddSourceRoute(svc Service, prefix netip.Prefix, backend netip.AddrPort) error {
	if err := checkPrefix(prefix); err != nil {
		return fmt.Errorf("service %v: %w", svc, err)
	}
	if err := checkBackend("backend", backend); err != nil {
		return fmt.Errorf("service %v: source route %v: %w", svc, prefix, err)
	}
	st, err := lb.lockService(svc)
	if err != nil {
		return err
	}
	defer lb.mu.Unlock()
	prefix = prefix.Masked()
	if err := lb.src.Update(newSrcKey(st.id, prefix), newTarget(backend, st.id), bpf.UpdateAny); err != nil {
		return fmt.Errorf("service %v: source route %v: %w", svc, prefix, err)
	}
	st.src[prefix] = backend
	return nil
}

// RemoveSourceRoute removes a source route; bpf.ErrKeyNotExist if there is none.
func (lb *LB) RemoveSourceRoute(svc Service, prefix netip.Prefix) error {
	if err := checkPrefix(prefix); err != nil {
		return fmt.Errorf("service %v: %w", svc, err)
	}
	st, err := lb.lockService(svc)
	if err != nil {
		return err
	}
	defer lb.mu.Unlock()
	prefix = prefix.Masked()
	if err := lb.src.Delete(newSrcKey(st.id, prefix)); err != nil {
		return fmt.Errorf("service %v: source route %v: %w", svc, prefix, err)
	}
	delete(st.src, prefix)
	return nil
}

// AddSNIRoute sends TLS connections of svc whose ClientHello names host (compared without
// case, see NormalizeHostname) to backend. It applies to TCP services on Spec.SNIPort.
func (lb *LB) AddSNIRoute(svc Service, host string, backend netip.AddrPort) error {
	h, err := NormalizeHostname(host)
	if err != nil {
		return fmt.Errorf("service %v: SNI route: %w", svc, err)
	}
	if err := checkBackend("backend", backend); err != nil {
		return fmt.Errorf("service %v: SNI route %q: %w", svc, h, err)
	}
	if svc.Proto != TCP || svc.Port != lb.spec.SNIPort {
		return fmt.Errorf("service %v: SNI routes need a TCP service on port %d: %w", svc, lb.spec.SNIPort, ErrBadAddress)
	}
	st, err := lb.lockService(svc)
	if err != nil {
		return err
	}
	defer lb.mu.Unlock()
	if err := lb.sni.Update(newSNIKey(st.id, h), newTarget(backend, st.id), bpf.UpdateAny); err != nil {
		return fmt.Errorf("service %v: SNI route %q: %w", svc, h, err)
	}
	st.sni[h] = backend
	return nil
}

// RemoveSNIRoute removes an SNI route; bpf.ErrKeyNotExist if there is none.
func (lb *LB) RemoveSNIRoute(svc Service, host string) error {
	h, err := NormalizeHostname(host)
	if err != nil {
		return fmt.Errorf("service %v: SNI route: %w", svc, err)
	}
	st, err := lb.lockService(svc)
	if err != nil {
		return err
	}
	defer lb.mu.Unlock()
	if err := lb.sni.Delete(newSNIKey(st.id, h)); err != nil {
		return fmt.Errorf("service %v: SNI route %q: %w", svc, h, err)
	}
	delete(st.sni, h)
	return nil
}

// Stats returns the counters of a service, summed over the CPUs.
func (lb *LB) Stats(svc Service) (Stats, error) {
	id, err := lb.ServiceID(svc)
	if err != nil {
		return Stats{}, err
	}
	per, err := lb.stats.Lookup(id)
	if err != nil {
		return Stats{}, fmt.Errorf("service %v: stats: %w", svc, err)
	}
	var s Stats
	for _, v := range per {
		s.add(v)
	}
	return s, nil
}

// ConnIterator walks the conntrack map's reply entries: range over All, then check Err.
type ConnIterator struct {
	it *bpf.TypedIterator[connKey, connValue]
}

// Conns returns an iterator over the balanced flows. Entries come and go while the programs
// run: a walk may miss or repeat flows that change meanwhile.
func (lb *LB) Conns() *ConnIterator { return &ConnIterator{it: lb.ct.Iterate()} }

// All yields each flow (as its replies carry it) with its conntrack state.
func (c *ConnIterator) All() iter.Seq2[Flow, Conn] {
	return func(yield func(Flow, Conn) bool) {
		for k, v := range c.it.All() {
			if k.Dir != dirReply {
				continue
			}
			f := Flow{Proto: Proto(k.Proto), Backend: addrPort(k.Src, k.SrcPort), Client: addrPort(k.Dst, k.DstPort)}
			cn := Conn{VIP: addrPort(v.Addr, v.Port), ServiceID: v.Service, LastSeen: time.Duration(v.LastSeen)}
			if !yield(f, cn) {
				return
			}
		}
	}
}

// Err returns the error that ended the walk, if any.
func (c *ConnIterator) Err() error { return c.it.Err() }

// Backend returns the backend the forward conntrack entry of a flow from client to vip
// points at: the backend its next packets go to unless a route overrides it.
func (lb *LB) Backend(proto Proto, client, vip netip.AddrPort) (netip.AddrPort, error) {
	if !client.Addr().Is4() || !vip.Addr().Is4() {
		return netip.AddrPort{}, fmt.Errorf("flow %v -> %v: %w", client, vip, ErrBadAddress)
	}
	k := connKey{Proto: uint8(proto), Dir: dirForward, Src: client.Addr().As4(), Dst: vip.Addr().As4(),
		SrcPort: be16(client.Port()), DstPort: be16(vip.Port())}
	v, err := lb.ct.Lookup(k)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("flow %v -> %v: %w", client, vip, err)
	}
	return addrPort(v.Addr, v.Port), nil
}

// AttachXDP attaches the ingress program to an interface (index in the calling thread's
// network namespace) with a BPF link (Linux 5.9) in the given mode (link.XDPGeneric,
// link.XDPDriver, or link.XDPModeDefault to let the kernel choose).
func (lb *LB) AttachXDP(ifindex int, mode link.XDPMode) error {
	if err := lb.lock(); err != nil {
		return err
	}
	defer lb.mu.Unlock()
	if _, ok := lb.xdp[ifindex]; ok {
		return fmt.Errorf("lb: XDP already attached to interface %d", ifindex)
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: lb.ingress, Interface: ifindex, Mode: mode})
	if err != nil {
		return fmt.Errorf("lb: attach XDP to interface %d (%v): %w", ifindex, mode, err)
	}
	lb.xdp[ifindex] = l
	return nil
}

// TCMode selects how AttachTC attaches the egress program.
type TCMode int

const (
	// TCAuto uses a TCX link where the kernel has TCX (Linux 6.6), a cls_bpf filter otherwise.
	TCAuto TCMode = iota
	// TCLink uses a TCX link (Linux 6.6); on older kernels the error matches
	// bpf.ErrNotSupported.
	TCLink
	// TCClsact adds a cls_bpf filter to the interface's clsact qdisc (netlink), creating the
	// qdisc if needed.
	TCClsact
)

// String returns "auto", "tcx" or "clsact".
func (m TCMode) String() string {
	switch m {
	case TCAuto:
		return "auto"
	case TCLink:
		return "tcx"
	case TCClsact:
		return "clsact"
	}
	return fmt.Sprintf("TCMode(%d)", int(m))
}

// AttachTC attaches the egress program to an interface's egress hook (index in the calling
// thread's network namespace). It returns the mode it used (TCLink or TCClsact).
func (lb *LB) AttachTC(ifindex int, mode TCMode) (TCMode, error) {
	if mode < TCAuto || mode > TCClsact {
		return 0, fmt.Errorf("lb: attach TC: unknown mode %v", mode)
	}
	if err := lb.lock(); err != nil {
		return 0, err
	}
	defer lb.mu.Unlock()
	if _, ok := lb.tc[ifindex]; ok {
		return 0, fmt.Errorf("lb: TC already attached to interface %d", ifindex)
	}
	if mode == TCAuto {
		mode = TCClsact
		if link.HaveTCX() == nil {
			mode = TCLink
		}
	}
	var l io.Closer
	var err error
	if mode == TCLink {
		l, err = link.AttachTCX(link.TCXOptions{Program: lb.egress, Interface: ifindex, Direction: link.Egress})
	} else {
		l, err = link.AttachTC(link.TCOptions{Program: lb.egress, Interface: ifindex, Direction: link.Egress})
	}
	if err != nil {
		return 0, fmt.Errorf("lb: attach TC egress (%v) to interface %d: %w", mode, ifindex, err)
	}
	lb.tc[ifindex] = l
	return mode, nil
}

// Attach attaches the ingress program (XDP, mode) and the egress program (TC) to each
// interface, stopping at the first error (attachments made so far stay; Detach or Close
// removes them).
func (lb *LB) Attach(mode link.XDPMode, ifindexes ...int) error {
	for _, i := range ifindexes {
		if err := lb.AttachXDP(i, mode); err != nil {
			return err
		}
		if _, err := lb.AttachTC(i, TCAuto); err != nil {
			return err
		}
	}
	return nil
}

// Detach removes both programs from an interface (clj-ebpf's detach-from-interface).
func (lb *LB) Detach(ifindex int) error {
	if err := lb.lock(); err != nil {
		return err
	}
	defer lb.mu.Unlock()
	var errs []error
	found := false
	if l, ok := lb.xdp[ifindex]; ok {
		found = true
		errs = append(errs, l.Close())
		delete(lb.xdp, ifindex)
	}
	if l, ok := lb.tc[ifindex]; ok {
		found = true
		errs = append(errs, l.Close())
		delete(lb.tc, ifindex)
	}
	if !found {
		return fmt.Errorf("lb: nothing attached to interface %d", ifindex)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("lb: detach from interface %d: %w", ifindex, err)
	}
	return nil
}
