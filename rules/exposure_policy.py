"""Exposure rules about a whole family, a sysctl or a NAT rule's scope: IPv6 left open beside a
closed IPv4 (NF303), loopback addresses routable from outside (NF305), and MASQUERADE that
rewrites more than its network's traffic (NF306).

The hooks are still asked, not read: each rule runs the packet it worries about through every
base chain of every backend on the hook (model_queries.run_ip_hook, or the nat chains in
priority order) and reports what the kernel would do.
"""
from __future__ import annotations

import ipaddress

from nflint.diagnostics import Fix, Related, Severity
from nflint.engine import Packet
from nflint.engine.chain import run_chain
from nflint.engine.trace import Brancher
from nflint.engine.walk import Simulation
from nflint.fixes import delete_rule, iptables_binary, nft_raw_chain_commands, nft_syntax, \
    quote, set_sysctl
from nflint.lintrule import LintRule
from nflint.matches import AddressMatch, InterfaceMatch

from . import rule_index
from .exposure_probes import uplink
from .model_queries import (IP_FAMILIES, OTHER_IFACE, base_chains, local_addresses, nat_address,
                            nat_rules, outside_address, run_ip_hook)

PROBE_PORTS = (3306, 5432, 6379, 8080, 9200, 27017)  # services people mean to keep private


def _syn(src: str, dst: str, port: int, iif: str | None) -> Packet:
    pkt = Packet("tcp", ipaddress.ip_address(src), ipaddress.ip_address(dst), 40000, port)
    pkt.tcp_flags = frozenset({"syn"})
    pkt.iif = iif
    return pkt


def _decided(host, pkt, hook):
    """(fate, certain): the hook's verdict on a new connection's first packet."""
    fate, _, choices = run_ip_hook(host, pkt, hook)
    return fate, not choices


# -- NF303 ---------------------------------------------------------------------------------

def _global6(host):
    return [(i, a) for i in host.interfaces for a in i.ipv6
            if not a.ip.is_link_local and not a.ip.is_loopback]


def _ipv6_known(host) -> bool:
    """Whether the dumps show the IPv6 filter: an ip6 or inet table. A native nft paste without
    one may be `nft list table ip ...` rather than the whole ruleset, so it proves nothing."""
    return any(t.family in ("ip6", "inet") for t in host.tables)


def _v6_fix(host):
    six = [(t, c) for t, c in base_chains(host, "input", 6)]
    if not six:
        return ("nft add table inet guard",
                "nft " + quote("add chain inet guard input { type filter hook input priority "
                               "filter; policy drop; }"),
                "nft add rule inet guard input ct state established,related accept",
                'nft add rule inet guard input iifname "lo" accept',
                "nft add rule inet guard input meta l4proto ipv6-icmp accept")
    t, c = six[0]
    if nft_syntax(t):
        pre = f"nft add rule {t.family} {t.name} {c.name} "
        return (pre + "ct state established,related accept", pre + 'iifname "lo" accept',
                pre + "meta l4proto ipv6-icmp accept",
                "nft " + quote(f"chain {t.family} {t.name} {c.name} {{ policy drop; }}"))
    b = iptables_binary(t)
    return (f"{b} -A {c.name} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            f"{b} -A {c.name} -i lo -j ACCEPT", f"{b} -A {c.name} -p ipv6-icmp -j ACCEPT",
            f"{b} -P {c.name} DROP")


def _v6_forward_fix(six, bridge: str) -> tuple[str, ...]:
    if not six:
        return ()
    t, c = six[0]
    if nft_syntax(t):
        return (f"nft insert rule {t.family} {t.name} {c.name} iifname != "
                f"{quote(chr(34) + bridge + chr(34))} oifname {quote(chr(34) + bridge + chr(34))} "
                f"ct state new drop",)
    return (f"{iptables_binary(t)} -I {c.name} 1 ! -i {bridge} -o {bridge} -m conntrack "
            f"--ctstate NEW -j DROP",)


