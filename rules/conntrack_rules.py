"""Connection tracking: packets it calls INVALID on NATed paths, and a table about to overflow."""
from __future__ import annotations

import ipaddress
import re
import socket

from nflint.diagnostics import Fix, Related, Severity
from nflint.engine import HostIndex
from nflint.engine.equivalence import HookClasses
from nflint.fixes import insert_rule, is_nft, set_sysctl
from nflint.lintrule import LintRule
from nflint.matches import AddressMatch, InterfaceMatch

from .model_queries import (OTHER_IFACE, base_chains, iface_label, describe_sysctl, local_addresses, nat_address,
                            nat_rules, outside_address, probe_packet, run_ip_hook,
                            sysctl_related)


class ConntrackTableNearFull(LintRule):
    """The conntrack table is almost full: new connections will be dropped.

    What it does:
        Divides `net.netfilter.nf_conntrack_count` by `net.netfilter.nf_conntrack_max` (both
        must be given): above 0.8 a warning, above 0.95 an error.

    Why it matters:
        When the table is full the kernel drops the first packet of every new connection
        ("nf_conntrack: table full, dropping packet"): random connection failures, failed
        health checks and DNS timeouts that look like a network problem.

    Example (bad):
        ```
        net.netfilter.nf_conntrack_count = 254000
        net.netfilter.nf_conntrack_max = 262144
        ```

    Use instead (good):
        ```
        net.netfilter.nf_conntrack_count = 254000
        net.netfilter.nf_conntrack_max = 1048576
        ```

    Fix:
        Raise `net.netfilter.nf_conntrack_max` (and the hash size,
        /sys/module/nf_conntrack/parameters/hashsize), shorten long timeouts, and NOTRACK
        high-volume stateless traffic (DNS servers, load-balancer health checks).

    References:
        - Documentation/networking/nf_conntrack-sysctl.rst, nf_conntrack_max
        - kubernetes/kubernetes#71261, kubernetes/kubernetes#18604 ("manifests as dropped
          packets/connections")
    """

    code = "NF109"
    name = "conntrack-table-near-full"
    severity = Severity.WARNING

    def check(self, host):
        given = host.sysctls.given
        count = given.get("net.netfilter.nf_conntrack_count")
        cmax = given.get("net.netfilter.nf_conntrack_max") or given.get("net.nf_conntrack_max")
        if count is None or cmax is None or not count.as_int or not cmax.as_int:
            return
        ratio = count.as_int / cmax.as_int
        if ratio <= 0.8:
            return
        severity = Severity.ERROR if ratio > 0.95 else Severity.WARNING
        new_max = max(cmax.as_int * 2, 65536)
        yield self.diagnostic(
            f"the conntrack table is {ratio:.0%} full ({count.as_int} of {cmax.as_int} "
            f"entries): past the maximum the kernel drops the first packet of every new "
            f"connection (\"nf_conntrack: table full, dropping packet\")",
            count.span, related=sysctl_related([cmax], "the table's size"),
            fix=Fix("raise the table size (and the hash size); NOTRACK high-volume stateless "
                    "traffic", set_sysctl(("net.netfilter.nf_conntrack_max", str(new_max)))),
            key=("net.netfilter.nf_conntrack_count", "net.netfilter.nf_conntrack_max"),
            severity=severity)


