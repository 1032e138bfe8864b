"""Exposure rules that follow packets: what reaches the host or its containers from where it
should not (NF301), and what the firewall meant to let through but cannot (NF302, NF304).

Each finding comes from flows simulated by the engine; the message cites the steps that decide
(the DNAT, the INPUT drop, the raw drop, the dead accept).
"""
from __future__ import annotations


from nflint.diagnostics import Fix, Related, Severity
from nflint.engine import Flow, HostIndex, simulate
from nflint.fixes import accept_command, iptables_binary, nft_syntax, quote
from nflint.lintrule import LintRule
from nflint.matches import AddressMatch, InterfaceMatch, PortMatch
from nflint.statements import Verdict

from . import rule_index
from .exposure_probes import Uplink, base_chain_of, chain_span, drop_step, uplink
from .model_queries import (OTHER_IFACE, nat_address, nat_rules, outside_address,
                            probe_packet, reachable_chains, run_ip_hook)

MAX_PUBLISHED = 64
CLOSED_PORTS = (9, 7, 13, 37)  # discard/echo/daytime/time: ports nothing should publish


def _named_ingress(rule) -> bool:
    """A DNAT for one named input interface (`-i ppp0`): a router's port forward, published
    where its admin chose, not on every address of the host."""
    return any(isinstance(m, InterfaceMatch) and m.direction == "in" and not m.negated and
               not any(n.endswith(("+", "*")) for n in m.names) for m in rule.matches)


def _all_dropped_in(trace, hook: str) -> bool:
    return all(drop_step(b) is not None and drop_step(b).hook == hook for b in trace.branches)


def _forwarded_to(b) -> bool:
    """The first packet was DNATed, never met INPUT, and left toward its target."""
    return (b.fate.kind in ("sent", "delivered-container")
            and bool(b.find("rule", verdict="dnat"))
            and not b.find("hook", hook="input", role="request"))


def _target_family(rule) -> int | None:
    nat = rule.nat if rule is not None else None
    addr = nat_address(nat) if nat is not None else None
    return addr.version if addr is not None else None


def _filter_chain(trace):
    """Where a forward-path filter goes: the chain the forward base chain hands the packet to
    first when that chain decides nothing yet (only RETURNs: a chain kept for the admin's own
    rules), else the forward base chain itself. (table, chain name) or None."""
    first = None
    for s in trace.steps:
        if s.hook != "forward" or s.table is None:
            continue
        base = base_chain_of(s, "forward")
        if base is None:
            continue
        if first is None:
            first = (s.table, base.name)
        if s.kind == "jump" and s.chain == base.name and s.verdict.startswith("jump "):
            target = s.table.chain(s.verdict.split(" ", 1)[1])
            if target is not None and all(
                    isinstance(r.verdict, Verdict) and r.verdict.kind == "return"
                    for r in target.rules):
                return s.table, target.name
            return first
    return first


def _published_filter_fix(table, chain: str, proto: str, port: int, iface: str | None):
    if nft_syntax(table):
        pre = f"nft insert rule {table.family} {table.name} {chain} "
        dev = f"iifname {quote(chr(34) + iface + chr(34))} " if iface else ""
        return (pre + f"{dev}meta l4proto {proto} ct status dnat ct original proto-dst {port} "
                      f"drop",
                pre + "ct state established,related accept")
    binary = iptables_binary(table)
    dev = f"-i {iface} " if iface else ""
    return (f"{binary} -t {table.name} -I {chain} 1 {dev}-p {proto} -m conntrack --ctstate DNAT "
            f"--ctorigdstport {port} -j DROP",
            f"{binary} -t {table.name} -I {chain} 1 -m conntrack --ctstate RELATED,ESTABLISHED "
            f"-j ACCEPT")


