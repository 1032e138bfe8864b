"""The flows the bridge-path rules (NF101-NF105) ask the engine about, and the "what if" hosts
that reveal failures stacked behind the first one.

One analysis per host, shared by the five rules:
- senders: known containers, and a device assumed behind every outside port of every bridge
  (a veth whose peer is in another namespace, or a physical port) and on every plain interface,
  with an address of that L2 segment's subnet. A device behind a veth is placed in the model as
  a container of that bridge, so that the engine sends the answers back through that port, as
  the bridge's forwarding database would after the first frame;
- flows: every sender to every host address on every published (DNATed) port, and every sender
  to every other sender of its segment (traffic the bridges forward);
- stacked failures: the engine's outcome is the first failure a packet meets. For each one this
  module builds the host as it would be with that failure fixed (rp_filter lowered, an accept or
  NOTRACK added, exactly the fix the rule prints) and simulates again, as a user fixing the
  problems one at a time would see them.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field

from nflint.engine import Flow, HostIndex, published_ports, simulate
from nflint.engine.conntrack import parse_nat_target
from nflint.engine.trace import Step, Trace
from nflint.fixes import (accept_command, nft_raw_chain_commands, nft_syntax, notrack_command,
                          set_sysctl)
from nflint.host import Host
from nflint.matches import (AddressMatch, IcmpTypeMatch, InterfaceMatch, PortMatch,
                             ProtocolMatch)
from nflint.netstate import DockerNetwork
from nflint.ruleset import Chain, Rule, Ruleset, Table
from nflint.span import WHATIF_SPAN, Span
from nflint.statements import NotrackAction, Verdict
from nflint.sysctls import SysctlValue, Sysctls

MAX_PUBLISHED_FLOWS = 96
MAX_LATERAL_FLOWS = 32
MAX_STACK = 6
LATERAL_PORT = 443  # any port: the drops these rules find do not depend on it
RAW_PRIORITY_BELOW = -200  # conntrack's priority: NOTRACK must run before it


# -- senders ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sender:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    what: str  # "container homeassistant", "a device behind veth5a44ead (port of br-lan137)"
    bridge: str | None
    port: str | None  # the bridge port, or the plain interface
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None  # the segment's subnet
    assumed: bool = False  # an address nflint chose, not one from the dumps
    placed: bool = False  # added to the model as a container of `bridge`
    via_host: bool = False  # its default gateway is one of the host's addresses

    def reaches(self, addr: str) -> bool:
        """Whether its packets to a host address reach the host: on-link, or through the host
        as gateway (not through another router, whose path nflint cannot see)."""
        return self.via_host or (self.network is not None and
                                 ipaddress.ip_address(addr) in self.network)

    def flow(self, dst: str, proto: str = "tcp", dport: int | None = None) -> Flow:
        if self.placed or not self.assumed:
            return Flow(str(self.ip), dst, proto, dport=dport)
        return Flow(str(self.ip), dst, proto, dport=dport, in_iface=self.port)


def _segment_network(topo, bridge: str, family: int = 4):
    """The subnet of the L2 segment a bridge belongs to: its own, its Docker network's, or
    that of a bridge joined to it by a veth pair (the first seed's br-lan137 -> br-mellanox).
    For IPv6 a global subnet wins over the link-local fe80::/64 every IPv6 port has (and that
    neighbour discovery runs on)."""
    seen, todo = set(), [bridge]
    link_local = None
    while todo and len(seen) < 32:
        b = todo.pop(0)
        if b in seen:
            continue
        seen.add(b)
        for a in topo.addresses(b):
            if a.version == family and a.network.prefixlen < a.max_prefixlen - 1:
                if family == 4 or not a.network.is_link_local:
                    return a.network
                link_local = link_local or a.network
        net = topo.docker_bridge.get(b)
        for sub in (net.subnets if net else ()):
            try:
                n = ipaddress.ip_network(sub, strict=False)
            except ValueError:
                continue
            if n.version == family and n.prefixlen < n.max_prefixlen - 1:
                return n
        for p in topo.ports(b):
            peer = topo.peer(p.name)
            other = topo.master(peer) if peer else None
            if other and other not in seen:
                todo.append(other)
    return link_local


def pick_free_address(network, taken: set, *, first: int = 1, tries: int = 200):
    """An address of the subnet nobody in the dumps uses, from the top (gateways sit low);
    `first` is how far below the broadcast address to start. Adds it to `taken`."""
    top = int(network.broadcast_address)
    for k in range(first, first + tries):
        cand = type(network.network_address)(top - k)
        if cand not in network or cand == network.network_address:
            return None
        if cand not in taken:
            taken.add(cand)
            return cand
    return None


def _senders(host: Host, family: int = 4) -> list[Sender]:
    """Who talks on the host's segments, in one address family. IPv6 has only the senders
    behind bridges: it is probed for the frames bridges forward (NF105), nothing else."""
    topo = HostIndex.of(host).topology
    taken = set(topo.local) | set(topo.containers)
    out: list[Sender] = []
    for ip, (name, net) in topo.containers.items():
        if ip.version != family:
            continue
        place = topo.place(ip)
        seg = None
        for s in net.subnets:
            try:
                seg = ipaddress.ip_network(s, strict=False)
            except ValueError:
                continue
            if family == 4 or seg.version == family:
                break
            seg = None
        out.append(Sender(ip, f"container {name}", place.bridge, place.port, seg,
                          via_host=place.gateway is not None and place.gateway in topo.local))
    for iface in list(topo.ifaces.values()):
        if iface.kind == "loopback" or iface.name == "lo":
            continue
        peer = topo.peer(iface.name)
        if peer is not None and topo.iface(peer) is not None:
            continue  # a link between two of the host's own devices
        if iface.master and topo.is_bridge(iface.master):
            if iface.kind == "bridge" or topo.container_behind(iface.name) is not None:
                continue
            seg = _segment_network(topo, iface.master, family)
            ip = pick_free_address(seg, taken) if seg else None
            if ip is None:
                continue
            placed = iface.kind == "veth" or peer is not None or iface.peer_index is not None
            out.append(Sender(ip, f"a device behind {iface.name} (port of {iface.master})",
                              iface.master, iface.name, seg, assumed=True, placed=placed,
                              via_host=any(a.version == family and ip in a.network
                                           for a in topo.addresses(iface.master))))
        elif family == 4 and not topo.is_bridge(iface.name) and not iface.master:
            nets = [a.network for a in iface.ipv4 if a.network.prefixlen < 31]
            ip = pick_free_address(nets[0], taken) if nets else None
            if ip is not None:
                out.append(Sender(ip, f"a neighbour on {iface.name}", None, iface.name,
                                  nets[0], assumed=True, via_host=True))
    return out


def _place_senders(host: Host, senders: list[Sender]) -> Host:
    """The host with each sender behind a veth recorded as a container of its bridge."""
    placed = [s for s in senders if s.placed]
    if not placed:
        return host
    nets = {n.name: n for n in host.docker_networks}
    topo = HostIndex.of(host).topology
    for s in placed:
        existing = topo.docker_bridge.get(s.bridge)
        entry = (s.what, f"{s.ip}/{s.network.prefixlen}")
        if existing is not None:
            cur = nets.get(existing.name, existing)
            nets[existing.name] = dataclasses.replace(cur, containers=cur.containers + (entry,))
            continue
        name = f"<devices behind {s.bridge}>"
        cur = nets.get(name) or DockerNetwork(
            name, WHATIF_SPAN, driver="bridge", bridge_name=s.bridge, subnets=(str(s.network),),
            gateways=tuple(str(a.ip) for a in topo.addresses(s.bridge)
                           if a.version == s.ip.version))
        nets[name] = dataclasses.replace(cur, containers=cur.containers + (entry,))
    return dataclasses.replace(host, docker_networks=tuple(nets.values()))


# -- what-if hosts -----------------------------------------------------------------------------

def with_sysctls(host: Host, settings: dict[str, int], *, span: Span | None = None,
                 reason: str = "what-if") -> Host:
    """The host with these sysctls set (a what-if, or a value the evidence implies)."""
    values = tuple(v for v in host.sysctls.values if v.key not in settings)
    values += tuple(SysctlValue(k, str(v), span, reason=reason) for k, v in settings.items())
    return dataclasses.replace(host, sysctls=Sysctls(values))


def brnf_off(host: Host) -> Host:
    """The host with bridge-nf-call-iptables 0 (and no bridge asking for it on its own)."""
    h = with_sysctls(host, {"net.bridge.bridge-nf-call-iptables": 0})
    ifaces = tuple(dataclasses.replace(i, bridge_options=tuple(
        (k, v) for k, v in i.bridge_options if k != "nf_call_iptables")) for i in h.interfaces)
    return dataclasses.replace(h, interfaces=ifaces)


def _replace_table(host: Host, old: Table | None, new: Table) -> Host:
    rulesets, done = [], False
    for rs in host.rulesets:
        tables = tuple(new if t is old else t for t in rs.tables)
        done = done or any(t is old for t in rs.tables)
        rulesets.append(dataclasses.replace(rs, tables=tables))
    if not done:
        for i, rs in enumerate(rulesets):
            if rs.backend == new.backend:
                rulesets[i] = dataclasses.replace(rs, tables=rs.tables + (new,))
                break
        else:
            rulesets.append(Ruleset(new.backend, (new,)))
    return dataclasses.replace(host, rulesets=tuple(rulesets))


def with_rule_first(host: Host, table: Table, chain: str, rule: Rule) -> Host:
    chains = tuple(dataclasses.replace(c, rules=(rule,) + c.rules) if c.name == chain else c
                   for c in table.chains)
    return _replace_table(host, table, dataclasses.replace(table, chains=chains))


@dataclass(frozen=True)
class Remedy:
    """A fix: the commands to print and the host it gives (what the engine is asked again)."""

    description: str
    commands: tuple[str, ...]
    host: Host


def raw_prerouting(host: Host, nft: bool) -> tuple[Table, Chain] | None:
    """An IPv4 prerouting base chain that runs before conntrack: one written in the wanted
    syntax first; for nft, any nf_tables table will also do (not iptables-legacy's)."""
    found = []
    for t in host.tables:
        if t.family not in ("ip", "inet") or (nft and t.backend == "iptables-legacy") or \
                (not nft and nft_syntax(t)):
            continue
        for c in t.base_chains:
            if c.hook == "prerouting" and c.priority is not None and \
                    c.priority < RAW_PRIORITY_BELOW and c.type in (None, "filter"):
                found.append((nft_syntax(t) != nft, c.priority, t, c))
    if not found:
        return None
    found.sort(key=lambda x: (x[0], x[1]))
    return found[0][2], found[0][3]


def notrack_remedy(host: Host, bridge: str, like: Table) -> Remedy:
    """`-t raw -I PREROUTING 1 -i BRIDGE -j NOTRACK` (or nft's notrack), in `like`'s syntax."""
    nft = nft_syntax(like)
    rule = Rule((InterfaceMatch("in", (bridge,)),), (NotrackAction(),), WHATIF_SPAN,
                raw=f"-A PREROUTING -i {bridge} -j NOTRACK")
    found = raw_prerouting(host, nft)
    if found is not None:
        table, chain = found
        cmd = notrack_command(table, chain.name, bridge, nft=nft)
        return Remedy(f"leave frames entering {bridge} untracked",
                      (cmd,), with_rule_first(host, table, chain.name, rule))
    backend = "nft" if nft else (like.backend if like.backend.startswith("iptables") else
                                 "iptables-nft")
    table = Table(backend, "ip", "raw", (Chain("PREROUTING", (rule,), WHATIF_SPAN,
                                               hook="prerouting", priority=-300, type="filter",
                                               policy="accept"),), WHATIF_SPAN)
    cmds = nft_raw_chain_commands() if nft else ()
    cmds += (notrack_command(None if nft else like, "PREROUTING", bridge, nft=nft),)
    return Remedy(f"leave frames entering {bridge} untracked", cmds,
                  _replace_table(host, None, table))


def entry_chain(table: Table, base: Chain) -> Chain:
    """Where an accept for a base chain belongs: the chain its first rule jumps to
    unconditionally (Docker's DOCKER-USER, a distribution's user hook), else the base chain."""
    if base.rules:
        first = base.rules[0]
        v = next((a for a in first.actions if isinstance(a, Verdict)), None)
        if v is not None and v.kind == "jump" and not [
                m for m in first.matches if type(m).__name__ != "CommentMatch"]:
            target = table.chain(v.target)
            if target is not None:
                return target
    return base


def accept_remedy(host: Host, table: Table, base: Chain, *, in_iface: str, out_iface: str,
                  daddr: str | None = None, proto: str | None = None,
                  dport: int | None = None, why: str) -> Remedy:
    chain = entry_chain(table, base)
    matches = [InterfaceMatch("in", (in_iface,)), InterfaceMatch("out", (out_iface,))]
    if daddr:
        matches.append(AddressMatch("daddr", (ipaddress.ip_network(daddr),)))
    if proto and dport is not None:
        matches += [ProtocolMatch((proto,)), PortMatch("dport", ((dport, dport),), proto)]
    cmd = accept_command(table, chain.name, in_iface=in_iface, out_iface=out_iface,
                         daddr=daddr, proto=proto, dport=dport)
    rule = Rule(tuple(matches), (Verdict("accept"),), WHATIF_SPAN, raw=cmd)
    return Remedy(why, (cmd,), with_rule_first(host, table, chain.name, rule))


def forward_base(table: Table, step: Step) -> Chain | None:
    """The base chain of `table` on the forward hook that the dropping step ran under."""
    named = table.chain(step.chain) if step.chain else None
    if named is not None and named.is_base and named.hook == "forward":
        return named
    for c in table.base_chains:
        if c.hook == "forward":
            return c
    return None


# -- reading traces ----------------------------------------------------------------------------

def dnat_steps(trace: Trace, request_only: bool = True) -> list[tuple[Step, str | None]]:
    """DNAT rule steps of the client's packets, with the bridge whose hooks ran them: the
    input interface the hook saw when the frame came in through a bridge port (physin set: in
    br_netfilter's pass the bridge it is being bridged by; after "the frame is for the bridge
    itself", the bridge it arrived on), else None."""
    out = []
    packets = trace.packets[:1] if request_only else [p for p in trace.packets
                                                      if p.sender == "client"]
    for p in packets:
        for s in p.steps:
            if s.rule is not None and s.verdict == "dnat" and s.hook in ("prerouting", "output"):
                out.append((s, s.iif if s.physin else None))
    return out


def unseen_accept(step: Step | None) -> str | None:
    """Why a drop by a chain's policy may not happen: the table was listed in part (a
    condensed paste, `Table.complete` False), so an accept nflint cannot see may take the packet
    first. Findings resting on "nothing accepts it" say so instead of claiming it."""
    table = step.table if step is not None else None
    if table is None or table.complete or step.kind != "policy":
        return None
    where = f" at {table.span.source}:{table.span.line}" if table.span and table.span.line \
        else ""
    return (f"the {table.label} listing{where} is partial (condensed), so this rests on no "
            f"omitted rule accepting the packet before the policy of {step.chain}")


def same_rule(a: Rule | None, b: Rule | None) -> bool:
    return a is not None and b is not None and (a is b or (a.span == b.span and a.raw == b.raw))


# -- the analysis --------------------------------------------------------------------------------

@dataclass
class Finding:
    """One failure found on one flow, with what was fixed in the what-if to reach it."""

    code: str
    key: tuple
    sender: Sender
    flow: Flow
    trace: Trace
    behind: tuple[str, ...]  # descriptions of the failures fixed in the what-if, in order
    data: dict = field(default_factory=dict)
    remedy: Remedy | None = None

    @property
    def unsure(self) -> str | None:
        """Set when the failure may not happen (a policy drop in a condensed listing, an
        assumed sysctl): the rules then say why and lower its severity. An uncertain failure
        does not make the ones stacked behind it uncertain: without it, the packet meets them
        just the same (the what-if host is the host without it)."""
        return self.data.get("unsure") or unseen_accept(self.data.get("step"))


@dataclass
class Analysis:
    host: Host
    probe_host: Host
    senders: list[Sender]
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    chased: set = field(default_factory=set)  # first-failure signatures already followed

    def add(self, f: Finding) -> None:
        bucket = self.findings.setdefault(f.code, [])
        if not any(x.key == f.key for x in bucket):
            bucket.append(f)


def analyse(host: Host) -> Analysis:
    """The shared analysis, cached on the host object (each rule asks for it)."""
    got = host.__dict__.get("_nflint_bridge_path")
    if got is None:
        got = _analyse(host)
        host.__dict__["_nflint_bridge_path"] = got
    return got


RP_FILTER_KEYS = ("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter")
RP_FILTER_ASSUMED = ("no sysctl dump of it: 2 is what systemd-based distributions (Ubuntu, "
                     "Debian, Fedora) set; the kernel's own default is 0")


def _assume_rp_filter(host: Host) -> Host:
    """Without any rp_filter in the dumps, the probes assume the distributions' 2 rather than
    the kernel's 0: the failure it causes is then reported, marked as resting on that."""
    if any(v.key.endswith(".rp_filter") for v in host.sysctls.values):
        return host
    values = host.sysctls.values + tuple(SysctlValue(k, "2", None, True, RP_FILTER_ASSUMED)
                                         for k in RP_FILTER_KEYS)
    return dataclasses.replace(host, sysctls=Sysctls(values))


def _analyse(host: Host) -> Analysis:
    if not host.interfaces:
        return Analysis(host, host, [])
    senders = _senders(host)
    probe = _assume_rp_filter(_place_senders(host, senders))
    an = Analysis(host, probe, senders)
    flows = []
    seen = set()
    topo = HostIndex.of(probe).topology
    local = [a for a in topo.local if a.version == 4 and not a.is_loopback]
    for table, rule, proto, port, daddr in published_ports(probe):
        targets = [daddr] if daddr else [str(a) for a in local]
        for s in senders:
            for d in targets:
                if d == str(s.ip) or (str(s.ip), d, proto, port) in seen or not s.reaches(d):
                    continue
                seen.add((str(s.ip), d, proto, port))
                flows.append((s, s.flow(d, proto, port)))
    for s, flow in flows[:MAX_PUBLISHED_FLOWS]:
        _chase_published(an, s, flow)
    _probe_lateral(an, probe, senders)
    if _ip6_forward_hook(host):
        senders6 = _senders(host, 6)
        if senders6:
            probe6 = _brnf_as_dumped(host, _place_senders(host, senders6), 6)
            _probe_lateral(an, probe6, senders6)
    return an


def _brnf_as_dumped(host: Host, probe: Host, family: int) -> Host:
    """The probe host with bridge-nf-call pinned to 0 when the dumps give no sign that
    br_netfilter is loaded: the devices placed as Docker network members would otherwise count
    as that sign (the engine assumes it on for Docker hosts). The IPv4 probe keeps its own
    behaviour, so that its findings do not move."""
    topo = HostIndex.of(host).topology
    key = "net.bridge.bridge-nf-call-iptables" if family == 4 else \
        "net.bridge.bridge-nf-call-ip6tables"
    if key in host.sysctls.given or topo.docker_evidence() or topo.physdev_evidence():
        return probe
    on, why = topo.brnf("", family)
    if on:
        return probe
    pinned = SysctlValue(key, "0", None, True, why or "")
    return dataclasses.replace(probe, sysctls=Sysctls(probe.sysctls.values + (pinned,)))


def _probe_lateral(an: Analysis, probe: Host, senders: list[Sender]) -> None:
    """Every sender to every other sender of its segment behind another port: the frames the
    bridges forward (NF105), in the senders' address family."""
    lateral = 0
    for s in senders:
        for d in senders:
            if d is s or s.bridge is None or d.bridge is None or s.port == d.port or \
                    s.network is None or d.ip not in s.network or lateral >= MAX_LATERAL_FLOWS:
                continue
            lateral += 1
            _chase_lateral(an, probe, s, s.flow(str(d.ip), "tcp", LATERAL_PORT), d)


def _ip6_forward_hook(host: Host) -> bool:
    """Whether any table can see IPv6 on the forward hook: without one, br_netfilter hands the
    bridged IPv6 frames to an empty hook and nothing there can drop them."""
    return any(t.family in ("ip6", "inet") and any(c.hook == "forward" for c in t.base_chains)
               for t in host.tables)


def _first_failure(trace: Trace, sender: Sender) -> tuple:
    """What a flow's first failure looks like: flows that fail alike (a kube-proxy host's
    hundred NodePorts) have the same stack behind it, so it is chased once."""
    out = trace.outcome
    rule = out.step.rule if out.step is not None else None
    where = out.step.chain if out.step is not None else None
    return (sender.bridge or sender.port, out.kind, out.reason, out.device, where,
            (rule.span, rule.raw) if rule is not None else None)


def _chase_published(an: Analysis, sender: Sender, flow: Flow) -> None:
    h = an.probe_host
    trace = simulate(h, flow)
    _check_bridged_dnat(an, sender, flow, trace)
    if trace.outcome.delivered:
        return
    sig = _first_failure(trace, sender)
    if sig in an.chased:
        return
    an.chased.add(sig)
    behind: list[str] = []
    for _ in range(MAX_STACK):
        out = trace.outcome
        if out.delivered or not trace.certain:
            return
        found = (_rp_filter_failure(an, h, sender, flow, trace, behind)
                 or _forward_drop_failure(an, h, sender, flow, trace, behind)
                 or _double_tracking_failure(an, h, sender, flow, trace, behind))
        if found is None:
            return
        an.add(found)
        behind.append(found.data["summary"])
        h = found.remedy.host
        trace = simulate(h, flow)


def _check_bridged_dnat(an: Analysis, sender: Sender, flow: Flow, trace: Trace) -> None:
    """NF101: the DNAT ran in br_netfilter's pass of a bridge the frame was only crossing."""
    if not trace.certain:
        return
    sites = [(s, b) for s, b in dnat_steps(trace) if b is not None]
    if not sites:
        return
    topo = HostIndex.of(an.probe_host).topology
    plain = None
    for step, bridge in sites:
        if not topo.brnf(bridge, 4)[0]:
            continue
        group = ("NF101", bridge, _entry_rule(trace, step))
        known = [f for f in an.findings.get("NF101", ()) if f.key == group]
        if known:
            known[0].data["also"].add(flow.dport)
            continue
        if plain is None:
            plain = simulate(brnf_off(an.probe_host), flow)
        elsewhere = [b for s, b in dnat_steps(plain) if same_rule(s.rule, step.rule)]
        if elsewhere and elsewhere[0] == bridge:
            continue  # the frame was for the bridge itself: its IP stack would DNAT it there too
        remedy = notrack_remedy(an.probe_host, bridge, step.table)
        fixed = simulate(remedy.host, flow)
        if any(same_rule(s.rule, step.rule) and b == bridge for s, b in dnat_steps(fixed)):
            continue  # nflint cannot show a fix that works: say nothing rather than guess
        an.add(Finding("NF101", group, sender, flow, trace, (),
                       {"bridge": bridge, "step": step, "instead": elsewhere[0]
                        if elsewhere else None, "works": fixed.outcome.delivered,
                        "failed": not trace.outcome.delivered, "also": set()}, remedy))


def _entry_rule(trace: Trace, step: Step):
    """The first rule of the hook's path that led to a DNAT (Docker's `addrtype LOCAL -j
    DOCKER`, kube-proxy's KUBE-SERVICES jump): ports published behind one entry are one
    finding."""
    first = None
    for p in trace.packets[:1]:
        for s in p.steps:
            if s.kind == "hook":
                first = None
            elif s.rule is not None and s.hook == step.hook and first is None:
                first = s.rule
            if s is step:
                return (first.span, first.raw) if first is not None else None
    return None


def _rp_filter_failure(an, h, sender, flow, trace, behind) -> Finding | None:
    out = trace.outcome
    if out.reason != "rp_filter" or not out.device:
        return None
    dev = out.device
    topo = HostIndex.of(h).topology
    if any(a.version == 4 for a in topo.addresses(dev)):
        return None  # an addressed interface failing the check is another problem
    rpf, used = h.sysctls.rp_filter(dev)
    if rpf == 0:
        return None
    settings = {"net.ipv4.conf.all.rp_filter": 0, f"net.ipv4.conf.{dev}.rp_filter": 0}
    cmds = set_sysctl(*((k, str(v)) for k, v in settings.items()))
    remedy = Remedy(f"rp_filter 0 on all and {dev}", cmds, with_sysctls(h, settings))
    dnat = dnat_steps(trace)
    return Finding("NF103", ("NF103", dev), sender, flow, trace, tuple(behind),
                   {"device": dev, "rp_filter": rpf, "sysctls": used,
                    "dnat": dnat[0][0] if dnat else None, "step": out.step,
                    "summary": f"NF103 (rp_filter on the address-less {dev})",
                    "unsure": next((f"{v.key} assumed {v.value} ({v.reason})" for v in used
                                    if v.assumed), None)}, remedy)


def _forward_drop_failure(an, h, sender, flow, trace, behind) -> Finding | None:
    out = trace.outcome
    step = out.step
    if out.kind not in ("dropped", "rejected") or out.reason not in ("rule", "policy") or \
            step is None or step.hook != "forward" or step.table is None:
        return None
    dnat = dnat_steps(trace, request_only=False)
    if not dnat:
        return None
    dstep = dnat[0][0]
    target = _nat_target(dstep)
    if target is None:
        return None
    # The client's ingress is where its packet was DNATed; the dropped packet's own path is
    # what the forward hook saw (for a reply: from the server's side back toward the client).
    ingress = dstep.iif
    fwd_in, fwd_out = step.iif, step.oif
    base = forward_base(step.table, step)
    if ingress is None or fwd_in is None or fwd_out is None or base is None:
        return None
    reply = trace.packets[-1].sender == "server"
    egress = fwd_in if reply else fwd_out
    what = "replies" if reply else "the published flow"
    remedy = accept_remedy(
        h, step.table, base, in_iface=fwd_in, out_iface=fwd_out,
        daddr=None if reply else str(target),
        proto=None if reply else flow.proto, dport=None if reply else
        dstep.rule.nat.ports[0] if dstep.rule.nat and dstep.rule.nat.ports else flow.dport,
        why=f"accept {what} from {fwd_in} to {fwd_out} before the drop")
    return Finding("NF102", ("NF102", ingress, fwd_in, dstep.rule.span, step.rule.span
                             if step.rule else (step.table.label, step.chain)), sender, flow,
                   trace, tuple(behind),
                   {"ingress": ingress, "egress": egress, "target": target, "dnat": dstep,
                    "step": step, "reply": reply, "path": (fwd_in, fwd_out),
                    "summary": f"NF102 (the forward drop of the {'reply' if reply else 'request'}"
                               f" from {fwd_in} to {fwd_out})"},
                   remedy)


def _nat_target(step: Step):
    nat = step.rule.nat if step.rule is not None else None
    if nat is None or not nat.address:
        return None
    return parse_nat_target(nat.address)


FAILED_TWICE = ("reply-mismatch", "conntrack-clash")


def _double_tracking_failure(an, h, sender, flow, trace, behind) -> Finding | None:
    out = trace.outcome
    if out.reason not in FAILED_TWICE:
        return None
    dnat = dnat_steps(trace)
    if not dnat:
        return None
    dstep, _ = dnat[0]
    topo = HostIndex.of(h).topology
    candidates = [sender.bridge] if sender.bridge else []
    candidates += [b for b in topo.ifaces if topo.is_bridge(b) and b not in candidates]
    for bridge in candidates:
        if not topo.brnf(bridge, 4)[0]:
            continue
        remedy = notrack_remedy(h, bridge, dstep.table)
        fixed = simulate(remedy.host, flow)
        if fixed.outcome.reason in FAILED_TWICE:
            continue
        crossed = {s.device for p in trace.packets for s in p.steps
                   if s.kind == "bridge" and s.device}
        linked = sorted(b for b in crossed if b != bridge and topo.brnf(b, 4)[0] and
                        _veth_linked(topo, bridge, b))
        return Finding("NF104", ("NF104", bridge, dstep.rule.span), sender, flow, trace,
                       tuple(behind), {"bridge": bridge, "dnat": dstep, "bridges": linked,
                                       "works": fixed.outcome.delivered,
                                       "summary": f"NF104 (conntrack at {bridge} tracks the "
                                                  f"reply a second time)"}, remedy)
    return None


def _veth_linked(topo, a: str, b: str) -> bool:
    """Whether a port of bridge `a` is a veth whose peer is a port of bridge `b`."""
    return any(topo.master(topo.peer(p.name)) == b for p in topo.ports(a) if topo.peer(p.name))


def _chase_lateral(an: Analysis, h: Host, sender: Sender, flow: Flow, dest: Sender) -> None:
    """NF105: two devices of one segment; a forward-hook drop of the frames a bridge forwards.
    One IPv6 finding per bridge: the ip6 hook drops all of its IPv6, neighbour discovery
    first, so a second drop behind the first one adds nothing to fix."""
    topo = HostIndex.of(h).topology
    family = flow.family
    for _ in range(3):
        trace = simulate(h, flow)
        out = trace.outcome
        step = out.step
        if out.delivered or not trace.certain or out.reason not in ("rule", "policy") or \
                step is None or step.hook != "forward" or step.table is None:
            return
        bridge = out.device
        if not bridge or not topo.is_bridge(bridge) or dnat_steps(trace, request_only=False):
            return
        if step.rule is not None and _names_positively(step.rule, bridge):
            return  # a drop written for this bridge's own traffic is deliberate (icc=false ...)
        base = forward_base(step.table, step)
        if base is None:
            return
        remedy = accept_remedy(h, step.table, base, in_iface=bridge, out_iface=bridge,
                               why=f"accept what {bridge} forwards between its own ports")
        key = ("NF105", bridge, step.rule.span if step.rule else (step.table.label, step.chain))
        data = {"bridge": bridge, "step": step, "dest": dest,
                "summary": f"NF105 (the forward drop on {bridge})"}
        if family == 6:
            key = ("NF105", bridge, 6)
            data["family"] = 6
        if not any(f.key == key for f in an.findings.get("NF105", ())):
            if family == 6:
                data["icmpv6"] = _icmpv6_dropped_too(h, flow, step)
            an.add(Finding("NF105", key, sender, flow, trace, (), data, remedy))
        h = remedy.host


def _icmpv6_dropped_too(h: Host, flow: Flow, step: Step) -> bool:
    """Whether neighbour discovery between the two devices dies at the same drop. The engine
    sends ICMPv6 only as echo (it does not model ND): an echo meeting the same drop, in a table
    with no rule about the ND types, means the ND messages meet it too."""
    out = simulate(h, dataclasses.replace(flow, proto="icmp", dport=None)).outcome
    got = out.step
    if out.kind not in ("dropped", "rejected") or got is None or got.hook != "forward" or \
            got.table is not step.table or got.chain != step.chain:
        return False
    if (got.rule is None) != (step.rule is None) or \
            (step.rule is not None and not same_rule(got.rule, step.rule)):
        return False
    return not any(isinstance(m, IcmpTypeMatch) and any(_nd_type(t) for t in m.types)
                   for c in step.table.chains for r in c.rules for m in r.matches)


def _nd_type(name: str) -> bool:
    """An ICMPv6 type of neighbour or router discovery (133-137), by name or number."""
    return "neighbo" in name or "router" in name or "redirect" in name or \
        name.split("/")[0] in ("133", "134", "135", "136", "137")


def _names_positively(rule: Rule, bridge: str) -> bool:
    return any(isinstance(m, InterfaceMatch) and not m.negated and m.matches_name(bridge)
               for m in rule.matches)
