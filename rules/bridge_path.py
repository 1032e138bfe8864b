"""Packet-path rules for bridges that hand their frames to iptables/nft (br_netfilter): the
first seed's four stacked failures and the FORWARD-drop side effect.

Every finding comes from flows the engine simulated over the host (rules/bridge_probes.py);
the fix each prints is the change the engine was asked about, and it worked there.
"""
from __future__ import annotations

from nflint.diagnostics import Fix, Related, Severity
from nflint.lintrule import LintRule
from nflint.matches import InterfaceMatch

from .bridge_probes import Finding, analyse

BRNF_KEY = "net.bridge.bridge-nf-call-iptables"
BRNF6_KEY = "net.bridge.bridge-nf-call-ip6tables"


def _stacked(f: Finding) -> str:
    if not f.behind:
        return ""
    return (f" (stacked behind {' and '.join(f.behind)}: nflint simulated the host with "
            f"{'that' if len(f.behind) == 1 else 'those'} fixed to see it)")


def _certainty(f: Finding) -> tuple[str, Severity | None]:
    """Message suffix and severity for a finding that rests on a partial listing."""
    why = f.unsure
    if why is None:
        return "", None
    return f" (uncertain: {why})", Severity.WARNING


def _assumed(f: Finding, about: str) -> str:
    """"; <the trace's assumption about `about`>", so a message that rests on it says so."""
    got = next((a for a in f.trace.assumptions if about in a), None)
    return f"; {got}" if got else ""


def _sender(f: Finding) -> str:
    s = f.sender
    return f"{s.what} ({s.ip}{', address assumed' if s.assumed else ''})"


def _target(f: Finding) -> str:
    return f"{f.flow.dst}:{f.flow.dport}" if f.flow.dport is not None else f.flow.dst


def _iface_related(host, name: str, why: str) -> list[Related]:
    i = host.interface(name)
    return [Related(i.span, why)] if i is not None and i.span.line else []


def _sysctl_related(host, key: str, why: str) -> list[Related]:
    v = host.sysctls.given.get(key)
    return [Related(v.span, f"{why}: {key} = {v.value}")] if v is not None and v.span else []


def _jumps_to(f: Finding, step, hook: str) -> list[Related]:
    """The jump rules the packet followed in `hook` up to `step` (how it got there)."""
    out = []
    for p in f.trace.packets:
        for s in p.steps:
            if s is step:
                return out
            if s.kind == "hook" and s.hook == hook:
                out = []
            elif s.hook == hook and out and (s.kind == "return" or s.verdict == "return"):
                out.pop()  # that chain is done: it is not on the way any more
            elif s.rule is not None and s.hook == hook and s.kind == "jump" and \
                    s.rule.span.line:
                out.append(Related(s.rule.span, f"the packet gets there through: {s.rule.raw}"))
    return out


def _guard(rules, bridge: str) -> str:
    """What the input-interface guards of the DNAT path say about `bridge`."""
    guards = [m for r in rules for m in r.matches
              if isinstance(m, InterfaceMatch) and m.direction == "in"]
    if not guards:
        return "has no input-interface guard"
    names = ", ".join(n for m in guards for n in m.names)
    if all(m.negated for m in guards):
        return f"excludes only {names}, not {bridge}"
    return f"matches input interface(s) {names}, which include {bridge}"


def _rule_or_chain(step):
    """The span and text of what dropped: the rule, or the chain whose policy did."""
    if step.rule is not None:
        return step.rule.span, step.rule.raw
    chain = step.table.chain(step.chain) if step.table is not None else None
    span = chain.span if chain is not None else None
    return span, f"policy {(chain.policy if chain else 'drop').upper()} of {step.table.label} " \
                 f"{step.chain}"


class _FromBridgeProbes(LintRule):
    """The rules here report what one shared simulation found, each under its own code."""

    def findings(self, host) -> list[Finding]:
        return analyse(host).findings.get(self.code, [])


