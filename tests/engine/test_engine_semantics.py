"""Engine semantics on small hosts: chains, hooks, conntrack, NAT, routing, branching, index."""
from __future__ import annotations

import ipaddress

import pytest

from engine_scenarios import HA, HOST_LAN, ROUTER_ADDR, filter_table, load, router, seed000_inputs
from nflint.engine import Flow, HostIndex, candidate_flows, simulate
from nflint.engine.conntrack import ConntrackTable
from nflint.engine.match import ChainIndex, NO, MatchContext, evaluate_rule
from nflint.engine.packet import Packet

LAN, WAN = "198.51.100.20", "203.0.113.20"
FWD = Flow(LAN, WAN, "tcp", dport=80, exchange=False)


def ip(a):
    return ipaddress.ip_address(a)


# -- conntrack ---------------------------------------------------------------------------

def _pkt(src, sport, dst, dport, *flags):
    return Packet("tcp", ip(src), ip(dst), sport, dport, tcp_flags=frozenset(flags))


def test_synack_without_syn_is_invalid_and_bare_ack_is_picked_up():
    ct = ConntrackTable()
    assert ct.conntrack_in(_pkt("192.0.2.1", 80, "192.0.2.2", 4000, "syn", "ack")).state == \
        "invalid"
    res = ct.conntrack_in(_pkt("192.0.2.1", 80, "192.0.2.2", 4000, "ack"))
    assert res.state == "new" and res.conn.tcp_state == "ESTABLISHED"
    strict = ConntrackTable(tcp_loose=False)
    assert strict.conntrack_in(_pkt("192.0.2.1", 80, "192.0.2.2", 4000, "ack")).state == \
        "invalid"


def test_handshake_states_and_reply_direction():
    ct = ConntrackTable()
    syn = ct.conntrack_in(_pkt("192.0.2.2", 4000, "192.0.2.1", 80, "syn"))
    ct.confirm(syn.conn)
    synack = ct.conntrack_in(_pkt("192.0.2.1", 80, "192.0.2.2", 4000, "syn", "ack"))
    assert synack.direction == "reply" and synack.conn.tcp_state == "SYN_RECV"
    ack = ct.conntrack_in(_pkt("192.0.2.2", 4000, "192.0.2.1", 80, "ack"))
    assert ack.state == "established" and ack.conn.tcp_state == "ESTABLISHED"


def test_null_binding_rewrites_a_clashing_source_port():
    """The seed's clash: a DNATed connection, then its de-NATed reply seen as a new one."""
    ct = ConntrackTable()
    first = ct.conntrack_in(_pkt("192.0.2.2", 4000, "192.0.2.9", 80, "syn")).conn
    ct.bind(first, "dst", ip("192.0.2.1"), 80)
    ct.confirm(first)
    second = ct.conntrack_in(_pkt("192.0.2.9", 80, "192.0.2.2", 4000, "ack")).conn
    assert second is not first and second.tcp_state == "ESTABLISHED"
    assert ct.bind(second, "dst", None, None) == ""  # a destination port is never changed
    note = ct.bind(second, "src", None, None)
    assert "already used by entry #1" in note
    assert second.reply.dport != 80 and ct.confirm(second) is None


# -- chains and hooks ----------------------------------------------------------------------

@pytest.mark.parametrize("how,expected", [("-g", "sent"), ("-j", "dropped")])
def test_goto_returns_to_the_callers_caller(how, expected):
    rules = filter_table("-A FORWARD -j A", "-A A " + how + " B", "-A A -j DROP",
                         chains=":A - [0:0]\n:B - [0:0]\n")
    t = simulate(router(rules), FWD)
    assert t.fate.kind == expected


def test_accept_ends_only_its_base_chain():
    nft = ("table inet late {\n chain fwd {\n  type filter hook forward priority 10; "
           "policy accept;\n  ip daddr 203.0.113.20 drop\n }\n}\n")
    t = simulate(router(filter_table("-A FORWARD -j ACCEPT"), nft=nft), FWD)
    assert t.fate.kind == "dropped" and t.fate.step.table.name == "late"
    accepted = [s for s in t.steps if s.verdict == "accept"]
    assert accepted and accepted[0].table.backend.startswith("iptables")


