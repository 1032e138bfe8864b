"""The `iptables -L` listing frontend: structure, counters, layouts, and the same typed model
as iptables-save for the same rules (both captured from one iptables-nft 1.8.9 namespace)."""
from __future__ import annotations

import re
import textwrap

import pytest

from nflint.frontends import iptables_list, iptables_save
from nflint.hooks import iptables_chain_hook
from nflint.matches import (AddressMatch, InterfaceMatch, ModuleMatch, PortMatch, ProtocolMatch,
                            UnknownMatch)
from nflint.statements import NatAction, NotrackAction, Verdict
from rulesets import DOCKER_NAT_HEAD

SAVE = """\
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -j MARK --set-xmark 0x1/0xffffffff
-A PREROUTING -m mark --mark 0x1 -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A PREROUTING -m mark --mark 0x1/0xff -j MARK --set-xmark 0x2/0xffffffff
-A FORWARD -m connmark --mark 0x3 -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A POSTROUTING -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i br-lan137 -j NOTRACK
-A PREROUTING -i br-x -j CT --notrack
-A PREROUTING -i br-y -j CT --zone 5
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-USER - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m multiport --dports 80,443,8000:8010 -j ACCEPT
-A INPUT -p tcp -m multiport --sports 22 -j ACCEPT
-A INPUT -p tcp -m multiport --ports 22,23 -j ACCEPT
-A INPUT -p tcp -m tcp --sport 1000:2000 --dport 22 -j ACCEPT
-A INPUT -p tcp -m tcp ! --dport 22 -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j DROP
-A INPUT -p udp -m udp --sport 53 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 0 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p icmp -m icmp ! --icmp-type 8 -j ACCEPT
-A INPUT -m limit --limit 5/min --limit-burst 7 -j LOG --log-prefix "x: "
-A INPUT -j LOG --log-prefix "drop " --log-level 7 --log-tcp-options
-A INPUT -j NFLOG --nflog-prefix nfl --nflog-group 5
-A INPUT -m comment --comment "hello world" -j ACCEPT
-A INPUT -p gre -j ACCEPT
-A INPUT -p gre -j ACCEPT
-A INPUT -p esp -j ACCEPT
-A INPUT ! -p tcp -j ACCEPT
-A INPUT -s 192.0.2.0/24 -d 198.51.100.7/32 -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A INPUT ! -s 192.0.2.0/24 ! -d 198.51.100.0/25 -j DROP
-A FORWARD -j DOCKER-USER
-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT
-A FORWARD -m physdev --physdev-in veth1 --physdev-out veth2 -j ACCEPT
-A FORWARD -m physdev ! --physdev-is-in -j ACCEPT
-A FORWARD -o br-da66fb6805df -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i br-lan137 ! -o br-lan137 -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -m conntrack --ctstate NEW --ctorigdst 198.51.100.1 -j ACCEPT
-A FORWARD -m addrtype --src-type LOCAL --limit-iface-in -j ACCEPT
-A FORWARD -m addrtype ! --dst-type UNICAST -j ACCEPT
-A FORWARD -m mac --mac-source 00:11:22:33:44:55 -j ACCEPT
-A FORWARD -m iprange --src-range 192.0.2.1-192.0.2.9 -j ACCEPT
-A FORWARD -m length --length 0:100 -j ACCEPT
-A FORWARD -m statistic --mode random --probability 0.50000000000 -j ACCEPT
-A FORWARD -m recent --rcheck --seconds 60 --name foo --mask 255.255.255.255 --rsource -j DROP
-A FORWARD -g DOCKER-USER
-A FORWARD -m pkttype --pkt-type broadcast -j DROP
-A FORWARD -j RETURN
-A FORWARD -p tcp -m tcp --dport 1 -j REJECT --reject-with icmp-port-unreachable
-A DOCKER-ISOLATION-STAGE-1 -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name x -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -j TRACE
-A DOCKER-ISOLATION-STAGE-1 -j NFQUEUE --queue-num 3
-A DOCKER-ISOLATION-STAGE-1 -f -j DROP
COMMIT
""" + DOCKER_NAT_HEAD + """-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT -p udp -m udp --dport 5353 -j REDIRECT
-A POSTROUTING -s 172.18.0.0/16 ! -o br-da66fb6805df -j MASQUERADE
-A POSTROUTING -s 172.19.0.0/16 -o eth0 -p tcp -j MASQUERADE --to-ports 1024-2000
-A POSTROUTING -s 172.20.0.0/16 -j SNAT --to-source 198.51.100.1
-A POSTROUTING -s 172.21.0.0/16 -p tcp -j SNAT --to-source 198.51.100.1-198.51.100.5:1000-2000 --random
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i br-da66fb6805df -p tcp -m tcp --dport 5000 -j DNAT --to-destination 172.18.0.4:5000
-A DOCKER -p udp -m udp --dport 53 -j DNAT --to-destination 172.18.0.5
-A DOCKER -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080
-A DOCKER -p tcp -m comment --comment "ns/svc:http" -m tcp -j DNAT --to-destination 172.18.0.6:8080
COMMIT
"""