class BridgeDnatLeak(_FromBridgeProbes):
    """A frame that a bridge only forwards is DNATed on that bridge, because br_netfilter hands
    it to the IPv4 PREROUTING hook there and the DNAT rule does not exclude the bridge.

    What it does:
        Simulates every known or assumed device behind each bridge port talking to the host's
        published (DNATed) ports. It reports a DNAT rule that fires in br_netfilter's PREROUTING
        pass of a bridge the frame is only crossing (the frame is for another bridge's address,
        e.g. across a veth pair), where without br_netfilter the host would have DNATed it on
        another interface. Docker's `-m addrtype --dst-type LOCAL -j DOCKER` / `fib daddr type
        local` with `! -i br-<id>` guards are the typical case.

    Why it matters:
        The connection is NATed on the wrong bridge: br_netfilter then routes it again with
        that bridge as input device (an address-less bridge fails the reverse-path check,
        NF103), the forward path sees the wrong ingress (isolation drops, NF102), and the
        replies cross the bridge again and are tracked twice (NF104). Firewall rules that
        mention the bridge explain nothing, because nothing filters it: it is NATed.

    Example:
        ```
        # br-lan137 (no address) is joined to br-mellanox (198.51.100.250) by a veth pair;
        # bridge-nf-call-iptables = 1
        *nat
        -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
        -A DOCKER ! -i br-da66fb6805df -p tcp -m tcp --dport 5000 -j DNAT --to-destination 198.18.0.4:5000
        ```

    Use instead:
        ```
        *raw
        -A PREROUTING -i br-lan137 -j NOTRACK
        ```

    Fix:
        Leave the bridge's frames untracked (`iptables -t raw -I PREROUTING 1 -i BRIDGE -j
        NOTRACK`, nft `iifname "BRIDGE" notrack` in a prerouting chain at priority raw): an
        untracked frame is not NATed there and is DNATed once, where it reaches the host. Or
        turn br_netfilter off for IPv4 (`sysctl -w net.bridge.bridge-nf-call-iptables=0`) when
        nothing filters bridged traffic. Do not NOTRACK a bridge whose own address serves
        stateful traffic.

    References:
        - Seed 000, Issue 1 and Solution: https://blog.hljin.net/2025/11/docker-host-bridge-network
        - moby/libnetwork#2310 (Docker on an existing bridge); moby/libnetwork#1963 (how the
          `! -i <bridge>` guards behave once interfaces change)
        - net/bridge/br_netfilter_hooks.c (br_nf_pre_routing_finish routes again after DNAT)
        - pitfalls.md #19 dnat-on-bridged-frames; kernel-facts.md (failure 1)
    """

    code = "NF101"
    name = "bridge-dnat-leak"
    severity = Severity.ERROR

    def check(self, host):
        for f in self.findings(host):
            step, bridge = f.data["step"], f.data["bridge"]
            rule = step.rule
            jumps = _jumps_to(f, step, "prerouting")
            path = [s.rule for p in f.trace.packets[:1] for s in p.steps
                    if s.rule is not None and any(r.span == s.rule.span for r in jumps)]
            instead = f.data["instead"]
            where = f"it would be DNATed on {instead}" if instead else \
                "the host would not DNAT it at all"
            msg = (f"{_sender(f)} -> {_target(f)} is DNATed ({rule.raw if not rule.raw.startswith('{') else 'this rule'}) "
                   f"while bridge {bridge} only forwards the frame: br_netfilter runs PREROUTING "
                   f"on {bridge} ({_assumed(f, 'bridge-nf-call-iptables assumed')[2:] or 'bridge-nf-call-iptables=1'}) and the rule's path {_guard(path + [rule], bridge)}; "
                   f"without br_netfilter {where}")
            also = sorted(p for p in f.data["also"] if p is not None and p != f.flow.dport)
            if also:
                shown = ", ".join(map(str, also[:8])) + (", ..." if len(also) > 8 else "")
                msg += f"; the same holds for the other published port(s) {shown}"
            related = jumps + _sysctl_related(host, BRNF_KEY,
                                              "br_netfilter hands bridged frames to iptables")
            related += _iface_related(host, bridge, f"the bridge that only forwards the frame")
            sev = Severity.ERROR if f.data["failed"] else Severity.WARNING
            yield self.diagnostic(
                msg, rule.span, related=related, severity=sev,
                fix=Fix(f"{f.remedy.description} (nflint re-simulated the flow: the DNAT then "
                        f"happens once, where the frame reaches the host); or set "
                        f"{BRNF_KEY}=0 if nothing filters bridged frames", f.remedy.commands),
                key=("bridge-dnat-leak", bridge, rule.raw))