class Ipv6PolicyGap(LintRule):
    """The host's IPv4 input firewall drops new connections that its IPv6 firewall accepts,
    while the host has global IPv6 addresses (or IPv6 Docker networks): it is open over IPv6.

    What it does:
        Sends a new TCP connection from an outside client to the host on a few service ports
        (3306, 5432, 6379, 8080, 9200, 27017) through every base chain of the input hook, once
        over IPv4 and once over IPv6. It reports a port IPv4 drops and IPv6 accepts.
        It fires only when the IPv6 filter is known: an ip6tables dump or an ip6/inet nft table
        (a native nft paste without one may be a single `nft list table`, so its absence
        proves nothing). Severity follows the evidence: error when `ip addr` shows global IPv6
        addresses or a Docker network has EnableIPv6, a warning when no `ip addr` dump says
        whether the host has IPv6, and an info finding when only IPv4 rules were given while
        the interfaces carry global IPv6 ("no ip6tables dump given": unknown, not open).
        For Docker networks with EnableIPv6 it also compares the forward hook's verdicts on a
        new connection from outside to a container of the network, over IPv4 and IPv6.

    Why it matters:
        iptables rules do not apply to IPv6; `ip6tables` defaults to ACCEPT. A host firewalled
        on IPv4 is often wide open on its SLAAC address, and Docker's IPv6 networks publish
        ports without any of the IPv4 protections.

    Example (bad):
        ```
        # iptables-save
        :INPUT DROP [0:0]
        # ip6tables-save
        :INPUT ACCEPT [0:0]
        ```

    Use instead (good):
        ```
        # ip6tables-save
        :INPUT DROP [0:0]
        -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A INPUT -i lo -j ACCEPT
        -A INPUT -p ipv6-icmp -j ACCEPT
        ```
        or one `inet` nft table that filters both families.

    Fix:
        Mirror the IPv4 policy in ip6tables (allowing ICMPv6, which neighbour discovery
        needs), or move the rules into an `inet` table; with Docker set `"ip6tables": true`.

    References:
        - moby/moby#21614 ("with IPv6… port publishing is no-op"); moby/libnetwork#2557
          ("When IPv6 is enabled… all of that goes out of the window")
        - CIS benchmark, "Ensure IPv6 default deny firewall policy"
        - pitfalls.md #13 ipv6-policy-gap
    """

    code = "NF303"
    name = "ipv6-policy-gap"
    severity = Severity.ERROR

    def check(self, host):
        yield from self._input_gap(host)
        yield from self._container_gap(host)

    def _container_gap(self, host):
        """Containers of an IPv6 Docker network: the forward hook's verdict on a new
        connection from outside to a container, over IPv4 and over IPv6."""
        if not _ipv6_known(host) or not base_chains(host, "forward", 4):
            return
        from nflint.engine import HostIndex
        topo = HostIndex.of(host).topology
        for net in host.docker_networks:
            if not net.enable_ipv6:
                continue
            subs = {}
            for text in net.subnets:
                try:
                    n = ipaddress.ip_network(text, strict=False)
                except ValueError:
                    continue
                subs.setdefault(n.version, n)
            bridge = topo.bridge_of(net)
            if 4 not in subs or 6 not in subs or bridge is None:
                continue
            dst4, dst6 = str(subs[4].network_address + 2), str(subs[6].network_address + 2)
            for port in PROBE_PORTS:
                p4 = _syn(outside_address(host, 4), dst4, port, OTHER_IFACE)
                p4.oif = bridge
                fate4, certain4 = _decided(host, p4, "forward")
                if fate4 is None or not certain4:
                    continue
                p6 = _syn(outside_address(host, 6), dst6, port, OTHER_IFACE)
                p6.oif = bridge
                fate6, certain6 = _decided(host, p6, "forward")
                if fate6 is not None or not certain6:
                    break
                six = base_chains(host, "forward", 6)
                what = (f"{six[0][0].label} {six[0][1].name} accepts it" if six else
                        "no IPv6 forward chain filters it")
                related = [Related(fate4.step.span, "IPv4 drops it here")] \
                    if fate4.step is not None and fate4.step.span is not None else []
                yield self.diagnostic(
                    f"Docker network {net.name} has EnableIPv6: a new connection from outside "
                    f"to tcp/{port} of a container on {bridge} is dropped over IPv4 "
                    f"({dst4}) but forwarded over IPv6 ({dst6}): {what}",
                    six[0][1].span if six else net.span, related=related,
                    fix=Fix("let Docker write its IPv6 rules (daemon.json \"ip6tables\": true, "
                            "the default since Docker 27), or drop new inbound IPv6 "
                            "connections to the network in the forward path",
                            _v6_forward_fix(six, bridge)),
                    key=("ipv6-policy-gap", "forward", net.name))
                break

    def _input_gap(self, host):
        if not base_chains(host, "input", 4):
            return
        g6 = _global6(host)
        docker6 = [n for n in host.docker_networks if n.enable_ipv6]
        known_ifaces = bool(host.interfaces)
        if known_ifaces and not g6 and not docker6:
            return  # no IPv6 the outside could reach
        local4 = sorted((a for a in local_addresses(host) if a.version == 4 and
                         not a.is_loopback), key=str)
        dst4 = str(local4[0]) if local4 else "192.0.2.10"
        src4 = outside_address(host, 4, avoid=(dst4,))
        dst6 = str(g6[0][1].ip) if g6 else "2001:db8::10"
        src6 = outside_address(host, 6, avoid=(dst6,))
        closed4 = None
        for port in PROBE_PORTS:
            fate, certain = _decided(host, _syn(src4, dst4, port, OTHER_IFACE), "input")
            if fate is not None and certain and fate.kind in ("dropped", "rejected"):
                closed4 = (port, fate)
                break
        if closed4 is None:
            return
        port, fate4 = closed4
        v4span = fate4.step.span if fate4.step is not None and fate4.step.rule is not None \
            else None
        if v4span is None and fate4.step is not None and fate4.step.table is not None:
            ch = fate4.step.table.chain(fate4.step.chain)
            v4span = ch.span if ch is not None else None
        related = [Related(v4span, f"IPv4 drops it here")] if v4span is not None else []
        where = (f" (global IPv6 {g6[0][1].ip} on {g6[0][0].name})" if g6 else
                 f" (Docker network {docker6[0].name} has EnableIPv6)" if docker6 else "")
        if not _ipv6_known(host):
            if not g6 or v4span is None:
                return
            yield self.diagnostic(
                f"IPv4 input drops new connections (tcp/{port}) but no ip6tables dump or "
                f"ip6/inet nft table was given, while the host has global IPv6 addresses"
                f"{where}: whether IPv6 is filtered is unknown; add `ip6tables-save` to check",
                v4span, related=(), severity=Severity.INFO,
                fix=Fix("check the IPv6 firewall", ("ip6tables-save",)),
                key=("ipv6-policy-gap", "unknown"))
            return
        fate6, certain6 = _decided(host, _syn(src6, dst6, port, OTHER_IFACE), "input")
        if fate6 is not None or not certain6:
            return
        six = base_chains(host, "input", 6)
        span = six[0][1].span if six else v4span
        if span is None:
            return
        sev = Severity.ERROR if (g6 or docker6) else Severity.WARNING
        doubt = "" if (g6 or docker6) else (" (no `ip addr` dump: this matters if the host "
                                            "has global IPv6 addresses)")
        what = (f"{six[0][0].label} {six[0][1].name} accepts it" if six else
                "no IPv6 input chain filters it (the ip6/inet tables given have none)")
        yield self.diagnostic(
            f"a new connection from outside to tcp/{port} is dropped over IPv4 but accepted "
            f"over IPv6: {what}{where}{doubt}", span, related=related, severity=sev,
            fix=Fix("mirror the IPv4 input accepts you need (ssh, ...) in IPv6 first, then give "
                    "IPv6 the same default-deny input policy (ICMPv6 allowed for neighbour "
                    "discovery), or filter both families in an inet table", _v6_fix(host)),
            key=("ipv6-policy-gap", "input", str(port)))