LISTINGS = {
    "raw": """\
Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 CT         0    --  br-lan137 *       0.0.0.0/0            0.0.0.0/0            NOTRACK
    0     0 CT         0    --  br-x   *       0.0.0.0/0            0.0.0.0/0            CT notrack
    0     0 CT         0    --  br-y   *       0.0.0.0/0            0.0.0.0/0            CT zone 5

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
""",
    "mangle": """\
Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 MARK       6    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x1
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x1 CONNMARK save
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x1/0xff MARK set 0x2

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match  0x3 CONNMARK restore

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 TCPMSS     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x06/0x02 TCPMSS clamp to PMTU
""",
    "nat": """\
Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 DOCKER     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ADDRTYPE match dst-type LOCAL

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 DOCKER     0    --  *      *       0.0.0.0/0           !127.0.0.0/8          ADDRTYPE match dst-type LOCAL
    0     0 REDIRECT   17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:5353

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 MASQUERADE  0    --  *      !br-da66fb6805df  172.18.0.0/16        0.0.0.0/0
    0     0 MASQUERADE  6    --  *      eth0    172.19.0.0/16        0.0.0.0/0            masq ports: 1024-2000
    0     0 SNAT       0    --  *      *       172.20.0.0/16        0.0.0.0/0            to:198.51.100.1
    0     0 SNAT       6    --  *      *       172.21.0.0/16        0.0.0.0/0            to:198.51.100.1-198.51.100.5:1000-2000 random

Chain DOCKER (2 references)
 pkts bytes target     prot opt in     out     source               destination
    0     0 RETURN     0    --  docker0 *       0.0.0.0/0            0.0.0.0/0
    0     0 DNAT       6    --  !br-da66fb6805df *       0.0.0.0/0            0.0.0.0/0            tcp dpt:5000 to:172.18.0.4:5000
    0     0 DNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:53 to:172.18.0.5
    0     0 REDIRECT   6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80 redir ports 8080
    0     0 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            /* ns/svc:http */ tcp to:172.18.0.6:8080
""",
    "filter": """\
Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW multiport dports 80,443,8000:8010
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports 22
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 22,23
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:1000:2000 dpt:22
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:!22
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x17/0x02
    0     0 DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x3F/0x00
    0     0 ACCEPT     17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:53
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 0
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8
    0     0 LOG        0    --  *      *       0.0.0.0/0            0.0.0.0/0            limit: avg 5/min burst 7 LOG flags 0 level 4 prefix "x: "
    0     0 LOG        0    --  *      *       0.0.0.0/0            0.0.0.0/0            LOG flags 2 level 7 prefix "drop "
    0     0 NFLOG      0    --  *      *       0.0.0.0/0            0.0.0.0/0            nflog-prefix nfl nflog-group 5
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* hello world */
    0     0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0
    0     0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0
    0     0 ACCEPT     50   --  *      *       0.0.0.0/0            0.0.0.0/0
    0     0 ACCEPT    !6    --  *      *       0.0.0.0/0            0.0.0.0/0
    0     0 REJECT     0    --  *      *       192.0.2.0/24         198.51.100.7         reject-with icmp-port-unreachable
    0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with tcp-reset
    0     0 DROP       0    --  *      *      !192.0.2.0/24        !198.51.100.0/25

Chain FORWARD (policy DROP 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 DOCKER-USER  0    --  *      *       0.0.0.0/0            0.0.0.0/0
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            PHYSDEV match --physdev-is-bridged
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            PHYSDEV match --physdev-in veth1 --physdev-out veth2
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            PHYSDEV match ! --physdev-is-in
    0     0 ACCEPT     0    --  *      br-da66fb6805df  0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
    0     0 DOCKER-ISOLATION-STAGE-1  0    --  br-lan137 !br-lan137  0.0.0.0/0            0.0.0.0/0
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate NEW ctorigdst 198.51.100.1
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ADDRTYPE match src-type LOCAL limit-in
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ADDRTYPE match dst-type !UNICAST
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            MAC 00:11:22:33:44:55
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            source IP range 192.0.2.1-192.0.2.9
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            length 0:100
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            statistic mode random probability 0.50000000000
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            recent: CHECK seconds: 60 name: foo side: source mask: 255.255.255.255
    0     0 DOCKER-USER  0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto]
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            PKTTYPE = broadcast
    0     0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0
    0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:1 reject-with icmp-port-unreachable

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain DOCKER-ISOLATION-STAGE-1 (1 references)
 pkts bytes target     prot opt in     out     source               destination
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            limit: up to 5/sec burst 5
    0     0 TRACE      0    --  *      *       0.0.0.0/0            0.0.0.0/0
    0     0 NFQUEUE    0    --  *      *       0.0.0.0/0            0.0.0.0/0            NFQUEUE num 3
    0     0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0

Chain DOCKER-USER (2 references)
 pkts bytes target     prot opt in     out     source               destination
""",
}

