"""iproute2 frontends: ip addr / ip -d link / ip route text, ip -j JSON, bridge link, brctl show.

Samples follow iproute2 6.x output of a Docker host shaped like the founding case (test
addresses): eth0 in br-mellanox, a veth pair between br-mellanox and the address-less
br-lan137, docker0 with one container veth whose peer is in another namespace.
"""
import json

import pytest

from nflint.frontends import get
from nflint.host import HostBuilder

IP_ADDR = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host noprefixroute
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq master br-mellanox state UP group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    altname enp1s0
3: br-mellanox: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    inet 198.51.100.250/24 brd 198.51.100.255 scope global br-mellanox
       valid_lft forever preferred_lft forever
    inet6 fe80::5054:ff:fe12:3456/64 scope link
       valid_lft forever preferred_lft forever
4: br-lan137: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 72:ff:6f:af:95:56 brd ff:ff:ff:ff:ff:ff
5: veth-lan137-2@veth-lan137-1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-mellanox state UP group default qlen 1000
    link/ether 9a:1c:2e:3f:40:51 brd ff:ff:ff:ff:ff:ff
6: veth-lan137-1@veth-lan137-2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-lan137 state UP group default qlen 1000
    link/ether 72:ff:6f:af:95:56 brd ff:ff:ff:ff:ff:ff
7: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default
    link/ether 02:42:5e:7a:1b:2c brd ff:ff:ff:ff:ff:ff
    inet 198.18.0.1/16 brd 198.18.255.255 scope global docker0
       valid_lft forever preferred_lft forever
9: veth5a44ead@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP group default
    link/ether 7e:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet6 fe80::7c11:22ff:fe33:4455/64 scope link
       valid_lft forever preferred_lft forever
"""

IP_D_LINK = """\
3: br-lan137: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000
    link/ether 72:ff:6f:af:95:56 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535
    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 vlan_protocol 802.1Q bridge_id 8000.72:ff:6f:af:95:56 hello_timer    0.00 tcn_timer    0.00 mcast_snooping 1 nf_call_iptables 1 nf_call_ip6tables 1 nf_call_arptables 0 addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq master br-mellanox state UP mode DEFAULT group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff promiscuity 1  allmulti 1 minmtu 68 maxmtu 9000
    bridge_slave state forwarding priority 32 cost 4 hairpin off guard off root_block off fastleave off learning on flood on
    altname enp1s0
6: veth-lan137-1@veth-lan137-2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-lan137 state UP mode DEFAULT group default qlen 1000
    link/ether 72:ff:6f:af:95:56 brd ff:ff:ff:ff:ff:ff promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535
    veth
    bridge_slave state forwarding priority 32 cost 2 hairpin off guard off
9: veth5a44ead@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP mode DEFAULT group default
    link/ether 7e:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535
    veth
    bridge_slave state forwarding priority 32 cost 2
10: vx42: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether 1a:2b:3c:4d:5e:6f brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535
    vxlan id 42 remote 203.0.113.9 dev eth0 srcport 0 0 dstport 4789 ttl auto ageing 300
11: wg0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/none  promiscuity 0  allmulti 0 minmtu 0 maxmtu 2147483552
    wireguard
"""

IP_ROUTE = """\
default via 198.51.100.245 dev br-mellanox proto static metric 425
198.18.0.0/16 dev docker0 proto kernel scope link src 198.18.0.1 linkdown
198.51.100.0/24 dev br-mellanox proto kernel scope link src 198.51.100.250 metric 425
blackhole 203.0.113.0/24 proto static
203.0.113.128/25 proto static metric 20
	nexthop via 198.51.100.1 dev br-mellanox weight 1
	nexthop via 198.51.100.2 dev br-mellanox weight 1
"""

IP_ROUTE_LOCAL = """\
local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1
broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1
local 198.51.100.250 dev br-mellanox proto kernel scope host src 198.51.100.250
"""

BRIDGE_LINK = """\
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br-mellanox state forwarding priority 32 cost 4
5: veth-lan137-2@veth-lan137-1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br-mellanox state forwarding priority 32 cost 2
6: veth-lan137-1@veth-lan137-2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br-lan137 state forwarding priority 32 cost 2
9: veth5a44ead@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master docker0 state forwarding priority 32 cost 2
"""

BRCTL = """\
bridge name	bridge id		STP enabled	interfaces
br-lan137		8000.72ff6faf9556	no		veth-lan137-1
br-mellanox		8000.525400123456	no		eth0
							veth-lan137-2
