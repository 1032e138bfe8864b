"""DNAT between two ports of one bridge while br_netfilter is off: the request is routed (and
NATed) by the host, the reply is bridged straight back and never meets conntrack.

Both rules ask the engine about the same situation. The client and the DNAT target are placed
on the bridge as endpoints behind their own ports (pods and containers are rarely in the
dumps), so the engine bridges the reply the way the bridge's forwarding database would, and
the trace shows the reply arriving from the target's own address.
"""
from __future__ import annotations

import dataclasses
import ipaddress

from nflint.diagnostics import Fix, Related, Severity
from nflint.engine import Flow, HostIndex, simulate
from nflint.fixes import set_sysctl
from nflint.lintrule import LintRule
from nflint.matches import AddressMatch, AddrTypeMatch, PortMatch, ProtocolMatch
from nflint.netstate import DockerNetwork
from nflint.span import Span

from .bridge_probes import pick_free_address, with_sysctls
from .model_queries import nat_address

BRNF_KEY = "net.bridge.bridge-nf-call-iptables"
PLACED = Span("<nflint: endpoints placed on the bridge>")
MAX_PATHS = 2000
MAX_FLOWS_PER_BRIDGE = 24


def _brnf_off_evidence(host):
    """(span, text) proving bridged IPv4 frames skip iptables: the sysctl given 0, or sysctl
    failing to find the br_netfilter keys (the module is not loaded)."""
    v = host.sysctls.given.get(BRNF_KEY)
    if v is not None:
        return (v.span, f"{BRNF_KEY} = {v.value}") if v.as_int == 0 else None
    for e in host.evidence:
        if e.kind == "sysctl-error" and (e.get("key") or "").startswith("net.bridge."):
            return e.span, f"br_netfilter is not loaded ({e.text.strip()})"
    return None


def _bridges(host):
    """Bridges with endpoints behind veth ports (or a Docker network): name -> IPv4 subnet."""
    topo = HostIndex.of(host).topology
    out = {}
    for name, iface in topo.ifaces.items():
        if not topo.is_bridge(name):
            continue
        if iface.bridge_option("nf_call_iptables") == "1":
            continue  # this bridge calls iptables on its own
        veths = [p for p in topo.ports(name) if p.kind == "veth" or p.peer_index is not None]
        net = topo.docker_bridge.get(name)
        if not veths and net is None:
            continue
        subnet = next((a.network for a in iface.ipv4 if a.network.prefixlen < 31), None)
        if subnet is None and net is not None:
            for s in net.subnets:
                try:
                    n = ipaddress.ip_network(s, strict=False)
                except ValueError:
                    continue
                if n.version == 4:
                    subnet = n
                    break
        if subnet is not None:
            out[name] = subnet
    return out


def _dnat_paths(host):
    """(table, dnat rule, matches on the way, nat action) for every DNAT reachable from a
    prerouting nat chain, with the matches of the jumps that lead to it (kube-proxy puts the
    service address in KUBE-SERVICES and the DNAT in KUBE-SEP-*)."""
    count = 0
    for table in host.tables:
        if table.family not in ("ip", "inet"):
            continue
        for base in table.base_chains:
            if base.type != "nat" or base.hook != "prerouting":
                continue
            stack = [(base, (), frozenset({base.name}))]
            while stack:
                chain, acc, seen = stack.pop()
                for rule in chain.rules:
                    nat = rule.nat
                    if nat is not None and nat.kind == "dnat":
                        count += 1
                        if count > MAX_PATHS:
                            return
                        yield table, rule, acc + tuple(rule.matches), nat
                    for target in rule.jump_targets:
                        nxt = table.chain(target)
                        if nxt is not None and target not in seen:
                            stack.append((nxt, acc + tuple(rule.matches), seen | {target}))


def _constraints(matches):
    daddr = proto = dport = None
    local = False
    for m in matches:
        if isinstance(m, AddressMatch) and m.field == "daddr" and not m.negated and \
                len(m.networks) == 1 and m.networks[0].version == 4:
            daddr = m.networks[0]
        elif isinstance(m, ProtocolMatch) and not m.negated and m.protocols[0] in ("tcp", "udp"):
            proto = m.protocols[0]
        elif isinstance(m, PortMatch) and m.field == "dport" and not m.negated:
            dport = m.ranges[0][0]
            proto = proto or m.protocol
        elif isinstance(m, AddrTypeMatch) and m.field == "daddr" and not m.negated and \
                "local" in m.types:
            local = True
    return daddr, proto or "tcp", dport, local