class PublishedPortBypassesInputFirewall(LintRule):
    """A port published with DNAT on every host address is reachable from outside although the
    host's INPUT firewall drops such connections: DNATed packets are forwarded and never meet
    INPUT. Over IPv4 and, since Docker 27 writes ip6tables rules by default, over IPv6.

    What it does:
        For every DNAT rule with one tcp/udp port and no destination address (Docker's
        `-p 8080:80`, HostIp 0.0.0.0), simulates a new connection from a client on another
        network, arriving on the uplink, to the host's address on that port, and the same client
        to a port nothing publishes. It reports the DNAT rule when the first connection is
        DNATed and forwarded (the forward path filters nothing by source) while the second dies
        in the input hook (INPUT policy DROP, a final DROP/REJECT, ufw's or firewalld's chains:
        all evaluated as the kernel does). Each address family is probed on its own: IPv4 DNATs
        (iptables, nft ip/inet) with an IPv4 client and the uplink's IPv4 address, IPv6 DNATs
        (ip6tables, nft ip6/inet) with an IPv6 client and the uplink's global IPv6 address
        against the IPv6 input firewall (ip6tables INPUT, ufw6 chains, an inet input chain); a
        host whose `ip addr` shows no global IPv6 address on its uplink is not probed over IPv6.
        Without an `ip addr` dump, nflint completes the host from its MASQUERADE rules and an
        assumed uplink (2001:db8::/32 addresses for IPv6), and says so. A DNAT for one named
        input interface (`-i ppp0`, a router's port forward) is published where its admin chose
        and is not reported.

    Why it matters:
        `ufw deny 8080`, a firewalld zone or `INPUT DROP` look like they protect the host, but
        DNAT happens in PREROUTING, before the routing decision: the packet is then forwarded to
        the container and filtered only by FORWARD. The service is open to the Internet; with
        IPv6 enabled, often over IPv6 only, where nobody looks.

    Example (bad):
        ```
        *filter
        :INPUT DROP [0:0]
        -A DOCKER-USER -j RETURN
        *nat
        -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
        ```
        or the same in `ip6tables-save`: `-A DOCKER ! -i br-app -p tcp -m tcp --dport 8080 -j
        DNAT --to-destination [2001:db8:1::2]:80` under `:INPUT DROP`.

    Use instead (good):
        ```
        -A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A DOCKER-USER -i eth0 -p tcp -m conntrack --ctstate DNAT --ctorigdstport 8080 -j DROP
        -A DOCKER-USER -j RETURN
        ```
        (in ip6tables' DOCKER-USER too for IPv6) or publish on one address only: `docker run
        -p 127.0.0.1:8080:80` (the DNAT then carries `-d 127.0.0.1`, and no IPv6 DNAT is
        written).

    Fix:
        Bind the published port to an address (`-p 127.0.0.1:8080:80`, `-p
        [2001:db8::10]:8080:80`, daemon.json `"ip"`, or
        `com.docker.network.bridge.host_binding_ipv4`), or filter in the forward path on the
        original destination port: `iptables -I DOCKER-USER -i UPLINK -p tcp -m conntrack
        --ctstate DNAT --ctorigdstport 8080 -j DROP` (`ip6tables` for IPv6; nft: `ct status
        dnat ct original proto-dst 8080 drop` in the family's forward chain), above it `-s
        TRUSTED ... -j RETURN` for clients that may connect, and a leading `-m conntrack
        --ctstate RELATED,ESTABLISHED -j ACCEPT`.

    References:
        - moby/moby#22054 ("Docker Network bypasses Firewall, no option to disable")
        - docker/for-linux#690; OWASP/CheatSheetSeries#2018 ("ports mapped to the host ignore
          UFW rules")
        - moby/moby#21614 ("with IPv6... port publishing is no-op"); moby/libnetwork#2557
          ("When IPv6 is enabled... all of that goes out of the window")
        - Docker docs, Packet filtering and firewalls (DOCKER-USER, --ctorigdstport; ip6tables
          enabled by default since Docker 27)
        - pitfalls.md #2 published-port-bypasses-host-firewall, #13 ipv6-policy-gap
    """

    code = "NF301"
    name = "published-port-bypasses-input-firewall"
    severity = Severity.ERROR

    def check(self, host):
        eligible = [p for p in rule_index.published(host) if p[4] is None and
                    not _named_ingress(p[1])]
        if not eligible:
            return
        for family, tables in ((4, ("ip", "inet")), (6, ("ip6", "inet"))):
            ports = [p for p in eligible if p[0].family in tables and
                     _target_family(p[1]) in (None, family)][:MAX_PUBLISHED]
            if ports:
                yield from self._check_family(host, family, ports)

    def _check_family(self, host, family, ports):
        """Each family has its own uplink address and its own input firewall (iptables and
        ip6tables, nft ip and ip6; an inet table serves both): asked once per family."""
        up = uplink(host, family)
        if up is None:
            return
        published = {(proto, port) for _, _, proto, port, _ in ports}
        seen = set()
        shut_by_proto = {}
        for table, rule, proto, port, _ in ports:
            if (proto, port) in seen:
                continue
            closed = next((p for p in CLOSED_PORTS if (proto, p) not in published), None)
            if closed is None:
                continue
            if proto not in shut_by_proto:
                shut_by_proto[proto] = simulate(up.host, Flow(
                    up.client, up.address, proto, dport=closed, in_iface=up.iface,
                    exchange=False))
            shut = shut_by_proto[proto]
            if not _all_dropped_in(shut, "input"):
                continue  # the input hook does not restrict this client: nothing is bypassed
            open_ = simulate(up.host, Flow(up.client, up.address, proto, dport=port,
                                           in_iface=up.iface, exchange=False))
            if not all(_forwarded_to(b) for b in open_.branches):
                continue
            seen.add((proto, port))
            yield self._report(family, up, rule, table, proto, port, closed, shut, open_)

    def _report(self, family, up: Uplink, rule, table, proto, port, closed, shut, open_):
        dnat = open_.find("rule", verdict="dnat")[0]
        target = dnat.rule.nat.target  # a DNAT step is always a rule's NAT action
        drop = drop_step(shut)
        span, what = chain_span(drop)
        v6 = "IPv6 " if family == 6 else ""
        msg = (f"{proto}/{port} is published on every host {v6}address (DNAT to {target}, no "
               f"destination restriction) and a new connection from {up.client} on {up.iface} "
               f"is DNATed and forwarded without meeting INPUT, while the same client's "
               f"connection to {proto}/{closed} is dropped in the input hook ({what}): the "
               f"host firewall does not protect the published port")
        if up.assumed:
            msg += f" ({up.assumed})"
        related = [Related(span, f"the input hook drops other connections: {what}")] \
            if span is not None else []
        for s in open_.rule_steps(verdict="accept"):
            if s.hook == "forward" and s.rule.span.line:
                related.append(Related(s.rule.span, f"the forward path accepts it: "
                                                    f"{s.rule.raw}"))
        where = _filter_chain(open_)
        cmds = ()
        if where is not None:
            cmds = _published_filter_fix(where[0], where[1], proto, port,
                                         up.iface if up.real else None)
        bind = f"`-p 127.0.0.1:{port}:...`" if family == 4 else \
            f"`-p [{up.address if up.real else 'HOST-IPV6'}]:{port}:...`, or `-p " \
            f"127.0.0.1:{port}:...`, which publishes nothing over IPv6"
        return self.diagnostic(
            msg, dnat.rule.span, related=related,
            fix=Fix(f"bind the published port to an address (e.g. {bind}), "
                    f"or drop DNATed {proto}/{port} in the forward path"
                    + (f" ({where[1]})" if where else "")
                    + ", allowing trusted sources with `-s TRUSTED ... -j RETURN` above the DROP"
                      " and keeping a leading RELATED,ESTABLISHED accept", cmds),
            key=(table.backend, table.family, table.name, dnat.chain or "", dnat.rule.raw))