# -- NF305 ---------------------------------------------------------------------------------

RL_PREFIX, RL_SUFFIX = "net.ipv4.conf.", ".route_localnet"


def _route_localnet(host) -> dict[str, object]:
    return {v.key[len(RL_PREFIX):-len(RL_SUFFIX)]: v for v in host.sysctls.values
            if v.key.startswith(RL_PREFIX) and v.key.endswith(RL_SUFFIX)}


def _effective_rl(values, iface: str) -> int:
    """IN_DEV_ROUTE_LOCALNET is an OR of conf/all and conf/IFACE."""
    return max((values[k].as_int or 0) for k in ("all", iface) if k in values) \
        if any(k in values for k in ("all", iface)) else 0


def _loopback_dnats(host):
    """DNAT rules on prerouting whose target is a loopback address: (table, chain, rule,
    in-interface or None)."""
    if not rule_index.any_may_be_loopback(
            nat.address for t in host.tables if t.family in IP_FAMILIES[4]
            for _, nat in rule_index.of(t).nat_rules if nat.kind == "dnat"):
        return  # no NAT rule anywhere names a loopback target: skip walking the nat chains
    for t, c, r, nat, hook in nat_rules(host, 4, ("prerouting",)):
        addr = nat_address(nat) if rule_index.may_be_loopback(nat.address) else None
        if nat.kind == "dnat" and addr is not None and addr.is_loopback:
            iif = next((m.names[0] for m in r.matches if isinstance(m, InterfaceMatch) and
                        m.direction == "in" and not m.negated and len(m.names) == 1), None)
            yield t, c, r, iif