# Modules whose listing text nflint recognises but cannot turn back into options.
OPAQUE = {"recent", "hashlimit"}


def _listing(name: str, **hint) -> iptables_list.Contribution:
    return iptables_list.parse(LISTINGS[name], f"{name}.txt", hint={"table": name, **hint})


@pytest.mark.parametrize("table", sorted(LISTINGS))
def test_listing_maps_like_iptables_save(table):
    save = {t.name: t for t in iptables_save.parse(SAVE, "save.txt").tables}[table]
    got = _listing(table)
    assert not got.problems
    assert got.fidelity == "iptables-list"
    (listed,) = got.tables
    assert [c.name for c in listed.chains] == [c.name for c in save.chains]
    compared = 0
    for chain in listed.chains:
        other = save.chain(chain.name)
        assert (chain.hook, chain.priority, chain.type, chain.policy) == \
            (other.hook, other.priority, other.type, other.policy)
        assert len(chain.rules) == len(other.rules)
        for mine, theirs in zip(chain.rules, other.rules):
            assert mine.actions == theirs.actions, mine.raw
            opaque = [m for m in mine.matches if isinstance(m, ModuleMatch) and m.module in OPAQUE]
            if opaque:
                assert [m.module for m in opaque] == [
                    m.module for m in theirs.matches if isinstance(m, ModuleMatch)]
                continue
            assert mine.matches == theirs.matches, mine.raw
            compared += 1
    assert compared >= len(save.chains) - 2 or table == "raw"


