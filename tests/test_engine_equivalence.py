"""HookClasses: probes a hook cannot tell apart share a class; anything that may read the
source some other way keeps every probe its own."""
import ipaddress

from nflint.engine.equivalence import HookClasses
from nflint.engine.packet import Packet
from nflint.inputs import InputText, load_hosts


def _host(rules: str):
    text = "*filter\n:FORWARD ACCEPT [0:0]\n:SUB - [0:0]\n" + rules + "COMMIT\n"
    return load_hosts([InputText("t.rules", text)])[0].host


def _pkt(src: str, sport: int = 80) -> Packet:
    return Packet("tcp", ipaddress.ip_address(src), ipaddress.ip_address("203.0.113.77"),
                  sport, 40000, iif="eth1", oif="eth0")


def test_sources_no_rule_tests_share_a_class():
    host = _host("-A FORWARD -i eth1 -j SUB\n-A SUB -p tcp --dport 40000 -j ACCEPT\n")
    classes = HookClasses.of(host, 4, "forward")
    assert classes.key(_pkt("10.244.0.7")) is not None
    assert classes.key(_pkt("10.244.0.7")) == classes.key(_pkt("10.244.9.9", 8443))
    assert classes.key(_pkt("10.244.0.7")) != classes.key(
        Packet("udp", ipaddress.ip_address("10.244.0.7"), ipaddress.ip_address("203.0.113.77"),
               80, 40000, iif="eth1", oif="eth0"))


def test_a_source_match_in_a_jumped_chain_splits_classes():
    host = _host("-A FORWARD -j SUB\n-A SUB -s 10.244.0.0/24 -j DROP\n"
                 "-A SUB -p tcp --sport 8000:9000 -j DROP\n")
    classes = HookClasses.of(host, 4, "forward")
    assert classes.key(_pkt("10.244.0.7")) == classes.key(_pkt("10.244.0.9"))
    assert classes.key(_pkt("10.244.0.7")) != classes.key(_pkt("10.244.1.7"))
    assert classes.key(_pkt("10.244.1.7", 80)) != classes.key(_pkt("10.244.1.7", 8443))


def test_a_match_that_may_read_the_source_otherwise_disables_classes():
    for rule in ("-A SUB -m set --match-set allowed src -j ACCEPT\n",
                 "-A SUB -m addrtype --src-type LOCAL -j ACCEPT\n",
                 "-A SUB -m hashlimit --hashlimit-upto 5/sec --hashlimit-name x -j ACCEPT\n"):
        host = _host("-A FORWARD -j SUB\n" + rule)
        assert HookClasses.of(host, 4, "forward").key(_pkt("10.244.0.7")) is None, rule