class IsolationDrop(_FromBridgeProbes):
    """A port the host publishes with DNAT is dropped in the forward path for traffic that
    arrives on some interface: from that network the published service is unreachable.

    What it does:
        Simulates devices and containers on every network of the host connecting to every
        published port, and reports the forward-hook rule (or policy) that drops the DNATed
        flow, naming the ingress interface, the DNAT rule and the dropping rule. Docker's
        DOCKER-ISOLATION stages, podman/netavark isolation chains, `icc=false` and a plain
        FORWARD DROP all show up this way. A failure the packet would only meet after an earlier
        one (rp_filter, NF103) is still reported, marked as stacked.

    Why it matters:
        The DNAT rule says the port is open to everyone, the forward path says it is not for
        this network: clients time out with nothing in the logs pointing at isolation.

    Example:
        ```
        -A DOCKER-ISOLATION-STAGE-1 -i br-lan137 ! -o br-lan137 -j DOCKER-ISOLATION-STAGE-2
        -A DOCKER-ISOLATION-STAGE-2 -o br-da66fb6805df -j DROP
        ```

    Use instead:
        ```
        -A DOCKER-USER -i br-lan137 -o br-da66fb6805df -d 198.18.0.4/32 -p tcp --dport 5000 -j ACCEPT
        ```

    Fix:
        Accept the published flow before the drop (in DOCKER-USER on Docker hosts, the chain
        FORWARD jumps to first), or stop the flow from being DNATed on that interface at all
        (NF101's NOTRACK, when the DNAT itself is the mistake).

    References:
        - Seed 000, Issue 2 (FORWARD rules): https://blog.hljin.net/2025/11/docker-host-bridge-network
        - containers/netavark#1483 (isolation drops bridge A -> published port -> bridge B);
          moby/libnetwork#1398 ("blocked by the inter-bridge isolation rule")
        - pitfalls.md #17 isolation-drops-dnat-between-networks; kernel-facts.md (failure 3)
    """

    code = "NF102"
    name = "isolation-drop"
    severity = Severity.ERROR

    def check(self, host):
        for f in self.findings(host):
            step, dnat = f.data["step"], f.data["dnat"]
            span, what = _rule_or_chain(step)
            ingress, egress = f.data["ingress"], f.data["egress"]
            fwd_in, fwd_out = f.data["path"]
            direction = "the server's reply" if f.data["reply"] else "it"
            placed = _assumed(f, f"{f.data['target']} assumed to be a container")
            msg = (f"the port {_target(f)} published by DNAT to {f.data['target']}"
                   f"{f' ({placed[2:]})' if placed else ''} is unreachable from {ingress}: {_sender(f)} is DNATed on {ingress}, then "
                   f"the forward hook drops {direction} ({fwd_in} -> {fwd_out}) in "
                   f"{step.table.label} {step.chain}{_stacked(f)}")
            caveat, severity = _certainty(f)
            msg += caveat
            related = [Related(dnat.rule.span, f"the DNAT rule that publishes the port: "
                                               f"{dnat.rule.raw}")]
            related += _jumps_to(f, step, "forward")
            related += _iface_related(host, ingress, "the ingress interface")
            yield self.diagnostic(
                msg, span or dnat.rule.span, related=related,
                fix=Fix(f"{f.remedy.description} (nflint re-simulated the flow with it: the "
                        f"drop no longer applies)", f.remedy.commands),
                key=("isolation-drop", ingress, egress, dnat.rule.raw, what),
                severity=severity)