def test_spans_counters_and_references():
    text = textwrap.dedent("""\
        Chain FORWARD (policy DROP 12 packets, 3M bytes)
         pkts bytes target     prot opt in     out     source               destination
        7238K 3417M DOCKER-FORWARD  0    --  *      *       0.0.0.0/0            0.0.0.0/0

        Chain DOCKER-FORWARD (1 references)
         pkts bytes target     prot opt in     out     source               destination
          227 13620 DROP       0    --  br-lan137 !br-lan137  0.0.0.0/0            0.0.0.0/0
        """)
    got = iptables_list.parse(text, "paste.txt", line_offset=100, hint={"table": "filter"})
    (table,) = got.tables
    fwd, dfw = table.chains
    assert fwd.counters == (12, 3_000_000) and fwd.policy == "drop"
    assert (fwd.hook, fwd.priority, fwd.type) == iptables_chain_hook("filter", "FORWARD")
    assert dfw.hook is None and dfw.policy is None
    assert fwd.rules[0].counters == (7_238_000, 3_417_000_000)
    assert fwd.rules[0].actions == (Verdict("jump", "DOCKER-FORWARD"),)
    assert fwd.span.line == 101 and fwd.rules[0].span.line == 103
    assert dfw.rules[0].span.line == 107 and dfw.rules[0].span.source == "paste.txt"
    assert dfw.rules[0].matches == (InterfaceMatch("in", ("br-lan137",)),
                                    InterfaceMatch("out", ("br-lan137",), negated=True))
    assert table.complete is False  # INPUT and OUTPUT are missing: a condensed paste


def test_blog_nat_listing_dnat_and_inferred_table():
    text = textwrap.dedent("""\
        Chain PREROUTING (policy ACCEPT 928K packets, 63M bytes)
         pkts bytes target     prot opt in     out     source               destination
         5376  320K DOCKER     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ADDRTYPE match dst-type LOCAL

        Chain DOCKER (2 references)
         pkts bytes target     prot opt in     out     source               destination
            0     0 RETURN     0    --  docker0 *       0.0.0.0/0            0.0.0.0/0
         1780  107K DNAT       6    --  !br-da66fb6805df *       0.0.0.0/0            0.0.0.0/0            tcp dpt:5000 to:172.18.0.4:5000
        """)
    got = iptables_list.parse(text, "blog.md")
    (table,) = got.tables
    assert table.name == "nat" and table.family == "ip" and table.backend == "iptables-nft"
    assert any("table nat inferred" in a for a in got.assumptions)
    assert any("iptables-nft assumed" in a for a in got.assumptions)
    dnat = table.chain("DOCKER").rules[1]
    assert dnat.nat == NatAction("dnat", "172.18.0.4", (5000, 5000))
    assert InterfaceMatch("in", ("br-da66fb6805df",), negated=True) in dnat.matches
    assert PortMatch("dport", ((5000, 5000),), "tcp") in dnat.matches
    assert table.chain("PREROUTING").priority == -100


def test_plain_numbered_and_name_layouts():
    text = textwrap.dedent("""\
        Chain INPUT (policy ACCEPT)
        num  target     prot opt source               destination
        1    ACCEPT     tcp  --  anywhere             192.0.2.0/24         tcp dpt:ssh
        2               all  --  198.51.100.7         anywhere
        3    DROP       all  -f  anywhere             anywhere

        Chain OUTPUT (policy ACCEPT)
        target     prot opt source               destination
        REJECT     udp  --  anywhere             anywhere             udp dpts:1000:2000 reject-with icmp-port-unreachable
        """)
    got = iptables_list.parse(text, "l.txt", hint={"table": "filter", "backend":
                                                   "iptables-legacy", "family": "ip"})
    assert not got.problems
    (table,) = got.tables
    assert table.backend == "iptables-legacy"
    r1, r2, r3 = table.chain("INPUT").rules
    assert ProtocolMatch(("tcp",)) in r1.matches
    assert PortMatch("dport", ((22, 22),), "tcp") in r1.matches
    assert r1.counters is None
    assert r2.actions == () and isinstance(r2.matches[0], AddressMatch)
    assert r3.matches[0].expr.startswith("ip frag-off")
    (rej,) = table.chain("OUTPUT").rules
    assert PortMatch("dport", ((1000, 2000),), "udp") in rej.matches
    assert rej.actions[0].kind == "reject"
    assert any("without -v" in a for a in got.assumptions)