def _loopback_dnat_from_outside(host):
    """DNAT rules matching a destination in 127.0.0.0/8 (`-p 127.0.0.1:8080:80` with the
    userland proxy off): what a packet to 127.0.0.1 from outside reaches."""
    for t, c, r, nat, hook in nat_rules(host, 4, ("prerouting",)):
        if nat.kind != "dnat":
            continue
        for m in r.matches:
            if isinstance(m, AddressMatch) and m.field == "daddr" and not m.negated and \
                    any(n.version == 4 and n.subnet_of(ipaddress.ip_network("127.0.0.0/8"))
                        for n in m.networks):
                yield t, c, r


def _guard_commands(host):
    from .bridge_probes import raw_prerouting
    nft = bool(host.tables) and all(nft_syntax(t) for t in host.tables)
    found = raw_prerouting(host, nft)
    if nft:
        fam, name, chain = (found[0].family, found[0].name, found[1].name) if found else \
            ("ip", "raw", "PREROUTING")
        pre = () if found else nft_raw_chain_commands()
        lo = quote('"lo"')
        return pre + (f"nft insert rule {fam} {name} {chain} iifname != {lo} "
                      f"ip daddr 127.0.0.0/8 drop",)
    binary = iptables_binary(found[0]) if found else "iptables"
    return (f"{binary} -t raw -I PREROUTING 1 -d 127.0.0.0/8 ! -i lo -j DROP",)