class RpFilterIplessBridge(_FromBridgeProbes):
    """Packets enter the IP layer on an interface that has no IPv4 address while rp_filter is
    on: the reverse-path check fails for every one of them and they are dropped as martians.

    What it does:
        Finds flows the engine sees dropped by the reverse-path check (`fib_validate_source`)
        on an interface without an IPv4 address: packets routed from it, or re-routed by
        br_netfilter after a DNAT on a bridge (the first seed's br-lan137). Reports the
        sysctl that makes the effective `rp_filter` (max of `all` and the interface) 1 or 2.

    Why it matters:
        An address-less interface has no route "back" that counts, so loose mode (2) fails as
        surely as strict mode: the SYN vanishes before FORWARD (firewall counters stay at 0),
        only `log_martians` shows "martian source ... on dev BRIDGE". Lowering only the
        interface's value does nothing while `all` is higher.

    Example:
        ```
        net.ipv4.conf.all.rp_filter = 2
        net.ipv4.conf.br-lan137.rp_filter = 2
        ```

    Use instead:
        ```
        net.ipv4.conf.all.rp_filter = 0
        net.ipv4.conf.br-lan137.rp_filter = 0
        ```

    Fix:
        Set rp_filter 0 on `all` and on the interface (`sysctl -w
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.IFACE.rp_filter=0`, and in sysctl.d), or
        give the interface an address (any address satisfies the check). When the packets only
        get there because of NF101, fixing that removes this too.

    References:
        - Seed 000, Issue 3 (rp_filter): https://blog.hljin.net/2025/11/docker-host-bridge-network
        - https://github.com/centurycoder/martian_source (fib_validate_source without an address)
        - tkestack/galaxy#119 (ip-sysctl: "The max value from conf/{all,interface}/rp_filter is
          used"); cilium/cilium#10645; firewalld/firewalld#1235
        - pitfalls.md (address-less bridge + rp_filter); kernel-facts.md (failure 2)
    """

    code = "NF103"
    name = "rp-filter-ipless-bridge"
    severity = Severity.ERROR

    def check(self, host):
        for f in self.findings(host):
            dev, rpf = f.data["device"], f.data["rp_filter"]
            used = [v for v in f.data["sysctls"] if v.span is not None]
            deciding = [v for v in used if v.as_int == rpf]
            # `all` first: lowering only the interface does nothing while `all` is higher.
            deciding.sort(key=lambda v: 0 if ".all." in v.key else 1)
            iface = host.interface(dev)
            span = deciding[0].span if deciding else (iface.span if iface else None)
            if span is None:
                continue
            dnat = f.data["dnat"]
            how = (f"re-routed there by br_netfilter after the DNAT of {_target(f)}"
                   if dnat is not None else "routed from it")
            caveat, severity = _certainty(f)
            assumed = "" if deciding or caveat else " (value assumed: no sysctl dump of it)"
            msg = (f"{dev} has no IPv4 address and its effective rp_filter is {rpf}{assumed}: "
                   f"packets that enter the IP layer on {dev} ({how}) fail the reverse-path "
                   f"check and are dropped as martians, so {_sender(f)} cannot reach "
                   f"{_target(f)}{_stacked(f)}{caveat}")
            related = [Related(v.span, f"also sets it: {v.key} = {v.value}")
                       for v in used if v.span != span]
            related += _iface_related(host, dev, f"{dev}: no IPv4 address")
            if dnat is not None:
                related.append(Related(dnat.rule.span, f"the DNAT that makes br_netfilter "
                                                       f"route again: {dnat.rule.raw}"))
            yield self.diagnostic(
                msg, span, related=related,
                fix=Fix(f"{f.remedy.description} (both: the effective value is the higher "
                        f"one), or give {dev} an address", f.remedy.commands),
                key=("rp-filter-ipless-bridge", dev), severity=severity)


