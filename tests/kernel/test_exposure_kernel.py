"""NF301 and NF302 against the kernel: a small Docker-like host in namespaces (an uplink, a
bridge with one container), its dumps captured with the real tools and checked by nflint, each
verdict compared with a real TCP connection, then the printed fix applied and checked again.
"""
from __future__ import annotations

import shlex

import pytest

from rulesets import DOCKER_NAT_HEAD

from .conftest import nflint_on_dumps

pytestmark = pytest.mark.kernel

TIMEOUT = 1.0
DUMPS = {"iptables-nft-save": "iptables.rules", "sysctl -a": "sysctl.txt",
         "ip addr": "ip-addr.txt", "ip -d link": "ip-link.txt", "ip route": "ip-route.txt"}

RULES = """*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -d 198.18.0.2/32 ! -i br0 -j DROP
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o br0 -j DOCKER
-A FORWARD -i br0 -j ACCEPT
-A DOCKER -d 198.18.0.2/32 ! -i br0 -o br0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER ! -i br0 -o br0 -j DROP
{user}-A DOCKER-USER -j RETURN
COMMIT
""" + DOCKER_NAT_HEAD + """-A POSTROUTING -s 198.18.0.0/24 ! -o br0 -j MASQUERADE
-A DOCKER -i br0 -j RETURN
-A DOCKER ! -i br0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:80
COMMIT
"""


def _build(lab, user: str = ""):
    client, host, ctr, peer = (lab.netns(n) for n in ("client", "host", "ctr", "peer"))
    lab.veth(client, "eth0", host, "up0")
    lab.veth(peer, "eth0", host, "vpn0")
    lab.veth(ctr, "eth0", host, "vctr")
    host.bridge("br0")
    host.enslave("vctr", "br0")
    host.addr("up0", "203.0.113.10/24")
    host.addr("vpn0", "198.51.100.1/24")
    host.addr("br0", "198.18.0.1/24")
    host.route("default", via="203.0.113.1")
    client.addr("eth0", "203.0.113.77/24")
    peer.addr("eth0", "198.51.100.77/24")
    peer.route("198.18.0.0/24", via="198.51.100.1")
    ctr.addr("eth0", "198.18.0.2/24")
    ctr.route("default", via="198.18.0.1")
    for key in ("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"):
        host.sysctl(key, 0)
    host.sysctl("net.ipv4.ip_forward", 1)
    host.load_iptables(RULES.replace("{user}", user))
    return client, host, ctr, peer


def _check(host, code: str):
    out = nflint_on_dumps(host, DUMPS, (code,))
    assert not [d for d in out if d.code in ("NF004", "NF005")]
    return [d for d in out if d.code == code]


def _apply(ns, diagnostic) -> None:
    for cmd in diagnostic.fix.commands:
        argv = shlex.split(cmd)
        assert argv[0] in ("iptables", "nft"), cmd
        ns.run(argv)


def _printed_fix_turns(host, code: str, names: str, connect, before: str, after: str) -> None:
    """The kernel says `before`; nflint reports it once, naming `names`; its printed fix
    applied, the kernel says `after` and nflint is quiet: one story for every rule here."""
    assert connect().kind == before
    hits = _check(host, code)
    assert len(hits) == 1 and names in hits[0].message, [d.message for d in hits]
    _apply(host, hits[0])
    assert connect().kind == after
    assert not _check(host, code)


def test_published_port_bypasses_input_drop_and_the_printed_fix_closes_it(lab):
    client, host, ctr, _ = _build(lab)
    ctr.serve_tcp(80)
    assert lab.tcp_connect(client, host, "203.0.113.10", 9, timeout=TIMEOUT).kind != "ok"
    _printed_fix_turns(
        host, "NF301", "up0",
        lambda: lab.tcp_connect(client, None, "203.0.113.10", 8080, timeout=TIMEOUT),
        "ok", "timeout")
    assert lab.tcp_connect(ctr, client, "203.0.113.77", 8080, timeout=TIMEOUT).kind == "ok", \
        "the fix must not block the container's own outbound connections to that port"


def test_raw_drop_kills_routed_accept_and_the_printed_fix_opens_it(lab):
    _, host, ctr, peer = _build(lab, user="-A DOCKER-USER -i vpn0 -o br0 -j ACCEPT\n")
    _printed_fix_turns(host, "NF302", "vpn0",
                       lambda: lab.tcp_connect(peer, ctr, "198.18.0.2", 80, timeout=TIMEOUT),
                       "timeout", "ok")


def test_input_drop_blocks_container_to_host_and_the_printed_fix_opens_it(lab):
    _, host, ctr, _ = _build(lab)
    host.serve_tcp(53)
    _printed_fix_turns(host, "NF304", "br0",
                       lambda: lab.tcp_connect(ctr, None, "198.18.0.1", 53, timeout=TIMEOUT),
                       "timeout", "ok")