class RouteLocalnetExposure(LintRule):
    """`route_localnet=1` on a non-loopback interface (or `all`) with nothing dropping packets
    to 127.0.0.0/8 that arrive from outside: services bound to 127.0.0.1, and ports published
    on 127.0.0.1, are reachable by neighbours. Also the inverse: a DNAT to 127.x for traffic
    from a non-loopback interface that lacks `route_localnet=1` silently fails.

    What it does:
        Reads the effective `route_localnet` (conf/all OR conf/IFACE) from the sysctl dump.
        For each interface where it is 1, sends a new connection from a neighbour on it to
        127.0.0.1 through the prerouting hook (every base chain, every backend); it reports the
        sysctl when nothing there drops it and either the input hook accepts it or a DNAT rule
        matches 127.0.0.0/8 destinations (Docker's `-p 127.0.0.1:P:P` with the userland proxy
        off). Inversely, it reports a prerouting DNAT to a 127.x address whose interface has an
        effective `route_localnet` of 0 (given, or the kernel default: then said so).

    Why it matters:
        The kernel normally treats 127.0.0.0/8 from the wire as martian. With route_localnet=1
        a LAN neighbour can route packets to 127.0.0.1 via the host (CVE-2020-8558): "bound to
        localhost" no longer means private. Without it, DNAT to 127.0.0.1 from another
        interface is dropped as martian after NAT, with nothing in the firewall to show why.

    Example (bad):
        ```
        net.ipv4.conf.all.route_localnet = 1
        ```
        and no raw/prerouting drop for 127.0.0.0/8 from non-lo interfaces.

    Use instead (good):
        ```
        *raw
        -A PREROUTING -d 127.0.0.0/8 ! -i lo -j DROP
        ```
        or `net.ipv4.conf.all.route_localnet = 0` where nothing needs it.

    Fix:
        `iptables -t raw -I PREROUTING 1 -d 127.0.0.0/8 ! -i lo -j DROP` (nft `iifname != "lo"
        ip daddr 127.0.0.0/8 drop` at priority raw), or `sysctl -w
        net.ipv4.conf.IFACE.route_localnet=0`; upgrade Docker (>= 28) and kube-proxy
        (>= 1.18.4), which add the guard. For the inverse: set route_localnet=1 on the
        interface (with the guard), or DNAT to a non-loopback address.

    References:
        - kubernetes/kubernetes#92315 (CVE-2020-8558); moby/moby#45610 (`-p 127.0.0.1:8081:80`
          reachable from another LAN host); moby/moby#41872
        - moby/moby#12165 (why userland-proxy=false sets route_localnet); Documentation/
          networking/ip-sysctl.rst (route_localnet)
        - pitfalls.md #15 localhost-boundary-bypass
    """

    code = "NF305"
    name = "route-localnet-exposure"
    severity = Severity.ERROR

    def check(self, host):
        values = _route_localnet(host)
        yield from self._exposed(host, values)
        yield from self._inverse(host, values)

    def _exposed(self, host, values):
        dnats = None  # asked only once some interface has route_localnet on
        for iface, v in sorted(values.items()):
            if iface in ("lo", "default") or v.as_int != 1 or v.span is None:
                continue
            if dnats is None:
                dnats = list(_loopback_dnat_from_outside(host))
            dev = OTHER_IFACE if iface == "all" else iface
            port = 8080
            for _, _, r in dnats:
                from nflint.matches import PortMatch
                ports = [m for m in r.matches if isinstance(m, PortMatch) and m.field == "dport"]
                if ports:
                    port = ports[0].ranges[0][0]
                    break
            client = outside_address(host, 4)
            pre, pre_certain = _decided(host, _syn(client, "127.0.0.1", port, dev), "prerouting")
            if pre is not None or not pre_certain:
                continue
            inp, _ = _decided(host, _syn(client, "127.0.0.1", port, dev), "input")
            reach = []
            if dnats:
                reach.append(f"the DNAT for 127.0.0.0/8 destinations forwards it "
                             f"({dnats[0][2].raw})")
            if inp is None:
                reach.append(f"the input hook accepts it, so services bound to 127.0.0.1 "
                             f"answer")
            if not reach:
                continue
            where = "every interface" if iface == "all" else iface
            msg = (f"route_localnet is 1 on {where}: a neighbour can route tcp to "
                   f"127.0.0.1:{port} through this host, nothing on the prerouting hook drops "
                   f"127.0.0.0/8 arriving from outside, and " + " and ".join(reach))
            related = [Related(dnats[0][2].span, "DNAT for a loopback destination")] \
                if dnats else []
            cmds = _guard_commands(host) + set_sysctl((v.key, "0"))
            yield self.diagnostic(
                msg, v.span, related=related,
                fix=Fix("drop 127.0.0.0/8 arriving on any interface but lo before routing, or "
                        "turn route_localnet off where nothing needs it", cmds),
                key=("route-localnet-exposure", v.key))

    def _inverse(self, host, values):
        for t, c, r, iif in _loopback_dnats(host):
            if iif == "lo":
                continue
            eff = _effective_rl(values, iif) if iif else (
                (values["all"].as_int or 0) if "all" in values else 0)
            if eff == 1 or (not iif and any((v.as_int or 0) == 1 for k, v in values.items()
                                            if k not in ("lo", "default"))):
                continue
            given = [values[k] for k in ("all", iif) if k and k in values]
            basis = ", ".join(f"{v.key} = {v.value}" for v in given) or \
                "route_localnet assumed 0 (kernel default; no sysctl dump of it)"
            where = iif or "any interface but lo"
            key = f"net.ipv4.conf.{iif or 'all'}.route_localnet"
            yield self.diagnostic(
                f"this rule DNATs traffic arriving on {where} to a loopback address, but "
                f"{basis}: after NAT the kernel routes the packet and drops it as a martian "
                f"destination, so the connection silently fails",
                r.span, severity=Severity.WARNING if given else Severity.INFO,
                related=tuple(Related(v.span, f"{v.key} = {v.value}") for v in given
                              if v.span is not None),
                fix=Fix(f"DNAT to a non-loopback address, or set route_localnet=1 on {where} "
                        f"together with a raw drop of 127.0.0.0/8 from other interfaces",
                        set_sysctl((key, "1")) + _guard_commands(host)),
                key=(t.backend, t.family, t.name, c.name, r.raw))