def _with_endpoints(host, bridge, subnet, endpoints, evidence_span):
    """The host with the endpoints placed on `bridge`, and the bridge hooks off as the
    evidence says (an unloaded br_netfilter behaves as bridge-nf-call-iptables 0)."""
    topo = HostIndex.of(host).topology
    nets = list(host.docker_networks)
    existing = topo.docker_bridge.get(bridge)
    known = set(topo.containers)
    add = tuple((f"endpoint {ip}", f"{ip}/{subnet.prefixlen}") for ip in endpoints
                if ip not in known)
    if existing is not None:
        nets = [dataclasses.replace(n, containers=n.containers + add) if n is existing else n
                for n in nets]
    elif add:
        gws = tuple(str(a.ip) for a in topo.addresses(bridge) if a.version == 4)
        nets.append(DockerNetwork(f"<endpoints on {bridge}>", PLACED, driver="bridge",
                                  bridge_name=bridge, subnets=(str(subnet),), gateways=gws,
                                  containers=add))
    placed = dataclasses.replace(host, docker_networks=tuple(nets))
    return with_sysctls(placed, {BRNF_KEY: 0}, span=evidence_span,
                        reason="br_netfilter off (given or not loaded)")


def _findings(host):
    """(kind, bridge, dnat rule, flow, trace, evidence) for every DNAT between two ports of a
    bridge whose reply comes back un-NATed. kind: "service" (a non-local destination) or
    "hairpin" (one of the host's own addresses)."""
    cache = host.__dict__.get("_nflint_brnf_off")
    if cache is not None:
        return cache
    out = []
    host.__dict__["_nflint_brnf_off"] = out
    evidence = _brnf_off_evidence(host)
    if evidence is None:
        return out
    bridges = _bridges(host)
    if not bridges:
        return out
    topo = HostIndex.of(host).topology
    local = set(topo.local)
    tried = {b: 0 for b in bridges}
    seen = set()
    for table, rule, matches, nat in _dnat_paths(host):
        target = nat_address(nat)
        if target is None or target.version != 4 or target in local:
            continue
        bridge = next((b for b, n in bridges.items() if target in n), None)
        if bridge is None or tried[bridge] >= MAX_FLOWS_PER_BRIDGE:
            continue
        daddr, proto, dport, wants_local = _constraints(matches)
        if dport is None:
            dport = nat.ports[0] if nat.ports else None
        if dport is None:
            continue
        subnet = bridges[bridge]
        dests = []
        if daddr is not None:
            dests.append(daddr.network_address if daddr.num_addresses == 1 else
                         daddr.network_address + 1)
        elif wants_local:
            gw = topo.primary_address(bridge, 4)
            others = sorted((a for a in local if a.version == 4 and not a.is_loopback
                             and a != gw), key=str)
            dests.extend(([gw] if gw else []) + others[:1])
        for dst in dests:
            kind = "hairpin" if dst in local else "service"
            if (kind, bridge, rule.raw) in seen:
                continue
            taken = local | set(topo.containers) | {target, dst}
            client = next((ip for ip, (_, n) in topo.containers.items()
                           if ip != target and ip.version == 4 and ip in subnet), None) or \
                pick_free_address(subnet, taken, first=2, tries=248)
            if client is None:
                continue
            tried[bridge] += 1
            vhost = _with_endpoints(host, bridge, subnet, (client, target), evidence[0])
            trace = simulate(vhost, Flow(str(client), str(dst), proto, dport=dport),
                             max_branches=4)
            hit = next((t for t in trace.branches if t.outcome.reason == "reply-mismatch"),
                       None)
            if hit is None:
                continue
            seen.add((kind, bridge, rule.raw))
            out.append((kind, bridge, table, rule, hit, evidence, target))
    return out


def _explain(trace):
    """The reply's path in a few words: where it was bridged, what it carried."""
    reply = trace.reply
    if reply is None:
        return ""
    bridged = [s for s in reply.steps if s.kind == "bridge" and "forwards the frame" in s.text]
    how = bridged[0].text if bridged else "the reply is bridged"
    return f"{how}, without the IP hooks, so conntrack never reverses the DNAT"


class _BrnfOffRule(LintRule):
    kind = ""

    def check(self, host):
        for kind, bridge, table, rule, trace, evidence, target in _findings(host):
            if kind != self.kind:
                continue
            span, ev_text = evidence
            flow = trace.flow
            related = [Related(rule.span, f"DNAT to {target}, a neighbour of the client on "
                                          f"{bridge}: {rule.raw}")]
            related.append(Related(span, f"{ev_text}: frames bridged by {bridge} skip "
                                         f"iptables and conntrack"))
            msg = (f"{self._what(flow, bridge)} while {ev_text}: the request is routed and "
                   f"DNATed to {target}, but {_explain(trace)}; {trace.outcome.text}")
            if any(c for c in (trace.choices or ())):
                msg += " (on the path where undecidable matches hold)"
            yield self.diagnostic(
                msg, span, related=related,
                fix=Fix("load br_netfilter and make bridged IPv4 traffic go through iptables "
                        "(persist the module in /etc/modules-load.d/)",
                        ("modprobe br_netfilter",
                         "echo br_netfilter > /etc/modules-load.d/br_netfilter.conf",
                         *set_sysctl((BRNF_KEY, "1")))),
                key=(self.code, bridge, table.backend, table.family, table.name, rule.raw))

    def _what(self, flow, bridge) -> str:
        raise NotImplementedError