def test_ip6tables_and_unknown_tail_text_is_kept():
    text = textwrap.dedent("""\
        Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
         pkts bytes target     prot opt in     out     source               destination
            0     0 ACCEPT     58   --  *      *       ::/0                 ::/0                 ipv6-icmptype 128
            0     0 ACCEPT     0    --  *      *       ::/0                 ::/0                 frobnicate quux 7
            0     0 ACCEPT     6    --  *      *       2001:db8::/32        ::/0                 tcp dpt:22 owner UID match 0
        """)
    got = iptables_list.parse(text, "v6.txt", hint={"family": "ip6", "table": "filter"})
    (table,) = got.tables
    assert table.family == "ip6"
    icmp, odd, owner = table.chain("INPUT").rules
    assert icmp.matches[-1].types == ("echo-request",)
    assert odd.matches == (UnknownMatch("frobnicate quux 7", "iptables-list"),)
    assert odd.actions == (Verdict("accept"),)
    assert any(isinstance(m, ModuleMatch) and m.module == "owner" for m in owner.matches)
    assert PortMatch("dport", ((22, 22),), "tcp") in owner.matches


def test_notrack_spellings():
    text = textwrap.dedent("""\
        Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
         pkts bytes target     prot opt in     out     source               destination
            0     0 NOTRACK    0    --  br-lan137 *       0.0.0.0/0            0.0.0.0/0
            0     0 CT         0    --  br-x   *       0.0.0.0/0            0.0.0.0/0            NOTRACK
            0     0 CT         0    --  br-y   *       0.0.0.0/0            0.0.0.0/0            CT notrack
        """)
    got = iptables_list.parse(text, "raw.txt")
    (table,) = got.tables
    assert table.name == "raw"
    assert all(r.actions == (NotrackAction(),) for r in table.chain("PREROUTING").rules)


def test_garbled_lines_are_reported_and_parsing_continues():
    text = textwrap.dedent("""\
        Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
         pkts bytes target     prot opt in     out     source               destination
            0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22
        this line was mangled by a chat client
            0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0
        Chain BROKEN (policy
        """)
    got = iptables_list.parse(text, "bad.txt", line_offset=10)
    lines = sorted(p.span.line for p in got.problems)
    assert lines == [14, 16]
    assert all(p.code == "NF001" and p.span.source == "bad.txt" for p in got.problems)
    assert len(got.tables[0].chain("INPUT").rules) == 2


def test_two_tables_in_one_unhinted_listing_are_split():
    got = iptables_list.parse(LISTINGS["nat"] + "\n" + LISTINGS["filter"], "both.txt")
    assert [t.name for t in got.tables] == ["nat", "filter"]


def test_fast_path_agrees_with_the_grammar():
    """Rule lines are read by regexes first; the Lark grammar must give the same columns."""
    parser = iptables_list._parser()
    lines = [line for text in LISTINGS.values() for line in text.splitlines()
             if line.strip() and not line.startswith("Chain") and " prot " not in line]
    lines += ["    0     0            0    --  *      *       0.0.0.0/0            0.0.0.0/0",
              "    0     0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0"]
    assert len(lines) > 40
    for line in lines:
        fast = iptables_list._FAST["rule_verbose"].match(line)
        tree = parser.parse(line.rstrip(), start="rule_verbose")
        assert fast is not None, line
        assert [str(t) if t is not None else None for t in tree.children] == list(fast.groups())
    for layout, line in (("rule_plain", "ACCEPT     all  --  anywhere     anywhere   [goto] "),
                         ("rule_plain_num", "2               all  --  198.51.100.7  anywhere"),
                         ("rule_verbose_num", "1        0     0 CT   0  --  br-x *  ::/0  ::/0  "
                                              "CT notrack")):
        fast = iptables_list._FAST[layout].match(line)
        tree = parser.parse(line.rstrip(), start=layout)
        assert [str(t) if t is not None else None for t in tree.children] == list(fast.groups())