# -- NF306 ---------------------------------------------------------------------------------

def _unscoped(rule, nat) -> bool:
    """No source restriction and no positive output interface. A target looked up in a map
    keyed by the source (nft `snat ip prefix to ip saddr map {...}`) translates only the
    sources the map lists: that is a source restriction."""
    text = nat.address or ""
    if "map" in text and "saddr" in text:
        return False
    if _lost_source(rule):
        return False
    for m in rule.matches:
        if isinstance(m, AddressMatch) and m.field == "saddr" and not m.negated:
            return False
        if isinstance(m, InterfaceMatch) and m.direction == "out" and not m.negated:
            return False
    return True


def _lost_source(rule) -> bool:
    """The rule's own text names a source the model does not have: a part the frontend could
    not read (reported as NF001, e.g. a mangled `ip saddr COUNTER masquerade`). Its scope is
    unknown, so it is not called unscoped."""
    raw = f" {rule.raw or ''} "
    return (" saddr " in raw or " -s " in raw or " --source " in raw) and not any(
        isinstance(m, AddressMatch) and m.field == "saddr" for m in rule.matches)


def _binding_rule(host, pkt, family):
    """The nat postrouting rule that binds `pkt` (nat chains in priority order)."""
    sim = Simulation(host, Brancher())
    for table, chain in base_chains(host, "postrouting", family):
        if chain.type != "nat":
            continue
        out = run_chain(sim, pkt.fork(), "postrouting", table, chain)
        if out.nat is not None:
            return out.nat_rule, bool(sim.rec.choices)
    return None, False