class ServiceDnatWithoutBrNetfilter(_BrnfOffRule):
    """A service address is DNATed to an endpoint on the client's own bridge while br_netfilter
    is off: the reply comes back from the endpoint's address, not the service's.

    What it does:
        For every DNAT reachable from a prerouting nat chain (following jumps, so kube-proxy's
        `KUBE-SERVICES -d VIP` -> `KUBE-SEP-* -j DNAT` counts) whose target sits behind a local
        bridge with veth ports, sends a client from another port of that bridge to the service
        address with the engine, with bridge-nf-call-iptables 0 (given) or br_netfilter not
        loaded (`sysctl: cannot stat /proc/sys/net/bridge/...`). Reports when the reply reaches
        the client from the endpoint's own address.

    Why it matters:
        The request goes to the gateway and is routed, so PREROUTING DNATs it. The endpoint
        answers its on-link neighbour directly: the bridge forwards that frame, and without
        br_netfilter no IP hook (so no conntrack reverse NAT) sees it. The client gets a reply
        from an address it never asked: "reply from unexpected source" (DNS to the cluster IP
        fails only when CoreDNS runs on the same node), TCP resets.

    Example (bad):
        ```
        net.bridge.bridge-nf-call-iptables = 0
        -A KUBE-SERVICES -d 198.18.96.10/32 -p udp --dport 53 -j KUBE-SVC-DNS
        -A KUBE-SEP-DNS -p udp -j DNAT --to-destination 198.18.0.5:53
        ```
        with 198.18.0.5 a pod on cni0 next to the client.

    Use instead (good):
        ```
        net.bridge.bridge-nf-call-iptables = 1
        ```

    Fix:
        `modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1`, persisted in
        /etc/modules-load.d/ and /etc/sysctl.d/.

    References:
        - kelseyhightower/kubernetes-the-hard-way#561 ("NAT will not work when accessing a
          service where the endpoint is on the local node")
        - kubernetes/kops#4391; kubernetes/kubeadm#3025
        - net/bridge/br_netfilter_hooks.c (bridged frames reach the IPv4 hooks only with
          bridge-nf-call-iptables 1)
    """

    code = "NF106"
    name = "service-dnat-without-br-netfilter"
    severity = Severity.ERROR
    kind = "service"

    def _what(self, flow, bridge):
        return (f"{flow.src} (a neighbour on {bridge}) reaching the service {flow.dst}:"
                f"{flow.dport}/{flow.proto} gets no usable answer")


class HairpinNatWithoutBrNetfilter(_BrnfOffRule):
    """A container reaches a published port through a host address, the port is DNATed to a
    container on the same bridge, and br_netfilter is off: the hairpin reply is bridged past
    conntrack.

    What it does:
        The hairpin case of NF106: the destination is one of the host's own addresses (a
        published port, `-m addrtype --dst-type LOCAL`, Docker with `userland-proxy: false`),
        the client is a bridge neighbour of the DNAT target. The engine simulates the exchange
        with bridge-nf-call-iptables 0 (given) or br_netfilter not loaded, and the rule reports
        when the reply reaches the client from the target's own address.

    Why it matters:
        Same mechanism as NF106: the request is routed and DNATed, the reply is bridged
        directly between the two ports and never un-NATed, so the client's socket drops it
        (TCP answers with a reset). Docker's hairpin MASQUERADE does not help: it is in
        POSTROUTING of the routed request only.

    Example (bad):
        ```
        net.bridge.bridge-nf-call-iptables = 0
        -A DOCKER -p tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:80
        ```
        as Docker writes it with userland-proxy off: no `! -i docker0` (with it, a container's
        connection to the host address is not DNATed at all) and no `-A DOCKER -i docker0 -j
        RETURN`.

    Use instead (good):
        ```
        net.bridge.bridge-nf-call-iptables = 1
        ```
        or the userland proxy for hairpin connections.

    Fix:
        `modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1` (persisted), or
        re-enable Docker's userland proxy.

    References:
        - moby/moby#48676 ("packets addressed to a host-mapped port for a container on the same
          network are not DNAT'd properly")
        - libvirt wiki, "Net.bridge.bridge-nf-call and sysctl.conf"
        - kubernetes/kops#4391
    """

    code = "NF107"
    name = "hairpin-nat-without-br-netfilter"
    severity = Severity.ERROR
    kind = "hairpin"

    def _what(self, flow, bridge):
        return (f"{flow.src} (on {bridge}) reaching the published port {flow.dst}:{flow.dport}"
                f"/{flow.proto} through a host address gets no usable answer")
