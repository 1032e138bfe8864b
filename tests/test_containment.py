"""Packet-set containment between typed matches: the logic that proves a rule unreachable."""
import ipaddress

import pytest

from nflint.containment import covers, rule_covers
from nflint.matches import (AddressMatch, CommentMatch, ConntrackMatch, InterfaceMatch,
                            ModuleMatch, PortMatch, ProtocolMatch, UnknownMatch)


def net(*texts):
    return tuple(ipaddress.ip_network(t) for t in texts)


@pytest.mark.parametrize("earlier,later,expected", [
    (AddressMatch("saddr", net("192.0.2.0/24")), AddressMatch("saddr", net("192.0.2.7/32")), True),
    (AddressMatch("saddr", net("192.0.2.7/32")), AddressMatch("saddr", net("192.0.2.0/24")), False),
    (AddressMatch("saddr", net("192.0.2.0/24")), AddressMatch("daddr", net("192.0.2.7/32")), False),
    # ! -s 10/8 covers -s 192.0.2.0/24 (disjoint), not -s 0/0
    (AddressMatch("saddr", net("198.18.0.0/15"), negated=True),
     AddressMatch("saddr", net("192.0.2.0/24")), True),
    (AddressMatch("saddr", net("198.18.0.0/15"), negated=True),
     AddressMatch("saddr", net("198.18.1.0/24")), False),
    (PortMatch("dport", ((1, 1024),), "tcp"), PortMatch("dport", ((22, 22),), "tcp"), True),
    (PortMatch("dport", ((1, 1024),), "tcp"), PortMatch("dport", ((22, 22),), "udp"), False),
    (PortMatch("dport", ((22, 22),), "tcp"), PortMatch("dport", ((22, 80),), "tcp"), False),
    (InterfaceMatch("in", ("br-+",)), InterfaceMatch("in", ("br-lan137",)), True),
    (InterfaceMatch("in", ("br-lan137",)), InterfaceMatch("in", ("br-+",)), False),
    (InterfaceMatch("in", ("docker0",), negated=True), InterfaceMatch("in", ("eth0",)), True),
    (InterfaceMatch("in", ("docker0",), negated=True), InterfaceMatch("in", ("dock+",)), False),
    (ProtocolMatch(("tcp", "udp")), ProtocolMatch(("tcp",)), True),
    (ConntrackMatch("state", ("established", "related")),
     ConntrackMatch("state", ("established",)), True),
    (ConntrackMatch("state", ("new",)), ConntrackMatch("state", ("established",)), False),
    # runtime-dependent and unknown matches never cover, even an identical one
    (ModuleMatch("limit", (("limit", "5/min"),)), ModuleMatch("limit", (("limit", "5/min"),)),
     False),
    (UnknownMatch("-m foo"), UnknownMatch("-m foo"), False),
])
def test_covers(earlier, later, expected):
    assert covers(earlier, later) is expected


def test_rule_covers_needs_every_earlier_match_implied():
    broad = (ProtocolMatch(("tcp",)), CommentMatch("allow ssh"))
    narrow = (ProtocolMatch(("tcp",)), PortMatch("dport", ((22, 22),), "tcp"))
    assert rule_covers(broad, narrow)
    assert not rule_covers(narrow, broad)
    assert rule_covers((), narrow)  # a rule without matches covers everything
