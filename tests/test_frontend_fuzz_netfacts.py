"""The non-firewall frontends never raise: mangled pastes give NF001 problems, not tracebacks.

Mutations of a valid sample (cut, duplicated, shuffled and spliced lines, stray brackets and
quotes, truncation) with a fixed random seed, so a failure is reproducible.
"""
import json
import random

import pytest

from nflint.frontends import get
from nflint.host import Contribution

SAMPLES = {
    "sysctl": "net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter=2\n"
              "sysctl -w net.ipv4.conf.br0.rp_filter=0\n/proc/sys/net/ipv4/ip_forward:1\n",
    "ip-addr": "2: eth0@if9: <BROADCAST,UP> mtu 1500 master br0 state UP\n"
               "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n"
               "    inet 192.0.2.1/24 brd 192.0.2.255 scope global eth0\n"
               "       valid_lft forever preferred_lft forever\n",
    "ip-link": "3: br0: <UP> mtu 1500 state UP mode DEFAULT\n"
               "    link/ether 52:54:00:12:34:57 brd ff:ff:ff:ff:ff:ff promiscuity 0\n"
               "    bridge forward_delay 1500 nf_call_iptables 1\n",
    "ip-route": "default via 192.0.2.254 dev eth0 proto dhcp metric 100\n"
                "local 192.0.2.1 dev eth0 table local proto kernel scope host src 192.0.2.1\n"
                "198.51.100.0/24 proto static\n\tnexthop via 192.0.2.9 dev eth0 weight 1\n",
    "ip-json": json.dumps([{"ifindex": 2, "ifname": "eth0", "link_index": 9, "mtu": 1500,
                            "linkinfo": {"info_kind": "veth"},
                            "addr_info": [{"family": "inet", "local": "192.0.2.1",
                                           "prefixlen": 24}]},
                           {"dst": "default", "gateway": "192.0.2.254", "dev": "eth0"}], indent=2),
    "bridge-link": "4: veth0@if5: <BROADCAST,UP> mtu 1500 master br0 state forwarding cost 2\n",
    "brctl": "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n"
             "br0\t\t8000.525400123456\tno\t\teth0\n\t\t\t\t\t\t\tveth0\n",
    "docker-inspect": json.dumps([{"Name": "web", "Id": "ab" * 32, "Driver": "bridge",
                                   "IPAM": {"Config": [{"Subnet": "198.18.0.0/16",
                                                        "Gateway": "198.18.0.1"}]},
                                   "Options": {"com.docker.network.bridge.name": "br-web"},
                                   "Containers": {"x": {"Name": "c", "IPv4Address": "1/2"}}}],
                                 indent=4),
    "docker-create": "docker network create \\\n  --subnet 198.18.0.0/16 \\\n"
                     "  -o com.docker.network.bridge.name=br-x \\\n  web\n",
    "netplan": "network:\n  version: 2\n  bridges:\n    br0:\n      interfaces: [eth0]\n"
               "      addresses: [192.0.2.1/24]\n  virtual-ethernets:\n    va:\n      peer: vb\n",
    "conntrack": "[NEW] tcp 6 120 SYN_SENT src=192.0.2.1 dst=192.0.2.2 sport=1 dport=2 "
                 "[UNREPLIED] src=192.0.2.2 dst=192.0.2.1 sport=2 dport=1 id=5\n",
    "kernel-log": "Nov 12 19:46:36 nas kernel: X: IN=br0 OUT=br0 SRC=192.0.2.1 DST=192.0.2.2 "
                  "PROTO=TCP SPT=1 DPT=2 ACK SYN URGP=0\n"
                  "[ 1.0] IPv4: martian source 192.0.2.2 from 192.0.2.3, on dev br0\n",
}
JUNK = ["{", "}", "[", "]", '"', "'", ":", "=", "\\", "@", "<", ">", "\t", "  ", "-", "#", "\x00",
        "é", "\n", "/", "nexthop", "inet", "sysctl -w", "docker network create", "src="]


def mutate(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    op = rng.randrange(7)
    if op == 0 and lines:
        del lines[rng.randrange(len(lines))]
    elif op == 1 and lines:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
    elif op == 2:
        rng.shuffle(lines)
    elif op == 3:
        text = "".join(lines)
        return text[:rng.randrange(len(text) + 1)]
    elif op == 4:
        other = rng.choice(list(SAMPLES.values()))
        lines += other.splitlines(keepends=True)[: rng.randrange(1, 4)]
    text = "".join(lines)
    for _ in range(rng.randrange(1, 6)):
        pos = rng.randrange(len(text) + 1)
        if rng.random() < 0.5:
            text = text[:pos] + rng.choice(JUNK) + text[pos:]
        else:
            text = text[:pos] + text[pos + rng.randrange(1, 8):]
    return text


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_mangled_input_never_raises(fmt):
    parse = get(fmt)
    clean = parse(SAMPLES[fmt], "sample")
    assert not clean.problems, clean.problems  # the sample itself is valid
    rng = random.Random(f"nflint-{fmt}")
    for n in range(120):
        text = mutate(rng, SAMPLES[fmt])
        c = parse(text, "fuzz", line_offset=3)
        assert isinstance(c, Contribution), (n, text)
        for p in c.problems:
            assert p.code == "NF001" and p.span.source == "fuzz" and p.span.line >= 1, (n, text, p)


DEGENERATE = {"empty": "", "blank": "\n\n", "control": "\x00\x01\x02", "null": "null",
              "numbers": "[1, 2, 3]", "object": "{}", "emoji": "💥" * 50, "long-word": "a" * 5000,
              "deep-json": "[" * 5000 + "]" * 5000, "deep-yaml": "- " * 5000 + "x"}


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
@pytest.mark.parametrize("text", DEGENERATE.values(), ids=DEGENERATE.keys())
def test_degenerate_inputs(fmt, text):
    c = get(fmt)(text, "odd")
    assert isinstance(c, Contribution)
    assert all(p.code == "NF001" for p in c.problems)
