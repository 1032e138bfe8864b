"""Engine gaps the rule authors reported: where a hook step happened, and containers known only
from Docker's DNAT rules."""
from engine_scenarios import HA, HOST_LAN, load, router, seed000_inputs

from nflint.engine import Flow, simulate


def test_hook_and_rule_steps_carry_the_interfaces_the_hook_saw():
    host, _ = load(seed000_inputs(rp_filter=0))
    trace = simulate(host, Flow(HA, HOST_LAN, "tcp", dport=5000))
    dnat = [s for s in trace.steps if s.rule is not None and s.verdict == "dnat"]
    assert dnat and dnat[0].iif == "br-lan137" and dnat[0].physin is not None
    hooks = [s for s in trace.steps if s.kind == "hook" and s.hook == "prerouting"]
    assert hooks and hooks[0].iif == "br-lan137" and hooks[0].physin == dnat[0].physin
    fwd = [s for s in trace.steps if s.kind == "hook" and s.hook == "forward"]
    assert fwd and fwd[0].oif == "br-da66fb6805df"


DOCKER_NAT = """*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A DOCKER -i br-abc -j RETURN
-A DOCKER ! -i br-abc -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.4:80
COMMIT
"""


def test_docker_dnat_guard_places_its_target_on_the_guarded_bridge():
    host = router(DOCKER_NAT)
    trace = simulate(host, Flow("198.51.100.9", "198.51.100.1", "tcp", dport=8080))
    assert trace.outcome.delivered, trace.outcome
    assert trace.fate.kind == "delivered-container"
    assert any(s.kind == "route" and "br-abc" in s.text for s in trace.steps)
    assert any("198.18.0.4 assumed to be a container on br-abc" in a
               for a in trace.assumptions)


def test_a_target_the_dumps_place_is_not_guessed():
    # the target is on eth1's subnet: the route from the addresses says where it is
    host = router(DOCKER_NAT.replace("198.18.0.4", "203.0.113.4"))
    trace = simulate(host, Flow("198.51.100.9", "198.51.100.1", "tcp", dport=8080))
    assert not any("assumed to be a container" in a for a in trace.assumptions)


def test_unknown_output_interface_may_match_an_oif_rule():
    # no `ip route` dump: the default route's device is unknown, so `-o eth1` may match
    from engine_scenarios import filter_table
    host = router(filter_table("-A FORWARD -i eth0 -o eth1 -j ACCEPT", policy="DROP"))
    trace = simulate(host, Flow("198.51.100.9", "192.0.2.5", "tcp", dport=80, exchange=False))
    outcomes = {t.outcome.kind for t in trace.branches}
    assert outcomes == {"sent", "dropped"}, outcomes
    assert any("leaves by is unknown" in a for a in trace.assumptions)
    assert any("<unknown output interface>" in c for t in trace.branches for c in t.choices)


def test_base_chains_sharing_a_priority_record_the_assumed_order():
    from engine_scenarios import filter_table
    nft = ("table inet f {\n chain fwd {\n  type filter hook forward priority 0; policy accept;\n"
           "  tcp dport 22 drop\n }\n}\n")
    host = router(filter_table("-A FORWARD -p tcp --dport 80 -j DROP"), nft=nft)
    trace = simulate(host, Flow("198.51.100.9", "203.0.113.5", "tcp", dport=443,
                                exchange=False))
    ties = [a for a in trace.assumptions if "share priority 0 on forward" in a]
    assert len(ties) == 1 and "FORWARD" in ties[0] and "fwd" in ties[0]
    # one chain alone, or chains that cannot decide anything, need no such note
    alone = simulate(router(filter_table("-A FORWARD -p tcp --dport 80 -j DROP")),
                     Flow("198.51.100.9", "203.0.113.5", "tcp", dport=443, exchange=False))
    assert not any("share priority" in a for a in alone.assumptions)


BRIDGE_WITH_POD = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    inet 127.0.0.1/8 scope host lo
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq master br0 state UP group default qlen 1000
    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff
3: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 52:54:00:00:00:03 brd ff:ff:ff:ff:ff:ff
    inet 198.51.100.1/24 brd 198.51.100.255 scope global br0
4: vethA@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP group default qlen 1000
    link/ether 52:54:00:00:00:04 brd ff:ff:ff:ff:ff:ff link-netnsid 0
"""


def test_replies_leave_by_the_port_the_bridge_learned_the_sender_on():
    # vethA's peer (@if7) is in another namespace: a pod behind a bridge port. Its answer must
    # go back out vethA (the bridge learned the pod's address there), not out eth0, the port a
    # subnet guess would pick.
    host = router(addr=BRIDGE_WITH_POD)
    trace = simulate(host, Flow("198.51.100.50", "198.51.100.1", "icmp", in_iface="vethA"))
    assert trace.reply is not None and trace.reply.fate.kind == "sent"
    assert trace.reply.fate.device == "vethA", trace.reply.fate


def test_unknown_output_interface_is_not_a_docker_bridge():
    # Docker bridges route only their own subnets: a packet with no known route does not
    # leave by one, so `-o br-abc` stays a certain no (no branch)
    from engine_scenarios import filter_table
    host = router(DOCKER_NAT + filter_table("-A FORWARD -o br-abc -j DROP"))
    trace = simulate(host, Flow("198.51.100.9", "192.0.2.5", "tcp", dport=80, exchange=False))
    assert trace.certain and trace.outcome.kind == "sent", trace.outcome