class OverbroadMasquerade(LintRule):
    """A MASQUERADE/SNAT with neither a source network nor an output interface rewrites traffic
    it was not written for: routed LAN, VPN or inter-bridge flows lose their source address.

    What it does:
        Finds MASQUERADE/SNAT rules reachable from a nat postrouting chain that restrict neither
        the source (`-s`, `ip saddr`) nor the output interface (`-o UPLINK`; a `! -o BRIDGE`
        alone does not scope it), then runs a routed flow that is not the host's and not a
        container's (a LAN client to another network, in and out on interfaces no rule names)
        through the nat postrouting chains in priority order. It reports the rule when that
        flow is masqueraded by it.

    Why it matters:
        Servers behind the host see the host's address instead of their clients' (logs, ACLs,
        fail2ban all go blind), VPN peers are NATed when they should be routed, and return
        routes that were meant to work are never used.

    Example (bad):
        ```
        *nat
        -A POSTROUTING ! -o docker0 -j MASQUERADE
        ```

    Use instead (good):
        ```
        *nat
        -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
        ```
        or `-o eth0 -j MASQUERADE` on a router whose uplink is eth0.

    Fix:
        Scope the rule by source network (`-s SUBNET`) and/or output interface (`-o UPLINK`),
        exempt local destinations (`! -d 10.0.0.0/8`), or use routed gateway modes
        (`gateway_mode_ipv4=routed`) with return routes.

    References:
        - lxc/incus#3513 ("traffic from… wifi0, to… incusbr0, has its source address changed")
        - moby/moby#45629 (MASQUERADE replaces client IPs); tozd/docker-external-ip#3
        - pitfalls.md #21 masquerade-scope
    """

    code = "NF306"
    name = "overbroad-masquerade"
    severity = Severity.WARNING

    def check(self, host):
        up = uplink(host) if host.interfaces else None
        for family in (4, 6):
            rules = [(t, c, r, nat) for t, c, r, nat, _ in nat_rules(host, family,
                                                                        ("postrouting",))
                     if nat.kind in ("masquerade", "snat") and _unscoped(r, nat)]
            if not rules:
                continue
            local = {a for a in local_addresses(host)}
            src = outside_address(host, family)
            dst = outside_address(host, family, avoid=(src,))
            if ipaddress.ip_address(src) in local:
                continue
            pkt = Packet("tcp", ipaddress.ip_address(src), ipaddress.ip_address(dst), 40000, 443)
            pkt.tcp_flags = frozenset({"syn"})
            pkt.iif, pkt.oif = OTHER_IFACE, "nflint-other1"
            pkt.ct_state, pkt.ct_dir = "new", "original"
            bound, maybe = _binding_rule(host, pkt, family)
            for t, c, r, nat in rules:
                if bound is not r or maybe:
                    continue
                yield self._report(host, t, c, r, nat, src, dst, up)

    def _report(self, host, t, c, r, nat, src, dst, up):
        bridge = next((m.names[0] for m in r.matches if isinstance(m, InterfaceMatch) and
                       m.direction == "out" and m.negated and len(m.names) == 1), None)
        iface = host.interface(bridge) if bridge else None
        subnet = next((str(a.network) for a in iface.ipv4), None) if iface else None
        uplink_name = up.iface if up is not None and up.real else None
        msg = (f"{nat.kind.upper()} without a source network or output interface: a routed "
               f"flow that is neither the host's nor a container's ({src} -> {dst}, in and out "
               f"on other interfaces) is rewritten to the host's address by this rule")
        if bridge:
            msg += f" (`! -o {bridge}` only exempts traffic to {bridge})"
        if nft_syntax(t):
            words = [f"ip{'6' if t.family == 'ip6' else ''} saddr {subnet or 'SUBNET'}"]
            if uplink_name:
                words.append(f'oifname "{uplink_name}"')
            add = f"nft add rule {t.family} {t.name} {c.name} {' '.join(words)} {nat.kind}"
        else:
            add = (f"{iptables_binary(t)} -t nat -A {c.name} -s {subnet or 'SUBNET'}"
                   + (f" -o {uplink_name}" if uplink_name else (f" ! -o {bridge}" if bridge
                                                                 else ""))
                   + (" -j MASQUERADE" if nat.kind == "masquerade" else
                      f" -j SNAT --to-source {nat.address}"))
        return self.diagnostic(
            msg, r.span,
            fix=Fix("scope it to the network it is for (replace SUBNET if shown) and/or the "
                    "uplink", (delete_rule(t, c.name, r), add)),
            key=(t.backend, t.family, t.name, c.name, r.raw))
