"""The packet-path engine: what the kernel does with a flow, derived from the host model.

Path rules ask one question, "what happens to this flow?", and cite the answer:

    from nflint.engine import Flow, simulate
    trace = simulate(host, Flow("192.168.137.248", "192.168.137.250", "tcp", dport=5000))
    trace.fate            # Fate of the first packet: kind, reason, text, device, step
    trace.outcome         # Fate of the whole exchange (first failure, or success)
    trace.packets         # PacketTrace per packet: request, reply, client-ack, server-data
    trace.reply           # the server's answer (None when the request never arrived)
    trace.steps           # the request's Steps, in order
    trace.assumptions     # every fact nflint assumed (sysctl defaults, unknown devices, ...)
    trace.choices         # "may match" outcomes this path assumed (empty: the path is certain)
    trace.alternatives    # the other paths, one per combination of undecidable matches
    trace.rule_steps(verdict="drop")   # steps decided by a firewall rule, with `.rule.span`
    trace.find("rule", verdict="dnat", device="br-lan137")   # steps by kind/device/hook/...

Flow(src, dst, proto="tcp"|"udp"|"icmp", dport=, sport=, in_iface=, bridged=, exchange=True):
without `in_iface` the source's place in the topology (a container, a LAN neighbour behind a
bridge port, a local address, a remote host) decides where the packet enters. `exchange=False`
walks the first packet only (cheaper when a rule only needs the request).

Step: kind (enter/hook/rule/jump/return/policy/conntrack/nat/route/rp_filter/bridge/device/
note), text, hook, family, table (model Table), chain, rule (model Rule, with span and raw
text), verdict, changes (e.g. "destination 192.168.137.250:5000 -> 172.18.0.4:5000"), device,
match ("yes"/"maybe"), packet (the packet as that step saw it), iif/oif/physin/physout (the
interfaces the hook saw: "where did this DNAT happen" is `step.iif`). Bridges learn the port
each sender came in on, and answers go back out it. A route with no device gives the output
interface `<unknown output interface>`, on which `-o` matches may match; base chains sharing
a priority run in dump order, listed as an assumption.

Fate.kind: delivered-local | delivered-container | sent | dropped | rejected | queued | reset |
lost; Fate.reason for failures: rule | policy | rp_filter | martian-destination | no-route |
forwarding-disabled | conntrack-clash | masquerade-no-address | reply-mismatch | loop; Fate.step
and Fate.rule point at what decided.

Helpers for rules: `candidate_flows(host)` proposes flows worth checking (each known container
to every host address on every published port; containers to an off-host gateway), with the
DNAT rule they exercise; `published_ports(host)` lists DNATed (proto, port) pairs;
`HostIndex.of(host)` gives the cached topology (`.topology`: place(), port_toward(), brnf())
and routing (`.routing`: input_route(), validate_source(), addr_type()).

Semantics, in the kernel's order: at each hook every base chain of every table and backend runs
by priority (conntrack at -200; the NAT core at -100/+100 calls nat chains only for a
connection's first packet); drop/reject end the packet, accept ends only that base chain.
Conntrack follows the TCP state table (a SYN+ACK it never saw start is INVALID and not NATed;
a bare ACK is picked up as ESTABLISHED) and applies NAT both ways, with null bindings that
rewrite a clashing source port. Bridges hand frames to the IP hooks when br_netfilter is on; a
DNAT there makes br_netfilter route again with the bridge as input device, so an address-less
bridge fails the reverse-path check whenever rp_filter is on. A veth resets conntrack state, so
a flow across two bridges is tracked twice. Undecidable matches (rate limits, unknown
expressions, sets not in the dumps) branch, up to 32 paths. Compiled state (chain indexes,
hook lists, topology) is cached on the Host object; a model of over 20k rules is moved out of
the cyclic GC's reach (gc.freeze) when first indexed, since it lives as long as the run.
"""
from .packet import Flow, Packet
from .pipeline import HostIndex
from .simulate import FlowCandidate, candidate_flows, published_ports, simulate
from .trace import Fate, PacketTrace, Step, Trace

__all__ = ["Flow", "Packet", "HostIndex", "FlowCandidate", "candidate_flows",
           "published_ports", "simulate", "Fate", "PacketTrace", "Step", "Trace"]