# -- NF302 -------------------------------------------------------------------------------------

NAT_DST_PRIORITY = -100  # the DNAT core on prerouting: a drop before it sees the original address


def _prerouting_drops(host, family: int):
    """(table, chain, rule, networks) of drops on prerouting that run before DNAT and name a
    destination (Docker >= 28's `raw PREROUTING -d CTR ! -i BRIDGE -j DROP`)."""
    from .model_queries import base_chains
    for table, base in base_chains(host, "prerouting", family):
        if base.type == "nat" or (base.priority if base.priority is not None else 0) >= \
                NAT_DST_PRIORITY:
            continue
        for chain in reachable_chains(table, base):
            for rule in chain.rules:
                v = rule.verdict
                if not (isinstance(v, Verdict) and v.kind in ("drop", "reject")):
                    continue
                nets = [n for m in rule.matches if isinstance(m, AddressMatch) and
                        m.field == "daddr" and not m.negated for n in m.networks
                        if n.version == family]
                if nets:
                    yield table, chain, rule, nets


def _forward_accepts(host, family: int):
    from .model_queries import base_chains
    for table, base in base_chains(host, "forward", family):
        for chain in reachable_chains(table, base):
            for rule in chain.rules:
                v = rule.verdict
                if isinstance(v, Verdict) and v.kind == "accept":
                    yield table, chain, rule