docker0		8000.02425e7a1b2c	no
"""


def ifaces(c):
    return {i.name: i for i in c.interfaces}


def test_ip_addr_text():
    c = get("ip-addr")(IP_ADDR, "paste", line_offset=3)
    assert not c.problems, c.problems
    by = ifaces(c)
    assert list(by) == ["lo", "eth0", "br-mellanox", "br-lan137", "veth-lan137-2",
                        "veth-lan137-1", "docker0", "veth5a44ead"]
    assert by["lo"].kind == "loopback" and [str(a) for a in by["lo"].addresses] == [
        "127.0.0.1/8", "::1/128"]
    assert by["br-lan137"].kind is None and by["br-lan137"].addresses == ()
    assert [str(a) for a in by["br-mellanox"].ipv4] == ["198.51.100.250/24"]
    assert by["eth0"].master == "br-mellanox" and by["eth0"].index == 2
    # mutual @name references: a veth pair in this namespace
    assert by["veth-lan137-1"].peer == "veth-lan137-2" and by["veth-lan137-1"].peer_index == 5
    assert by["veth-lan137-2"].peer == "veth-lan137-1"
    # @if8 with link-netnsid: index 8 lives in the container's namespace, no name here
    assert by["veth5a44ead"].peer is None and by["veth5a44ead"].peer_index == 8
    assert by["docker0"].up is False and by["eth0"].up is True and by["lo"].up is True
    assert by["docker0"].mtu == 1500
    span = by["br-mellanox"].span
    assert (span.line, span.column) == (13, 4)
    assert all(i.sources == ("ip addr",) for i in c.interfaces)


def test_ip_d_link_kinds_and_bridge_options():
    c = get("ip-link")(IP_D_LINK, "paste")
    assert not c.problems, c.problems
    by = ifaces(c)
    assert {n: i.kind for n, i in by.items()} == {
        "br-lan137": "bridge", "eth0": "ether", "veth-lan137-1": "veth", "veth5a44ead": "veth",
        "vx42": "vxlan", "wg0": "wireguard"}
    br = by["br-lan137"]
    assert br.bridge_option("nf_call_iptables") == "1"
    assert br.bridge_option("nf_call_arptables") == "0"
    assert br.bridge_option("hello_timer") == "0.00"
    # kind veth is known here, so the @name is the peer even though the peer is not listed
    assert by["veth-lan137-1"].peer == "veth-lan137-2" and by["veth-lan137-1"].peer_index is None
    assert by["wg0"].up is True and by["vx42"].up is False


def test_ip_route_text():
    c = get("ip-route")(IP_ROUTE, "paste", line_offset=1)
    assert not c.problems, c.problems
    r = c.routes
    assert (r[0].dst, r[0].via, r[0].dev, r[0].proto, r[0].metric, r[0].table) == (
        "default", "198.51.100.245", "br-mellanox", "static", 425, "main")
    assert r[0].network is None and str(r[1].network) == "198.18.0.0/16"
    assert (r[1].scope, r[1].src, r[1].span.line) == ("link", "198.18.0.1", 3)
    assert (r[3].type, r[3].dst, r[3].dev) == ("blackhole", "203.0.113.0/24", None)
    hops = [x for x in r if x.dst == "203.0.113.128/25"]
    assert [(h.via, h.metric) for h in hops] == [("198.51.100.1", 20), ("198.51.100.2", 20)]
    assert len(r) == 6


def test_local_table_routes():
    c = get("ip-route")(IP_ROUTE_LOCAL, "paste")
    assert {(r.type, r.table) for r in c.routes} == {("local", "local"), ("broadcast", "local")}
    c = get("ip-route")("198.51.100.0/24 dev eth0 scope link\n", "p",
                        hint={"command": "ip route show table 100"})
    assert c.routes[0].table == "100"
    c = get("ip-route")("198.51.100.0/24 dev eth0 table 7 scope link\n", "p",
                        hint={"command": "ip route show table all"})
    assert c.routes[0].table == "7"


def test_bridge_link_and_brctl_give_membership():
    c = get("bridge-link")(BRIDGE_LINK, "p")
    assert not c.problems
    by = ifaces(c)
    assert by["veth-lan137-1"].master == "br-lan137" and by["eth0"].master == "br-mellanox"
    assert {n for n, i in by.items() if i.kind == "bridge"} == {"br-lan137", "br-mellanox",
                                                               "docker0"}
    c = get("brctl")(BRCTL, "p", line_offset=10)
    assert not c.problems
    members = {(i.name, i.master) for i in c.interfaces if i.master}
    assert members == {("veth-lan137-1", "br-lan137"), ("eth0", "br-mellanox"),
                       ("veth-lan137-2", "br-mellanox")}
    bridges = [i for i in c.interfaces if i.kind == "bridge"]
    assert [b.name for b in bridges] == ["br-lan137", "br-mellanox", "docker0"]
    assert bridges[0].span.line == 12
    assert ifaces(c)["veth-lan137-2"].span.line == 14


def test_sources_merge_into_one_interface():
    b = HostBuilder()
    for fmt, text in (("ip-addr", IP_ADDR), ("ip-link", IP_D_LINK), ("brctl", BRCTL)):
        b.add(get(fmt)(text, fmt))
    host = b.build()
    br = host.interface("br-lan137")
    assert br.kind == "bridge" and br.bridge_option("nf_call_iptables") == "1"
    assert br.addresses == () and set(br.sources) == {"ip addr", "ip link", "brctl show"}
    assert {i.name for i in host.ports_of("br-mellanox")} == {"eth0", "veth-lan137-2"}


def _addr_json():
    def addr(local, prefix, family="inet"):
        return {"family": family, "local": local, "prefixlen": prefix, "scope": "global"}
    return [
        {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "mtu": 65536,
         "operstate": "UNKNOWN", "link_type": "loopback",
         "addr_info": [addr("127.0.0.1", 8), addr("::1", 128, "inet6")]},
        {"ifindex": 4, "ifname": "br-lan137", "flags": ["BROADCAST", "MULTICAST", "UP"],
         "mtu": 1500, "operstate": "UP", "link_type": "ether", "addr_info": []},
        {"ifindex": 5, "link": "veth-lan137-1", "ifname": "veth-lan137-2", "flags": ["UP"],
         "mtu": 1500, "master": "br-mellanox", "operstate": "UP", "link_type": "ether",
         "addr_info": []},
        {"ifindex": 6, "link": "veth-lan137-2", "ifname": "veth-lan137-1", "flags": ["UP"],
         "mtu": 1500, "master": "br-lan137", "operstate": "UP", "link_type": "ether",
         "addr_info": []},
        {"ifindex": 9, "link_index": 8, "ifname": "veth5a44ead", "flags": ["UP"],
         "master": "docker0", "operstate": "UP", "link_type": "ether", "link_netnsid": 0,
         "addr_info": [addr("fe80::7c11:22ff:fe33:4455", 64, "inet6")]},
    ]


def test_ip_json_addr_matches_text_semantics():
    text = json.dumps(_addr_json(), indent=4)
    c = get("ip-json")(text, "paste.json", line_offset=2)
    assert not c.problems, c.problems
    by = ifaces(c)
    assert by["lo"].kind == "loopback" and [str(a) for a in by["lo"].addresses] == [
        "127.0.0.1/8", "::1/128"]
    assert by["veth-lan137-1"].peer == "veth-lan137-2" and by["veth-lan137-1"].peer_index == 5
    assert by["veth5a44ead"].peer is None and by["veth5a44ead"].peer_index == 8
    assert by["br-lan137"].kind is None and by["br-lan137"].up is True
    span = by["br-lan137"].span
    assert span.pointer == "/1" and text.splitlines()[span.line - 3].strip() == "{"
    assert by["lo"].sources == ("ip -j addr",)


def test_ip_json_link_and_routes_in_one_paste():
    links = [{"ifindex": 4, "ifname": "br-lan137", "flags": ["UP"], "mtu": 1500,
              "operstate": "UP", "link_type": "ether", "promiscuity": 0,
              "linkinfo": {"info_kind": "bridge", "info_data": {
                  "forward_delay": 1500, "stp_state": 0, "hello_timer": 0.0,
                  "nf_call_iptables": 1, "nf_call_ip6tables": 1, "nf_call_arptables": 0,
                  "multi_bool_mcast": [1, 2]}}},
             {"ifindex": 2, "ifname": "eth0", "flags": ["UP"], "master": "br-mellanox",
              "link_type": "ether", "promiscuity": 1,
              "linkinfo": {"info_slave_kind": "bridge", "info_slave_data": {"state": "forwarding"}}}]
    routes = [{"dst": "default", "gateway": "198.51.100.245", "dev": "br-mellanox",
               "protocol": "static", "metric": 425, "flags": []},
              {"type": "local", "dst": "198.51.100.250", "dev": "br-mellanox", "table": "local",
               "protocol": "kernel", "scope": "host", "prefsrc": "198.51.100.250", "flags": []},
              {"dst": "203.0.113.128/25", "protocol": "static", "flags": [],
               "nexthops": [{"gateway": "198.51.100.1", "dev": "br-mellanox", "weight": 1},
                            {"gateway": "198.51.100.2", "dev": "br-mellanox", "weight": 1}]}]
    neigh = [{"dst": "198.51.100.245", "dev": "br-mellanox", "lladdr": "00:11:22:33:44:55",
              "state": ["REACHABLE"]}]
    text = "\n".join(json.dumps(x) for x in (links, routes, neigh))
    c = get("ip-json")(text, "p")
    assert not c.problems, c.problems
    by = ifaces(c)
    assert by["br-lan137"].kind == "bridge" and by["eth0"].kind == "ether"
    assert by["br-lan137"].bridge_option("nf_call_iptables") == "1"
    assert by["br-lan137"].bridge_option("multi_bool_mcast") is None
    assert by["br-lan137"].sources == ("ip -j link",)
    r = c.routes
    assert (r[0].dst, r[0].via, r[0].metric, r[0].table) == ("default", "198.51.100.245", 425,
                                                              "main")
    assert (r[1].type, r[1].table, r[1].src) == ("local", "local", "198.51.100.250")
    assert [x.via for x in r[2:]] == ["198.51.100.1", "198.51.100.2"]
    assert [x.span.line for x in r] == [2, 2, 2, 2] and r[3].span.pointer == "/2"
    assert any("neither interfaces nor routes" in a for a in c.assumptions)


def test_ip_json_errors_are_located():
    bad = '[{"ifindex": 1, "ifname": "lo", "mtu": "big"},\n {"ifindex": 2, "ifname": "eth0"}]'
    c = get("ip-json")(bad, "p", line_offset=10)
    assert [i.name for i in c.interfaces] == ["eth0"]
    [p] = c.problems
    assert (p.code, p.span.line, p.span.pointer) == ("NF001", 11, "/0/mtu")
    c = get("ip-json")('[{"ifname": "eth0"},\n {"ifname": ', "p")
    [p] = c.problems
    assert p.span.line == 2 and "invalid JSON" in p.message
    assert not c.interfaces


@pytest.mark.parametrize("fmt,text", [
    ("ip-addr", "    inet 192.0.2.1/24 scope global eth0\n"),
    ("ip-addr", "2: eth0: <UP> mtu 1500\n    inet 192.0.2.999/24 scope global\n"),
    ("ip-route", "this is not a route\n"),
    ("ip-route", "\tnexthop via 192.0.2.1 dev eth0\n"),
    ("brctl", "\t\t\teth0\n"),
])
def test_unreadable_text_lines_are_nf001(fmt, text):
    c = get(fmt)(text, "p", line_offset=5)
    assert c.problems and all(p.code == "NF001" and p.span.line > 5 for p in c.problems)


def test_ip_s_link_counters_are_not_errors():
    text = ("2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT\n"
            "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n"
            "    RX:  bytes packets errors dropped  missed   mcast\n"
            "    123456789  98765      0       0       0       0\n"
            "    TX:  bytes packets errors dropped carrier collsns\n"
            "     98765432  12345      0       0       0       0\n")
    c = get("ip-link")(text, "p")
    assert not c.problems and [i.name for i in c.interfaces] == ["eth0"]


def test_ip_brief_addr_and_link():
    addr = ("lo               UNKNOWN        127.0.0.1/8 ::1/128\n"
            "br-lan137        UP\n"
            "veth-lan137-1@veth-lan137-2 UP\n"
            "veth-lan137-2@veth-lan137-1 UP\n"
            "veth5a44ead@if8  UP             fe80::7c11:22ff:fe33:4455/64\n"
            "docker0          DOWN           198.18.0.1/16\n")
    c = get("ip-addr")(addr, "p", hint={"brief": True})
    assert not c.problems
    by = ifaces(c)
    assert [str(a) for a in by["lo"].addresses] == ["127.0.0.1/8", "::1/128"]
    assert by["br-lan137"].addresses == () and by["br-lan137"].up is True
    assert by["veth-lan137-1"].peer == "veth-lan137-2" and by["veth5a44ead"].peer_index == 8
    assert by["docker0"].up is False
    link = "eth0             UP             52:54:00:12:34:56 <BROADCAST,MULTICAST,UP,LOWER_UP>\n"
    c = get("ip-link")(link, "p")  # recognised without the hint: no `N: name:` lines
    assert not c.problems and ifaces(c)["eth0"].up is True and ifaces(c)["eth0"].addresses == ()