def test_policy_drop_and_rule_citation():
    t = simulate(router(filter_table("-A FORWARD -p udp -j ACCEPT", policy="DROP")), FWD)
    assert t.fate.kind == "dropped" and t.fate.reason == "policy"
    assert t.fate.step.chain == "FORWARD"


def test_vmap_verdicts():
    nft = ('table inet f {\n chain fwd {\n  type filter hook forward priority 0; '
           'policy accept;\n  iifname vmap { "eth0" : drop, "eth9" : accept }\n }\n}\n')
    t = simulate(router(nft=nft), FWD)
    assert t.fate.kind == "dropped"
    back = simulate(router(nft=nft), Flow(WAN, LAN, "tcp", dport=80, exchange=False))
    assert back.fate.kind == "sent"


def test_nat_chains_only_for_new_connections():
    nat = ("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
           ":POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n")
    t = simulate(router(filter_table() + nat), Flow(LAN, WAN, "tcp", dport=80))
    assert t.request.arrived.startswith("tcp 203.0.113.1:")
    assert t.outcome.delivered
    for p in t.packets[1:]:
        assert not [s for s in p.steps if s.rule is not None and s.table.name == "nat"]


# -- routing -------------------------------------------------------------------------------

def test_ip_forward_0_drops_forwarded_traffic():
    t = simulate(router(filter_table(), sysctl="net.ipv4.ip_forward = 0\n"), FWD)
    assert t.fate.reason == "forwarding-disabled"


@pytest.mark.parametrize("rpf,dropped", [(0, False), (1, True), (2, False)])
def test_rp_filter_modes_for_a_source_routed_elsewhere(rpf, dropped):
    # the packet claims a LAN source but arrives on eth1
    host = router(filter_table(), sysctl=f"net.ipv4.ip_forward = 1\n"
                                        f"net.ipv4.conf.all.rp_filter = {rpf}\n")
    t = simulate(host, Flow(LAN, "198.51.100.30", "udp", dport=53, in_iface="eth1",
                            exchange=False))
    assert (t.fate.reason == "rp_filter") == dropped


def test_rp_filter_0_still_rejects_a_local_source():
    t = simulate(router(filter_table()), Flow("198.51.100.1", WAN, "udp", dport=53,
                                               in_iface="eth0", exchange=False))
    assert t.fate.reason == "rp_filter" and "one of this host's addresses" in t.fate.text


# -- undecidable matches -----------------------------------------------------------------

def test_undecidable_match_branches_and_lists_the_choice():
    rules = filter_table("-A FORWARD -m limit --limit 1/sec -j ACCEPT", policy="DROP")
    t = simulate(router(rules), FWD)
    fates = sorted(b.fate.kind for b in t.branches)
    assert fates == ["dropped", "sent"] and not t.certain
    assert t.fate.kind == "sent" and "assumed matching" in t.choices[0]
    assert "assumed NOT matching" in t.alternatives[0].choices[0]


def test_undecidable_match_without_effect_does_not_branch():
    rules = filter_table("-A FORWARD -m limit --limit 1/sec -j LOG", policy="ACCEPT")
    t = simulate(router(rules), FWD)
    assert not t.alternatives and t.certain
    assert [s for s in t.steps if s.match == "maybe"]


def test_branching_is_bounded():
    marks = [f"-A FORWARD -m statistic --mode random --probability 0.5 -j MARK --set-mark {i}"
             for i in range(1, 8)]
    t = simulate(router(filter_table(*marks)), FWD, max_branches=10)
    assert len(t.branches) == 10 and t.truncated


# -- index -------------------------------------------------------------------------------