def _routed_intent(rule) -> str | None:
    """What the accept names as the other side: an input interface or a source network."""
    for m in rule.matches:
        if isinstance(m, InterfaceMatch) and m.direction == "in" and not m.negated:
            return f"interface {m.names[0]}"
    for m in rule.matches:
        if isinstance(m, AddressMatch) and m.field == "saddr" and not m.negated:
            return f"source {m.networks[0]}"
    return None


def _host_of(net) -> str:
    if net.num_addresses <= 2:
        return str(net.network_address)
    return str(net.network_address + 2)


class RawDropBlocksRoutedAccess(LintRule):
    """A forward-path ACCEPT meant to let another interface (VPN, overlay, LAN) reach a
    container directly can never fire: a prerouting drop at raw priority discards those packets
    before conntrack, NAT and the forward hook run.

    What it does:
        Finds drops on the prerouting hook that run before DNAT and name a destination (Docker
        28's `-t raw -A PREROUTING -d CONTAINER ! -i BRIDGE -j DROP`, nft `iifname != "br-..."
        ip daddr ... drop` at priority raw). For every forward-path accept that names another
        input interface or a source network, it builds the packet that accept was written for
        (from that interface or source, to the container's address) and asks the engine: the
        prerouting hook drops it, and the forward hook would have accepted it with that rule.
        Accepts for the exact address and port a DNAT rule targets are skipped: they serve the
        published port's DNATed traffic, which the raw rule sees with the host's address.

    Why it matters:
        After upgrading to Docker 28, containers stop answering Tailscale/WireGuard/flannel
        peers that reach them by IP; the ACCEPT rules in DOCKER-USER/FORWARD look right and
        their counters stay at 0.

    Example (bad):
        ```
        *raw
        -A PREROUTING -d 172.18.0.2/32 ! -i br-app -j DROP
        *filter
        -A DOCKER-USER -i wg0 -o br-app -j ACCEPT
        ```

    Use instead (good):
        ```
        *raw
        -A PREROUTING -i wg0 -d 172.18.0.2/32 -j ACCEPT
        -A PREROUTING -d 172.18.0.2/32 ! -i br-app -j DROP
        ```
        or create the network with `-o com.docker.network.bridge.trusted_host_interfaces=wg0`
        (or `gateway_mode_ipv4=routed` / `nat-unprotected`), so Docker writes no such drop.

    Fix:
        Tell Docker which interfaces may reach the containers directly
        (`com.docker.network.bridge.trusted_host_interfaces`, or a routed gateway mode), or
        accept the flow in the same raw chain before the drop (`iptables -t raw -I PREROUTING 1
        -i wg0 -d 172.18.0.2 -j ACCEPT`; nft `iifname "wg0" ip daddr 172.18.0.2 accept`). Docker
        rewrites its raw rules on restart: the network option is the durable fix.

    References:
        - moby/moby#49498 ("Docker 28 stops containers communicating with tailscale network")
        - moby/moby#49792 (flannel VXLAN); psviderski/uncloud#293 ("raw table is evaluated
          before the filter table")
        - pitfalls.md #9 raw-drop-blocks-routed-access
    """

    code = "NF302"
    name = "raw-drop-blocks-routed-access"
    severity = Severity.ERROR

    def check(self, host):
        for family in (4, 6):
            drops = list(_prerouting_drops(host, family))
            if not drops:
                continue
            targets = {(nat_address(nat), nat.ports[0] if nat.ports else None)
                       for _, _, _, nat, _ in nat_rules(host, family, ("prerouting", "output"))
                       if nat.kind == "dnat"}
            routing = HostIndex.of(host).routing
            done = set()
            for table, chain, rule in _forward_accepts(host, family):
                intent = _routed_intent(rule)
                if intent is None or id(rule) in done:
                    continue
                for dt, dc, drop, nets in drops:
                    found = self._probe(host, routing, family, rule, drop, nets, targets)
                    if found is None:
                        continue
                    done.add(id(rule))
                    yield self._report(table, chain, rule, dt, dc, drop, found, intent)
                    break

    def _probe(self, host, routing, family, rule, drop, nets, targets):
        client = outside_address(host, family)
        for net in nets:
            dst = _host_of(net)
            pkt = probe_packet(rule.matches, family, src=client, dst=dst, iif=OTHER_IFACE)
            if pkt is None or not any(pkt.dst in n for n in nets):
                continue
            names_port = any(isinstance(m, PortMatch) and m.field == "dport" and not m.negated
                             for m in rule.matches)
            if (pkt.dst, pkt.dport) in targets or (names_port and (pkt.dst, None) in targets):
                continue  # the accept serves a published port's DNATed packets
            fate, _, choices = run_ip_hook(host, pkt, "prerouting")
            if fate is None or choices or fate.step is None or fate.step.rule is not drop:
                continue
            fwd = pkt.fork()
            if fwd.oif is None:
                r = routing.lookup(fwd.dst)
                fwd.oif = r.dev if r is not None and r.dev else _allowed_iface(drop)
            _, steps, choices = run_ip_hook(host, fwd, "forward")
            if choices or not any(s.rule is rule and s.verdict == "accept" for s in steps):
                continue
            return pkt
        return None

    def _report(self, table, chain, rule, dt, dc, drop, pkt, intent):
        iif = pkt.iif if pkt.iif != OTHER_IFACE else None
        msg = (f"this accept is meant to let {intent} reach {pkt.dst} directly, but "
               f"{dt.label} {dc.name} (prerouting, before conntrack and NAT) drops "
               f"{pkt.proto} {pkt.src} -> {pkt.dst}"
               + (f" arriving on {iif}" if iif else "") + f" first: the accept never sees "
               f"these packets")
        fix_cmd = accept_command(dt, dc.name, in_iface=iif, daddr=str(pkt.dst))
        return self.diagnostic(
            msg, rule.span,
            related=(Related(drop.span, f"drops the packet first: {drop.raw}"),),
            fix=Fix("declare the interface trusted for the network (Docker: "
                    "com.docker.network.bridge.trusted_host_interfaces, or gateway_mode_ipv4="
                    "routed), or accept the flow in the raw chain before the drop",
                    (fix_cmd,)),
            key=(table.backend, table.family, table.name, chain.name, rule.raw))