class InvalidNotDropped(LintRule):
    """NAT is in use but nothing drops packets conntrack marks INVALID on the forward path.

    What it does:
        For every NATed path (a DNAT target answering a client outside, a subnet behind a
        MASQUERADE/SNAT talking out), builds a packet of that path in conntrack state INVALID
        and runs it through every base chain of the forward hook, of every table and backend,
        in priority order. When that packet gets through (an ACCEPT without a state match, or
        an accepting policy), and `net.netfilter.nf_conntrack_tcp_be_liberal` is 0 (given, or
        the kernel default: then said so), it reports the rule or policy that lets it pass.

    Why it matters:
        NAT only rewrites packets conntrack ties to a connection. A TCP segment outside the
        window (retransmits, late packets on a busy link) is INVALID: it is forwarded
        un-NATed, so the client gets a packet from the container's or pod's own address and
        answers with a RST ("connection reset by peer" on long transfers), and private
        addresses leak onto the LAN.

    Example (bad):
        ```
        *filter
        :FORWARD ACCEPT [0:0]
        -A FORWARD -i docker0 -j ACCEPT
        *nat
        -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
        ```

    Use instead (good):
        ```
        -A FORWARD -m conntrack --ctstate INVALID -j DROP
        -A FORWARD -i docker0 -j ACCEPT
        ```

    Fix:
        `iptables -I FORWARD 1 -m conntrack --ctstate INVALID -j DROP` (nft:
        `ct state invalid drop` first in the forward chain), or
        `sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=1` so that out-of-window segments
        stay tracked (what kube-proxy recommends).

    References:
        - kubernetes/kubernetes#74840 ("spurious retransmits ... could result in the
          connection being closed"); kubernetes/kubernetes#120412 (drop only when not liberal)
        - docker/for-linux#1126 (bridge leaks internal IPs), moby/libnetwork#2275
        - Documentation/networking/nf_conntrack-sysctl.rst, nf_conntrack_tcp_be_liberal
    """

    code = "NF108"
    name = "invalid-not-dropped"
    severity = Severity.WARNING

    def check(self, host):
        liberal = host.sysctls.get("net.netfilter.nf_conntrack_tcp_be_liberal")
        if liberal is not None and liberal.as_int == 1:
            return
        seen = set()
        for family in (4, 6):
            if not any(c.type in (None, "filter") for _, c in base_chains(host, "forward",
                                                                         family)):
                continue  # a nat-only paste says nothing about how forwarding is filtered
            # Probes the forward hook cannot tell apart (kube-proxy's endpoints) run once:
            # the rest of their class would only repeat the first one's outcome.
            settled = _SettledClasses(HookClasses.of(host, family, "forward"))
            for nat_step, pkt, why, hint in _invalid_probes(host, family, settled):
                cls = settled.of(pkt, hint)
                if settled.is_settled(cls):
                    continue
                fate, steps, choices = run_ip_hook(host, pkt, "forward", state="invalid")
                if fate is not None or choices:
                    settled.settle(cls)
                    continue  # dropped (or only if an undecidable match holds)
                passes = [s for s in steps if s.verdict == "accept" and
                          s.kind in ("rule", "policy")]
                if passes and (passes[-1].rule is not None or passes[-1].table is not None):
                    settled.settle(cls)  # the finding's key is the accepting step
                yield from self._report(host, family, nat_step, pkt, why, steps, liberal,
                                        seen)

    def _report(self, host, family, nat, pkt, why, steps, liberal, seen):
        table, chain, rule = nat
        passes = [s for s in steps if s.verdict == "accept" and s.kind in ("rule", "policy")]
        chains = base_chains(host, "forward", family)
        first_filter = next(((t, c) for t, c in chains if c.type != "nat"), None)
        if passes and passes[-1].rule is not None:
            s = passes[-1]
            span, where = s.rule.span, f"{s.table.label} {s.chain}: {s.rule.raw}"
            key = (s.table.backend, s.table.family, s.table.name, s.chain, s.rule.raw)
        elif passes and passes[-1].table is not None:
            s = passes[-1]
            c = s.table.chain(s.chain)
            span = c.span if c is not None else rule.span
            where = f"the policy accept of {s.table.label} {s.chain}"
            key = (s.table.backend, s.table.family, s.table.name, s.chain, "policy")
        else:
            span, where = rule.span, "no forward chain at all"
            key = (table.backend, table.family, table.name, chain.name, rule.raw)
        if key in seen:
            return
        seen.add(key)
        related = [Related(rule.span, f"the NAT an INVALID packet escapes: {rule.raw}")]
        related += sysctl_related([liberal], "out-of-window segments become INVALID")
        lib = describe_sysctl(liberal) if liberal is not None else "be_liberal 0"
        cmds = []
        if first_filter is not None:
            t, c = first_filter
            cmds.append(insert_rule(t, t.family, t.name, c.name,
                                    "-m conntrack --ctstate INVALID -j DROP",
                                    "ct state invalid drop", nft=is_nft(t)))
        else:
            cmds.append("iptables -I FORWARD 1 -m conntrack --ctstate INVALID -j DROP"
                        if family == 4 else
                        "ip6tables -I FORWARD 1 -m conntrack --ctstate INVALID -j DROP")
        cmds.extend(set_sysctl(("net.netfilter.nf_conntrack_tcp_be_liberal", "1")))
        yield self.diagnostic(
            f"an INVALID packet of a NATed path ({why}: {pkt.describe()}, in={iface_label(pkt.iif)} "
            f"out={iface_label(pkt.oif)}) is forwarded: accepted by {where}, and nothing on the "
            f"forward hook drops ct state invalid; NAT does not apply to it, so it leaves with "
            f"its un-NATed address (resets, leaked private addresses); {lib}",
            span, related=related,
            fix=Fix("drop INVALID first on the forward hook (or make conntrack liberal), "
                    "one of:", tuple(cmds)),
            key=key)