def test_unreadable_target_text_is_kept_on_the_right_action():
    text = textwrap.dedent("""\
        Chain INPUT (policy ACCEPT)
        target     prot opt source               destination
        REJECT     all  --  0.0.0.0/0            0.0.0.0/0            reject-with something odd
        MARK       all  --  0.0.0.0/0            0.0.0.0/0            MARK frob 7
        SYNPROXY   tcp  --  0.0.0.0/0            0.0.0.0/0            SYNPROXY sack-perm mss 1460
        """)
    rej, mark, syn = iptables_list.parse(text, "t.txt").tables[0].chain("INPUT").rules
    assert rej.verdict == Verdict("reject", options=(("listing", "reject-with something odd"),))
    assert mark.actions[0].text.endswith("MARK frob 7") and mark.verdict is None
    assert syn.actions[0].name == "SYNPROXY"
    assert ("listing", "SYNPROXY sack-perm mss 1460") in syn.actions[0].options


def test_old_ip6tables_blank_opt_column():
    text = textwrap.dedent("""\
        Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
         pkts bytes target     prot opt in     out     source               destination
            0     0 ACCEPT     all      lo     *       ::/0                 ::/0
            0     0 ACCEPT     tcp      *      *       2001:db8::/32        ::/0                 tcp dpt:22
            0     0            all      *      *       ::/0                 ::/0
        """)
    got = iptables_list.parse(text, "old6.txt", hint={"family": "ip6", "table": "filter"})
    assert not got.problems
    lo, ssh, bare = got.tables[0].chain("INPUT").rules
    assert lo.matches == (InterfaceMatch("in", ("lo",)),) and lo.actions == (Verdict("accept"),)
    assert PortMatch("dport", ((22, 22),), "tcp") in ssh.matches
    assert bare.actions == () and bare.matches == ()
    assert any("opt column" in a for a in got.assumptions)


@pytest.mark.parametrize("line", [
    "Chain INPUT (policy DROP 0 packets, 0 bytes)",
    "Chain FORWARD (policy ACCEPT 7238K packets, 12G bytes)", "Chain OUTPUT (policy ACCEPT)",
    "Chain DOCKER (2 references)", "Chain KUBE-SEP-X (1 references)",
    "Chain A-B_c.d (0 reference)", "  Chain X(1 references)  ",
    "Chain Y ( policy DROP 1 packets ,2 bytes )"])
def test_chain_headers_read_alike_by_regex_and_grammar(line):
    """Chain headers (35k in a kube-proxy listing) take a regex; the grammar must agree."""
    fast = iptables_list._FAST_CHAIN.match(line)
    tree = iptables_list._parser().parse(line.rstrip(), start="chain_header")
    info = tree.children[1]
    builtin = info.data == "builtin_info"
    counts = info.children[1] if builtin else None
    assert fast is not None
    assert (fast.group(1), fast.group(2), fast.group(3, 4) if fast.group(3) else None) == (
        str(tree.children[0]), str(info.children[0]) if builtin else None,
        tuple(str(c) for c in counts.children) if counts is not None else None)


def test_column_headers_read_alike_by_split_and_grammar():
    """The word set the fast path accepts is the grammar's COLUMN terminal, word for word."""
    from nflint import grammars
    literals = set(re.findall(r'"(\w+)"', re.search(r"^COLUMN:(.*?)\n(?=\w)",
                                                    grammars.read("iptables_list.lark"),
                                                    re.M | re.S).group(1)))
    assert literals == iptables_list._COLUMNS
    for line in (" pkts bytes target     prot opt in     out     source               destination",
                 "num  target     prot opt source               destination",
                 "target     prot opt source               destination"):
        tree = iptables_list._parser().parse(line, start="column_header")
        assert tuple(str(t) for t in tree.children) == tuple(line.split())