def _allowed_iface(rule) -> str | None:
    """The interface a `! -i BRIDGE` drop exempts: where the destination lives."""
    for m in rule.matches:
        if isinstance(m, InterfaceMatch) and m.direction == "in" and m.negated and \
                len(m.names) == 1:
            return m.names[0]
    return None


# -- NF304 -------------------------------------------------------------------------------------

def _internal_bridges(topo):
    """Bridges with an IPv4 address whose ports all lead into this host (veth pairs, taps):
    their devices are containers, VMs or guests that use the host as gateway."""
    for name, iface in sorted(topo.ifaces.items()):
        if not topo.is_bridge(name):
            continue
        addrs = [a for a in iface.ipv4 if a.network.prefixlen < 31]
        if not addrs:
            continue
        ports = topo.ports(name)
        if any(p.kind not in ("veth", "tap", "tun") and p.peer is None and p.peer_index is None
               for p in ports):
            continue  # a physical port: a LAN bridge, whose INPUT policy is the admin's choice
        yield name, addrs[0]


def _sender(topo, bridge, addr):
    """A device behind the bridge: a known container, else an unused address of its subnet."""
    for ip, (cname, net) in topo.containers.items():
        if ip.version == 4 and topo.bridge_of(net) == bridge:
            return str(ip), f"container {cname}", None
    for k in range(2, 250):
        cand = addr.network.network_address + k
        if cand not in addr.network:
            break
        if cand not in topo.local and cand not in topo.containers:
            return str(cand), f"a device behind {bridge}", bridge
    return None