class _SettledClasses:
    """The forward hook's classes whose INVALID probe already ran to an answer, and what a
    DNAT probe's hint (its device and what the hook can ask of its source) says of its class.

    Every other field of a DNAT probe is the same for all of them, so one hint is one class:
    once a hint's class is settled, the probes behind it are never built (kube-proxy's 24k
    endpoints cost a few integer tests each instead of a Packet, its text and a simulation).
    Classes are numbered: a class key holds addresses, whose hash is not cheap to ask 24k
    times.
    """

    def __init__(self, classes: HookClasses) -> None:
        self.classes = classes
        self._ids: dict = {}  # class key -> number
        self._by_hint: dict = {}  # hint -> class number
        self._settled: set[int] = set()
        # No reachable rule tests a source address or port (kube-proxy's forward hook): a
        # DNAT probe's class is its device's.
        self._blind = classes.provable and not classes.networks and not classes.ranges

    def hint(self, dev: str, version: int, address: int, port: int):
        """(hint, whether its class is settled) of a DNAT probe (a port, never None); hint
        None when the hook proves no class."""
        if self._blind:
            hint = dev
        elif self.classes.provable:
            hint = dev, self.classes.source_key(version, address, port)
        else:
            return None, False
        return hint, self._by_hint.get(hint) in self._settled

    def of(self, pkt, hint) -> int | None:
        """The number of `pkt`'s class (None: a class of its own)."""
        cls = self.classes.key(pkt)
        if cls is None:
            return None
        number = self._ids.setdefault(cls, len(self._ids))
        if hint is not None:
            self._by_hint[hint] = number
        return number

    def is_settled(self, number: int | None) -> bool:
        return number is not None and number in self._settled

    def settle(self, number: int | None) -> None:
        if number is not None:
            self._settled.add(number)


def _invalid_probes(host, family, settled: _SettledClasses):
    """(nat rule, INVALID packet, why, class hint or None) for every NATed path that crosses
    the forward hook; a DNAT probe whose hint says its class already ran to an answer is
    skipped unbuilt: it could only repeat that answer."""
    topo = HostIndex.of(host).topology
    local = local_addresses(host)
    local_v4 = {int(a) for a in local if a.version == 4}
    uplink = next((r.dev for r in host.routes if r.dst == "default" and r.dev), None) or \
        OTHER_IFACE
    outside = outside_address(host, family)
    claimed = _claimed_prefixes(host, family)
    seen = set()
    for table, chain, rule, nat, hook in nat_rules(host, family, ("prerouting",
                                                                  "postrouting")):
        hint = None
        if nat.kind == "dnat" and hook == "prerouting":
            value = _ipv4_target(nat)
            if value is not None:
                version, target, is_local = 4, None, value in local_v4
            else:
                target = nat_address(nat)
                if target is None:
                    continue
                version, value, is_local = target.version, int(target), target in local
            if is_local or version != family:
                continue
            dev = OTHER_IFACE  # unless a prefix of the host holds it: a remote address
            for mask, nets in claimed:
                if value & mask in nets:
                    if target is None:
                        target = ipaddress.IPv4Address(value)
                    place = topo.place(target)
                    dev = place.bridge or place.device or _device_for(host, target) or \
                        _bridge_named_by_nat(host, family, target) or OTHER_IFACE
                    break
            port = nat.ports[0] if nat.ports else 80
            hint, known = settled.hint(dev, version, value, port)
            if known:
                continue
            if target is None:
                target = ipaddress.IPv4Address(value)
            pkt = probe_packet((), family, src=str(target), dst=outside, sport=port,
                               dport=40000, iif=dev, oif=uplink)
            why = f"the DNAT target {target} answering a client outside"
        elif nat.kind in ("masquerade", "snat") and hook == "postrouting":
            pkt = probe_packet(rule.matches, family, src=outside, dst=outside_address(
                host, family, avoid=(outside,)), iif=None, oif=None)
            if pkt is None or pkt.src == pkt.dst:
                continue
            if pkt.src in local:
                continue
            # Without interface facts, `-s SUBNET ! -o BRIDGE -j MASQUERADE` names the
            # subnet's own bridge in its negated out-interface.
            pkt.iif = _device_for(host, pkt.src) or _negated_out(rule) or OTHER_IFACE
            if pkt.oif is None or pkt.oif.startswith("nflint-"):
                pkt.oif = uplink
            why = f"a host behind the {nat.kind.upper()} talking out"
        else:
            continue
        if pkt is None:
            continue
        pkt.tcp_flags = frozenset({"ack"})
        ident = (pkt.describe(), pkt.iif, pkt.oif)
        if ident in seen:
            continue
        seen.add(ident)
        yield (table, chain, rule), pkt, why, hint