class MissingNotrack(_FromBridgeProbes):
    """A flow crosses two bridges of this host that both run br_netfilter, joined by a veth
    pair, and nothing stops conntrack from tracking it on both: the reply is seen INVALID and
    the connection is reset.

    What it does:
        Simulates the whole TCP exchange (SYN, SYN+ACK, ACK, first data) of flows to published
        ports and reports the bridge where conntrack meets the flow a second time (a veth scrubs
        conntrack state, so the next bridge looks it up again) when the engine sees the
        connection fail from it and a NOTRACK on that bridge (or `CT --notrack`, nft `notrack`,
        a separate `ct zone`) would make it work. With a `conntrack -E` log, cites the
        reply-direction `[NEW]` entry whose port was rewritten.

    Why it matters:
        The handshake completes, then the connection dies: the server's SYN+ACK is INVALID at
        the second bridge (it never saw the SYN), its first data segment creates a new entry
        whose reply tuple clashes with the real connection, NAT's null binding rewrites the
        source port, and the client answers RST ("Connection reset by peer").

    Example:
        ```
        *raw
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -d 198.18.0.4/32 ! -i br-da66fb6805df -j DROP
        ```

    Use instead:
        ```
        *raw
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -i br-lan137 -j NOTRACK
        -A PREROUTING -d 198.18.0.4/32 ! -i br-da66fb6805df -j DROP
        ```

    Fix:
        `iptables -t raw -I PREROUTING 1 -i BRIDGE -j NOTRACK` (nft: `iifname "BRIDGE" notrack`
        in a prerouting chain at priority raw), on the bridge the flow enters first; or
        `bridge-nf-call-iptables=0`. A conntrack zone helps only if it separates the two passes
        (e.g. by `--physdev-in`): `-i BRIDGE -j CT --zone N` puts both directions' passes over
        that bridge in zone N, and the kernel still resets the connection.

    References:
        - Seed 000, Issue 4 and Solution: https://blog.hljin.net/2025/11/docker-host-bridge-network
        - lxc/incus-os#1261 ("NAT+br_netfilter effectively causing traffic to be double tracked
          and dropped", fixed by NOTRACK per bridge); lxc/incus-os#1383 (SYN-ACK, then RST)
        - https://thermalcircle.de/doku.php?id=blog:linux:connection_tracking_3_state_and_examples
        - pitfalls.md #18 (double traversal); kernel-facts.md (failure 4)
    """

    code = "NF104"
    name = "missing-notrack"
    severity = Severity.ERROR

    def check(self, host):
        for f in self.findings(host):
            bridge, dnat = f.data["bridge"], f.data["dnat"]
            others = f.data["bridges"]
            across = f"{bridge} and {' and '.join(others)} (joined by a veth pair)" if others \
                else bridge
            msg = (f"{_sender(f)} -> {_target(f)} crosses {across}, both running "
                   f"br_netfilter, and nothing keeps conntrack from tracking it again at "
                   f"{bridge}: the server's SYN+ACK is INVALID there, its first data segment "
                   f"opens a second entry whose source port is rewritten, and the client "
                   f"resets the connection{_stacked(f)}")
            related = [Related(dnat.rule.span, f"the DNAT whose connection is tracked twice: "
                                               f"{dnat.rule.raw}")]
            related += _sysctl_related(host, BRNF_KEY, "br_netfilter on for every bridge")
            seen = list(_rewritten_entries(host, f))
            for ev in seen:
                related.append(Related(ev.span, "conntrack saw it: a reply-direction [NEW] "
                                                "entry with a rewritten port"))
            caveat, severity = _certainty(f) if not seen else ("", None)
            msg += caveat
            iface = host.interface(bridge)
            span = iface.span if iface is not None and iface.span.line else dnat.rule.span
            yield self.diagnostic(
                msg, span, related=related,
                fix=Fix(f"{f.remedy.description} (nflint re-simulated the exchange with it: "
                        f"{'it completes' if f.data['works'] else 'this failure is gone'})",
                        f.remedy.commands),
                key=("missing-notrack", bridge, dnat.rule.raw), severity=severity)


def _rewritten_entries(host, f: Finding):
    """`conntrack -E` [NEW] entries from the published side whose reply port was rewritten."""
    port = str(f.flow.dport)
    for ev in host.evidence:
        if ev.kind != "conntrack" or ev.get("event") != "NEW":
            continue
        if ev.get("orig_src") == f.flow.dst and ev.get("orig_sport") == port and \
                ev.get("reply_dport") not in (None, port) and \
                ev.get("reply_sport") == ev.get("orig_dport"):
            yield ev