class InputDropBlocksContainerToHost(LintRule):
    """Containers, VMs or guests behind a local bridge cannot reach services on the host
    itself (DNS on the bridge's gateway address, a published port via the host address): the
    host's input hook drops them and nothing accepts traffic from that bridge.

    What it does:
        For every bridge with an IPv4 address whose ports all lead into the host (veth pairs,
        taps: Docker, libvirt, LXD, podman networks), simulates a device behind it (a known
        container, else an address of its subnet) sending DNS (udp and tcp 53) to the bridge's
        gateway address and connecting to each port published on every host address via the
        host's uplink address. It reports the bridge when the input hook drops those packets,
        citing the rule or policy that does.

    Why it matters:
        Guests get no DNS from the host's dnsmasq/systemd-resolved, `host.docker.internal` and
        published ports via the host's address time out ("Host is unreachable" with
        `icmp-host-prohibited`), while the same services work from the host itself.

    Example (bad):
        ```
        *filter
        :INPUT DROP [0:0]
        -A INPUT -i lo -j ACCEPT
        -A INPUT -p tcp --dport 22 -j ACCEPT
        ```
        with docker0 at 172.17.0.1 and a resolver listening there.

    Use instead (good):
        ```
        -A INPUT -i docker0 -p udp --dport 53 -j ACCEPT
        -A INPUT -i docker0 -p tcp --dport 53 -j ACCEPT
        ```

    Fix:
        Accept what the guests need from the host on their bridge, narrowed by port:
        `iptables -I INPUT 1 -i BRIDGE -p udp --dport 53 -j ACCEPT` (nft `iifname "BRIDGE" udp
        dport 53 accept` in the dropping chain); with firewalld, put the bridge in the `docker`
        or `trusted` zone.

    References:
        - moby/moby#27817 ("cannot connect to docker host on it's own exposed port if INPUT
          chain policy is DROP"); firewalld/firewalld#546
        - pitfalls.md #14 input-drop-blocks-container-to-host
    """

    code = "NF304"
    name = "input-drop-blocks-container-to-host"
    severity = Severity.WARNING

    def check(self, host):
        topo = HostIndex.of(host).topology
        up = uplink(host) if host.interfaces else None
        for bridge, addr in _internal_bridges(topo):
            who = _sender(topo, bridge, addr)
            if who is None:
                continue
            src, what, in_iface = who
            probes = [(str(addr.ip), "udp", 53), (str(addr.ip), "tcp", 53)]
            if up is not None and up.real:
                published = [p for p in rule_index.published(host) if p[4] is None][:8]
                probes += [(up.address, proto, port) for _, _, proto, port, _ in published]
            blocked = []
            for dst, proto, port in probes:
                t = simulate(host, Flow(src, dst, proto, dport=port, in_iface=in_iface,
                                        exchange=False))
                step = drop_step(t)
                if all(drop_step(b) is not None and drop_step(b).hook == "input"
                       for b in t.branches):
                    blocked.append((dst, proto, port, step))
            if blocked:
                yield self._report(bridge, src, what, blocked)

    def _report(self, bridge, src, what, blocked):
        dst, proto, port, step = blocked[0]
        span, deciding = chain_span(step)
        listed = ", ".join(f"{p}/{n} to {d}" for d, p, n, _ in blocked)
        msg = (f"{what} ({src}) cannot reach the host: the input hook drops {listed} "
               f"({deciding}) and nothing accepts traffic arriving on {bridge}")
        base = base_chain_of(step, "input")
        cmds = tuple(accept_command(step.table, base.name, in_iface=bridge, proto=p, dport=n)
                     for _, p, n, _ in blocked) if base is not None else ()
        return self.diagnostic(
            msg, span, fix=Fix(f"accept what the devices behind {bridge} need from the host, "
                               f"narrowed by port", cmds),
            key=("input-drop-blocks-container-to-host", bridge, deciding))