# A plain dotted-quad DNAT target (`10.244.1.7`, `10.244.1.7:8080`, `10.0.0.1-10.0.0.9`),
# read as nat_address reads it: four octets as ipaddress accepts them (no leading zero, so
# inet_aton's octal never applies), then the port or range it cuts off.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IPV4_TARGET = re.compile(rf"({_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET})(?::[0-9]+)?(?:-.*)?")


def _ipv4_target(nat):
    """`int(nat_address(nat))` for a plain IPv4 target, without an ipaddress object; None for
    anything else (ask nat_address)."""
    m = _IPV4_TARGET.fullmatch(nat.address or "")
    return None if m is None else int.from_bytes(socket.inet_aton(m[1]), "big")


def _claimed_prefixes(host, family):
    """(netmask, {network}) of every prefix that may give a DNAT target a device: local,
    loopback and container addresses, connected and Docker subnets, MASQUERADE exclusions.
    Over-wide on purpose: an address none of them holds is a remote one without asking the
    topology, and one they do hold is placed the long way. Cached on the host."""
    cache = host.__dict__.setdefault("_nflint_claimed_prefixes", {})
    found = cache.get(family)
    if found is not None:
        return found
    topo = HostIndex.of(host).topology
    nets = [ipaddress.ip_network("127.0.0.0/8")] if family == 4 else \
        [ipaddress.ip_network("::1/128"), ipaddress.ip_network("::ffff:127.0.0.0/104")]
    nets += [a.network for i in (*topo.ifaces.values(), *host.interfaces) for a in i.addresses]
    for net in topo.docker_bridge.values():
        for sub in net.subnets:
            try:
                nets.append(ipaddress.ip_network(sub, strict=False))
            except (ValueError, TypeError):
                continue
    by_mask: dict[int, set[int]] = {}
    for n in nets:
        if n.version == family:
            by_mask.setdefault(int(n.netmask), set()).add(int(n.network_address))
    hosts = [a for a in (*topo.local, *topo.containers) if a.version == family]
    if hosts:
        by_mask.setdefault((1 << hosts[0].max_prefixlen) - 1, set()).update(map(int, hosts))
    for version, net, mask, _ in _masquerade_exclusions(host, family):
        if version == family:
            by_mask.setdefault(mask, set()).add(net)
    cache[family] = found = tuple(by_mask.items())
    return found


def _negated_out(rule):
    """X of `-s SUBNET ! -o X -j MASQUERADE`: the subnet's own bridge (Docker, LXD, libvirt)."""
    return next((m.names[0] for m in rule.matches if isinstance(m, InterfaceMatch) and
                 m.direction == "out" and m.negated and len(m.names) == 1 and
                 not m.names[0].endswith(("+", "*"))), None)


def _bridge_named_by_nat(host, family, addr):
    """The bridge a MASQUERADE for `addr`'s subnet excludes, when no interface facts say."""
    value = int(addr)
    for version, net, mask, name in _masquerade_exclusions(host, family):
        if version == addr.version and value & mask == net:
            return name
    return None


def _masquerade_exclusions(host, family):
    """(version, network, netmask, excluded bridge) for each source network of each
    `-s SUBNET ! -o BRIDGE` MASQUERADE/SNAT, in rule order; cached on the host, since every
    DNAT target asks."""
    cache = host.__dict__.setdefault("_nflint_masquerade_exclusions", {})
    found = cache.get(family)
    if found is None:
        found = []
        for _, _, rule, nat, hook in nat_rules(host, family, ("postrouting",)):
            if nat.kind not in ("masquerade", "snat"):
                continue
            name = _negated_out(rule)
            if name:
                found.extend((n.version, int(n.network_address), int(n.netmask), name)
                             for m in rule.matches if isinstance(m, AddressMatch) and
                             m.field == "saddr" and not m.negated for n in m.networks)
        cache[family] = found = tuple(found)
    return found


def _device_for(host, addr):
    """The interface whose connected subnet holds `addr` (Docker networks included)."""
    for i in host.interfaces:
        for a in i.addresses:
            if a.version == addr.version and addr in a.network and \
                    a.network.prefixlen < a.max_prefixlen:
                return i.name
    topo = HostIndex.of(host).topology
    for bridge, net in topo.docker_bridge.items():
        for s in net.subnets:
            try:
                import ipaddress
                if addr in ipaddress.ip_network(s, strict=False):
                    return bridge
            except (ValueError, TypeError):
                continue
    return None