def test_chain_index_agrees_with_a_linear_scan():
    rules = [f"-A FORWARD -d 203.0.113.{i % 50 + 2}/32 -p tcp -m tcp --dport {1000 + i} "
             f"-j DROP" for i in range(300)]
    rules += ["-A FORWARD -p tcp -m tcp --dport 80 -j ACCEPT", "-A FORWARD -i eth9 -j DROP"]
    host = router(filter_table(*rules))
    chain = next(c for t in host.tables for c in t.chains if c.name == "FORWARD")
    index = ChainIndex(chain)
    assert index.indexed
    table = next(t for t in host.tables if t.name == "filter")
    routing = HostIndex.of(host).routing
    for dst, dport in (("203.0.113.2", 1000), ("203.0.113.3", 80), ("203.0.113.9", 1007),
                       ("203.0.113.9", 9)):
        pkt = Packet("tcp", ip(LAN), ip(dst), 40000, dport, iif="eth0", oif="eth1")
        ctx = MatchContext(pkt, "forward", "ip", table, routing.addr_type)
        linear = [i for i, r in enumerate(chain.rules) if evaluate_rule(r, ctx)[0] != NO]
        indexed = [i for i in index.candidates(pkt) if evaluate_rule(chain.rules[i], ctx)[0]
                   != NO]
        assert indexed == linear
    t = simulate(host, Flow(LAN, "203.0.113.9", "tcp", dport=1007, exchange=False))
    assert t.fate.kind == "dropped" and "--dport 1007" in t.fate.rule.raw


def test_host_index_is_cached_on_the_host():
    host = router(filter_table())
    assert HostIndex.of(host) is HostIndex.of(host)


# -- helpers for rules -------------------------------------------------------------------

def test_candidate_flows_cover_the_seed_flow():
    host, _ = load(seed000_inputs())
    flows = candidate_flows(host)
    hit = [c for c in flows if c.flow.src == HA and c.flow.dst == HOST_LAN
           and c.flow.dport == 5000]
    assert hit and hit[0].rule is not None and hit[0].rule.nat.kind == "dnat"
    assert simulate(host, hit[0].flow).fate.reason == "rp_filter"


def test_brnf_assumption_is_listed_without_sysctls():
    files = [i for i in seed000_inputs() if not i.source.endswith("sysctl.txt")]
    host, _ = load(files)
    t = simulate(host, Flow(HA, HOST_LAN, "tcp", dport=5000, exchange=False))
    assert any("bridge-nf-call-iptables assumed 1" in a for a in t.assumptions)


def test_entry_interface_and_step_devices():
    host, _ = load(seed000_inputs())
    by_port = simulate(host, Flow(HA, HOST_LAN, "tcp", dport=5000, in_iface="veth5a44ead"))
    bridged = simulate(host, Flow(HA, HOST_LAN, "tcp", dport=5000, in_iface="br-lan137",
                                  bridged=True))
    default = simulate(host, Flow(HA, HOST_LAN, "tcp", dport=5000))
    assert by_port.fate == default.fate == bridged.fate
    dnat = default.find("rule", verdict="dnat")
    assert len(dnat) == 1 and dnat[0].device == "br-lan137"
    assert default.find("rp_filter", device="br-lan137")


def test_set_lookup_and_conntrack_zone():
    nft = ("table inet t {\n set allowed { type ipv4_addr; flags interval; "
           "elements = { 198.51.100.0/25 } }\n"
           " chain raw {\n  type filter hook prerouting priority raw; policy accept;\n"
           '  iifname "eth0" ct zone set 7\n }\n'
           " chain fwd {\n  type filter hook forward priority 0; policy drop;\n"
           "  ip saddr @allowed accept\n }\n}\n")
    host = router(nft=nft)
    inside = simulate(host, FWD)
    assert inside.fate.kind == "sent"
    assert inside.find("conntrack", text="zone 7")
    outside = simulate(host, Flow("198.51.100.200", WAN, "tcp", dport=80, exchange=False))
    assert outside.fate.reason == "policy"


def test_ipv6_flow_is_routed_without_rp_filter():
    addr = ROUTER_ADDR_V6
    host = router(filter_table(), sysctl="net.ipv6.conf.all.forwarding = 1\n", addr=addr)
    t = simulate(host, Flow("2001:db8:1::20", "2001:db8:2::20", "udp", dport=53,
                            exchange=False))
    assert t.fate.kind == "sent" and t.fate.device == "eth1"


ROUTER_ADDR_V6 = """\
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff
    inet6 2001:db8:1::1/64 scope global
3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 52:54:00:00:00:02 brd ff:ff:ff:ff:ff:ff
    inet6 2001:db8:2::1/64 scope global
"""