class BridgeForwardDrop(_FromBridgeProbes):
    """Frames a bridge forwards between its own ports meet a forward-hook drop, because
    br_netfilter hands them to iptables/nft: devices behind the bridge lose each other.

    What it does:
        Simulates devices behind different ports of the same L2 segment talking to each other
        and reports the rule or policy of the forward hook that drops the frames a bridge
        forwards (in = out = the bridge). Typically Docker's `FORWARD` policy DROP on a host
        whose LAN bridge also carries VMs, LXC guests or other LAN devices. Drops written for
        the bridge itself (`-i br0 -o br0 -j DROP`, Docker's icc=false) are deliberate and not
        reported. IPv6 is probed too, once per bridge, when the dumps give the segment an IPv6
        address (its own or the link-local one) and a table sees IPv6 on the forward hook
        (ip6tables' filter, nft `ip6`/`inet`): with `bridge-nf-call-ip6tables` on, the ip6
        hook drops the same frames. Neighbour discovery is ICMPv6, which nflint does not
        model as such: when an ICMPv6 probe meets the same drop (and no rule there names the
        ND types), the message says that neighbour discovery dies with it.

    Why it matters:
        Layer-2 traffic that never touches the host's IP stack is filtered by rules written for
        routed traffic. In the first seed, the container behind br-lan137 cannot reach the
        other LAN devices across br-mellanox; the NOTRACK fix of NF104 does not change that.
        For IPv6 it is worse: neighbour solicitations and router advertisements are dropped
        too, so guests lose IPv6 altogether, often long after IPv4 was fixed (Docker 27
        writes its FORWARD DROP for ip6tables as well).

    Example:
        ```
        *filter
        :FORWARD DROP [0:0]
        -A FORWARD -j DOCKER-USER
        -A FORWARD -j DOCKER-FORWARD
        ```

    Use instead:
        ```
        *filter
        :FORWARD DROP [0:0]
        -A FORWARD -j DOCKER-USER
        -A FORWARD -j DOCKER-FORWARD
        -A DOCKER-USER -i br-mellanox -o br-mellanox -j ACCEPT
        ```

    Fix:
        Accept what the bridge forwards between its ports (`iptables -I DOCKER-USER -i BRIDGE
        -o BRIDGE -j ACCEPT`, nft `iifname "BRIDGE" oifname "BRIDGE" accept` in the dropping
        chain), or `sysctl -w net.bridge.bridge-nf-call-iptables=0` when nothing filters bridged
        frames. For IPv6 the same in ip6tables (`ip6tables -I DOCKER-USER -i BRIDGE -o BRIDGE
        -j ACCEPT`; in an nft `inet` table an accept not limited to `meta nfproto ipv4`), or
        `sysctl -w net.bridge.bridge-nf-call-ip6tables=0`.

    References:
        - moby/moby#39439 ("This breaks networking in LXD and Libvirt (Qemu) NAT running on the
          same host"); seapath/ansible#909 (br_netfilter + FORWARD DROP drops KVM bridge
          traffic)
        - moby/moby#48365 (Docker 27's ip6tables FORWARD DROP breaks IPv6 on an unrelated
          libvirt bridge)
        - pitfalls.md #1 forward-drop-breaks-foreign-bridge; kernel-facts.md (side effects:
          the seed container cannot reach other LAN devices across br-mellanox)
    """

    code = "NF105"
    name = "bridge-forward-drop"
    severity = Severity.ERROR

    def check(self, host):
        for f in self.findings(host):
            bridge, step, dest = f.data["bridge"], f.data["step"], f.data["dest"]
            span, what = _rule_or_chain(step)
            if span is None:
                continue
            six = f.data.get("family") == 6
            key = BRNF6_KEY if six else BRNF_KEY
            where = what if step.rule is None else f"{step.table.label} {step.chain}"
            if six:
                msg = (f"{bridge} forwards IPv6 frames between its ports ({_sender(f)} -> "
                       f"{dest.what}, {dest.ip}), and with br_netfilter they run the ip6 "
                       f"forward hook ({_assumed(f, 'bridge-nf-call-ip6tables assumed')[2:] or 'bridge-nf-call-ip6tables=1'}), "
                       f"where {where} drops them: devices behind {bridge} cannot reach each "
                       f"other over IPv6")
                if f.data.get("icmpv6"):
                    msg += (f"; ICMPv6 meets the same drop, so neighbour discovery is among "
                            f"what is dropped and IPv6 on {bridge} fails altogether")
            else:
                msg = (f"{bridge} forwards frames between its ports ({_sender(f)} -> "
                       f"{dest.what}, {dest.ip}), and with br_netfilter they run the forward "
                       f"hook, where {where} drops them: devices behind {bridge} cannot reach "
                       f"each other")
            caveat, severity = _certainty(f)
            msg += caveat
            related = _jumps_to(f, step, "forward")
            related += _sysctl_related(host, key, "br_netfilter hands bridged frames to "
                                                  f"{'ip6tables' if six else 'iptables'}")
            related += _iface_related(host, bridge, "the bridge")
            yield self.diagnostic(
                msg, span, related=related,
                fix=Fix(f"{f.remedy.description} (nflint re-simulated the flow with it); or "
                        f"{f'sysctl -w {key}' if six else key}=0 if nothing filters bridged "
                        f"frames", f.remedy.commands),
                key=("bridge-forward-drop", bridge, what) + (("ipv6",) if six else ()),
                severity=severity)
