"""NF108's probes: a DNAT target read from integers is the address nat_address reads, a probe
whose class already ran is never built, and a target the host holds keeps its device."""
import pytest

from nflint.inputs import InputText, load_hosts
from nflint.rules import conntrack_rules
from nflint.rules.conntrack_rules import InvalidNotDropped, _ipv4_target
from nflint.rules.model_queries import nat_address
from nflint.statements import NatAction

ENDPOINTS = [f"10.244.{i % 2}.{i + 2}:{8000 + i % 3}" for i in range(60)]


@pytest.mark.parametrize("text", [
    "10.244.1.7", "10.244.1.7:8080", "10.0.0.1-10.0.0.9", "10.0.0.7:80-90", "0.0.0.0",
    "255.255.255.255:1", "256.1.1.1", "010.1.1.1", "10.1.1.1:80:90", "1.2.3.4-", "1.2.3",
    " 10.1.1.1", "10.1.1.1 ", "１0.1.1.1", "[2001:db8::1]:80", "fd00::7", "", "bogus"])
def test_an_ipv4_target_read_from_integers_is_what_nat_address_reads(text):
    nat = NatAction("dnat", text)
    fast, slow = _ipv4_target(nat), nat_address(nat)
    if fast is not None:
        assert slow is not None and slow.version == 4 and int(slow) == fast


def _host(filter_rules: str, extra: str = ""):
    nat = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:SVC - [0:0]\n" \
        "-A PREROUTING -j SVC\n"
    nat += "".join(f"-A SVC -p tcp --dport {30000 + i} -j DNAT --to-destination {t}\n"
                   for i, t in enumerate(ENDPOINTS))
    nat += "COMMIT\n"
    text = "$ iptables-save\n" + nat + "*filter\n:FORWARD ACCEPT [0:0]\n" + filter_rules + \
        "COMMIT\n" + extra
    return load_hosts([InputText("t.txt", text)])[0].host


def _built_probes(monkeypatch, host):
    built = []
    real = conntrack_rules.probe_packet

    def counting(*args, **kwargs):
        built.append(kwargs.get("src"))
        return real(*args, **kwargs)
    monkeypatch.setattr(conntrack_rules, "probe_packet", counting)
    return list(InvalidNotDropped().check(host)), built


def test_endpoints_of_a_class_that_ran_are_not_built(monkeypatch):
    host = _host("-A FORWARD -m conntrack --ctstate INVALID -j DROP\n")
    found, built = _built_probes(monkeypatch, host)
    assert found == []
    assert len(built) == 1  # every endpoint is in the first one's class: dropped


def test_a_source_match_splits_classes_before_probes_are_built(monkeypatch):
    host = _host("-A FORWARD -s 10.244.0.0/24 -m conntrack --ctstate INVALID -j DROP\n"
                 "-A FORWARD -j ACCEPT\n")
    found, built = _built_probes(monkeypatch, host)
    assert len(built) == 2  # one per side of 10.244.0.0/24
    assert [d.code for d in found] == ["NF108"]
    assert "10.244.1." in found[0].message  # the endpoint outside the dropped subnet


def test_a_target_on_a_connected_subnet_keeps_its_device():
    ip_addr = ("$ ip addr\n1: cni0: <BROADCAST,UP> mtu 1500 state UP\n"
               "    inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0\n")
    host = _host("-A FORWARD -j ACCEPT\n", ip_addr)
    probes = [pkt for _, pkt, _, _ in conntrack_rules._invalid_probes(
        host, 4, conntrack_rules._SettledClasses(
            conntrack_rules.HookClasses.of(host, 4, "forward")))]
    devices = {str(p.src).rsplit(".", 1)[0]: p.iif for p in probes}
    assert devices["10.244.1"] == "cni0"
    assert devices["10.244.0"] == conntrack_rules.OTHER_IFACE


def test_reachable_chains_visit_a_rules_jumps_before_its_vmap_and_nat_rules_follow_them():
    from nflint.rules.model_queries import nat_rules, reachable_chains
    from nflint.ruleset import Chain, Rule, Table
    from nflint.span import Span
    from nflint.statements import Verdict, VerdictMap

    span = Span("t")

    def chain(name, *rules, **kw):
        return Chain(name, tuple(Rule((), acts, span, raw=f"{name}{i}")
                                 for i, acts in enumerate(rules)), span, **kw)
    vmap = VerdictMap("iifname", (("eth0", Verdict("jump", "C")), ("eth1", Verdict("goto", "B")),
                                  ("eth2", Verdict("accept")), ("eth3", Verdict("jump", "NONE"))))
    base = chain("PRE", (vmap, Verdict("jump", "B")), (Verdict("jump", "D"),),
                 hook="prerouting", priority=-100, type="nat")
    table = Table("nft", "ip", "nat", (
        base, chain("B", (NatAction("dnat", "10.0.0.2"),), (Verdict("jump", "PRE"),)),
        chain("C", (NatAction("dnat", "10.0.0.3"),)), chain("D", (NatAction("snat", "1.2.3.4"),)),
        chain("UNUSED", (NatAction("dnat", "10.0.0.9"),))), span)
    assert [c.name for c in reachable_chains(table, base)] == ["PRE", "B", "C", "D"]

    class FakeHost:
        tables = (table,)
    rows = list(nat_rules(FakeHost(), 4, ("prerouting",)))
    assert [(c.name, n.address, hook) for _, c, _, n, hook in rows] == [
        ("B", "10.0.0.2", "prerouting"), ("C", "10.0.0.3", "prerouting"),
        ("D", "1.2.3.4", "prerouting")]