def test_stray_synack_times_the_client_out_rather_than_resetting_it():
    """A SYN+ACK from the wrong source (DNAT reply bridged past conntrack) is answered with a
    RST that resets the server's half-open connection; the client's connect() times out, as
    tests/kernel/test_catalog_kernel.py observes."""
    from pathlib import Path

    from nflint import api
    bad = Path(__file__).resolve().parents[1] / "rules" / \
        "NF107-hairpin-nat-without-br-netfilter" / "bad-docker"
    found = [d for r in api.check_paths([str(bad)], selection=api.Selection(select=("NF107",)))
             for d in r.diagnostics if d.code == "NF107"]
    assert found and all("connect() times out" in d.message and "reset by peer" not in d.message
                         for d in found), [d.message for d in found]


def test_masquerade_out_a_device_the_dumps_do_not_show_is_assumed_not_dropped():
    """Without `ip route`, the way out is a default route through a device nflint cannot see;
    the kernel drops a MASQUERADE only when the device really has no address."""
    from nflint.inputs import InputText
    masq = ("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
            ":POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n")
    unseen = simulate(router(filter_table() + masq), Flow(LAN, "192.0.2.50", "tcp", dport=80,
                                                          exchange=False))
    assert unseen.fate.kind == "sent"
    assert unseen.request.arrived.startswith("tcp 192.0.2.254:")
    assert any("stands for it" in a for a in unseen.assumptions)
    wg0 = ROUTER_ADDR + ("4: wg0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420 qdisc noqueue state "
                         "UNKNOWN group default qlen 1000\n    link/none \n")
    host, _ = load([InputText("ip-addr.txt", wg0), InputText("ip-route.txt", "default dev wg0\n"),
                    InputText("sysctl.txt", "net.ipv4.ip_forward = 1\n"),
                    InputText("rules.txt", filter_table() + masq)])
    bare = simulate(host, Flow(LAN, "192.0.2.50", "tcp", dport=80, exchange=False))
    assert bare.fate.kind == "dropped" and bare.fate.reason == "masquerade-no-address"


def test_docker_guarded_dnat_targets_are_inferred_for_ipv6_too():
    """Docker >= 27 writes `! -i BRIDGE ... -j DNAT --to-destination [ADDR]:PORT` in ip6tables;
    without `docker network inspect` the guard still says which bridge holds ADDR."""
    from nflint.engine.topology import Topology
    from nflint.inputs import InputText
    save = ("# Generated by ip6tables-nft-save v1.8.9 (nf_tables)\n*nat\n"
            ":PREROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n-A PREROUTING -j DOCKER\n"
            "-A DOCKER ! -i br-6a1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination "
            "[2001:db8:1::2]:80\nCOMMIT\n")
    host, _ = load([InputText("ip6tables.txt", save)])
    assert Topology(host).inferred.get(ip("2001:db8:1::2")) == "br-6a1"


def test_inet_dnat_for_one_family_leaves_the_other_alone():
    """nft_nat_inet_eval: `dnat ip to` in an inet chain does nothing to an IPv6 packet, and
    the rule goes on; the next rule's `dnat ip6 to` is the one that applies."""
    nft = ("table inet nat {\n chain pre {\n  type nat hook prerouting priority dstnat; "
           "policy accept;\n  tcp dport 8080 dnat ip to 198.51.100.9:80\n"
           "  tcp dport 8080 dnat ip6 to [2001:db8:1::9]:80\n }\n}\n")
    host = router(nft=nft, addr=ROUTER_ADDR.replace(
        "    inet 203.0.113.1/24 brd 203.0.113.255 scope global eth1\n",
        "    inet 203.0.113.1/24 brd 203.0.113.255 scope global eth1\n"
        "    inet6 2001:db8:ffff::1/64 scope global\n"))
    v6 = simulate(host, Flow("2001:db8:ffff::77", "2001:db8:ffff::1", "tcp", dport=8080,
                             in_iface="eth1", exchange=False))
    dnats = [s for s in v6.request.steps if s.verdict == "dnat"]
    assert [s.text for s in dnats] == ["DNAT to [2001:db8:1::9]:80"]
    v4 = simulate(host, Flow("203.0.113.77", "203.0.113.1", "tcp", dport=8080,
                             in_iface="eth1", exchange=False))
    assert [s.text for s in v4.request.steps if s.verdict == "dnat"] == ["DNAT to 198.51.100.9:80"]
