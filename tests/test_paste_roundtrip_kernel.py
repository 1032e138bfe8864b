"""Round trip through a real kernel: the dumps of one namespace, pasted as one support-thread
text with prompts, must give the same model as the same dumps given as separate files.

Also checks the `iptables -L -n -v` listings of the namespace against its iptables-save: the
listing frontend must read real iptables output into the rules iptables-save describes.
"""
from __future__ import annotations

import dataclasses

import pytest

from nflint import inputs
from nflint.matches import ModuleMatch
from nflint.span import Span
from rulesets import DOCKER_NAT_HEAD
from tests.kernel.conftest import lab, require  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.kernel

# A Docker-like ruleset: the chains of a Docker host with one published port, test addresses.
RULESET = """\
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i br-lan137 -j NOTRACK
COMMIT
""" + DOCKER_NAT_HEAD + """-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 198.51.100.0/24 ! -o br-da66fb6805df -j MASQUERADE
-A DOCKER -i br-da66fb6805df -j RETURN
-A DOCKER ! -i br-da66fb6805df -p tcp -m tcp --dport 5000 -j DNAT --to-destination 198.51.100.4:5000
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-FORWARD - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-FORWARD
-A DOCKER -d 198.51.100.4/32 ! -i br-da66fb6805df -o br-da66fb6805df -p tcp -m tcp --dport 5000 -j ACCEPT
-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1
-A DOCKER-FORWARD -o br-da66fb6805df -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-FORWARD -o br-da66fb6805df -j DOCKER
-A DOCKER-FORWARD -i br-da66fb6805df -j ACCEPT
-A DOCKER-FORWARD -m physdev --physdev-is-bridged -m comment --comment "bridged traffic" -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i br-lan137 ! -o br-lan137 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -i br-da66fb6805df ! -o br-da66fb6805df -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-2 -o br-da66fb6805df -j DROP
-A DOCKER-ISOLATION-STAGE-2 -o br-lan137 -j DROP
-A DOCKER-USER -p udp -m multiport --dports 53,5353 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
"""

# (file name, command as a user would paste it, command run inside the namespace)
CAPTURES = (
    ("iptables-save.txt", "sudo iptables-save", "iptables-save"),
    ("filter-list.txt", "sudo iptables -L -n -v", "iptables -L -n -v"),
    ("nat-list.txt", "sudo iptables -t nat -L -n -v", "iptables -t nat -L -n -v"),
    ("raw-list.txt", "sudo iptables -t raw -L -n -v", "iptables -t raw -L -n -v"),
    ("nft.txt", "sudo nft list ruleset", "nft list ruleset"),
    ("sysctl.txt", "sudo ip netns exec {ns} sysctl -a", "sysctl -a"),
    ("ip-addr.json", "ip -j addr", "ip -j addr"),
    ("ip-link.txt", "ip -d link", "ip -d link"),
)


def _strip(value):
    """A model value without spans (and without which-input bookkeeping): what must agree."""
    if isinstance(value, Span):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(
            (f.name, _strip(getattr(value, f.name))) for f in dataclasses.fields(value)
            if f.name not in ("span", "sources", "raw"))
    if isinstance(value, (tuple, list)):
        return tuple(_strip(v) for v in value)
    return value


def _tables(host):
    return sorted(_strip(t) for t in host.tables)


@pytest.fixture
def captured(lab, tmp_path):  # noqa: F811
    require("iptables", "iptables-save", "iptables-restore", "nft", "sysctl")
    ns = lab.netns("paste")
    ns.bridge("br-mellanox")
    ns.bridge("br-lan137")
    ns.bridge("br-da66fb6805df")
    ns.run(["ip", "link", "add", "veth-lan137-1", "type", "veth", "peer", "name",
            "veth-lan137-2"])
    ns.enslave("veth-lan137-1", "br-lan137")
    ns.enslave("veth-lan137-2", "br-mellanox")
    for ifname in ("veth-lan137-1", "veth-lan137-2"):
        ns.up(ifname)
    ns.addr("br-mellanox", "192.0.2.250/24")
    ns.addr("br-da66fb6805df", "198.51.100.1/24")
    ns.load_iptables(RULESET)
    files, paste = [], []
    for name, shown, run in CAPTURES:
        out = ns.run(run, timeout=20).stdout
        path = tmp_path / name
        path.write_text(out)
        files.append(path)
        paste.append(f"$ {shown.format(ns=ns.fullname)}\n{out}")
    thread = tmp_path / "thread.txt"
    thread.write_text("My Docker host drops traffic, here is everything:\n\n"
                      + "\n".join(paste))
    return files, thread


def test_paste_equals_separate_files(captured):
    files, thread = captured
    sep_host, sep_problems, sep_sections = inputs.load_host(files)
    paste_host, paste_problems, paste_sections = inputs.load_host([thread])

    # every dump became its own section, with the format its prompt names
    shown = [s for s in paste_sections if s.detected_by.startswith("prompt:")]
    assert [s.format for s in shown] == ["iptables-save", "iptables-list", "iptables-list",
                                         "iptables-list", "nft-text", "sysctl", "ip-json",
                                         "ip-link"]
    assert [s.hint.get("table") for s in shown[1:4]] == ["filter", "nat", "raw"]
    assert all(s.format for s in sep_sections)  # each file is one known format

    assert _tables(paste_host) == _tables(sep_host)
    names = {t.name for t in paste_host.tables if t.backend == "iptables-nft"}
    assert names >= {"raw", "nat", "filter"}
    assert all(s.contribution is not None for s in shown), [str(s) for s in shown]
    assert _strip(paste_host.sysctls) == _strip(sep_host.sysctls)
    assert paste_host.sysctls.given["net.ipv4.ip_forward"].value in ("0", "1")
    assert sorted(_strip(i) for i in paste_host.interfaces) == \
        sorted(_strip(i) for i in sep_host.interfaces)
    assert {"br-lan137", "br-mellanox", "veth-lan137-1"} <= {
        i.name for i in paste_host.interfaces}
    assert paste_host.interface("veth-lan137-1").master == "br-lan137"
    # spans point into the pasted thread, at the DNAT rule's line
    nat = next(t for t in paste_host.tables if t.name == "nat" and t.backend == "iptables-nft")
    dnat = next(r for r in nat.chain("DOCKER").rules if r.nat)
    lines = thread.read_text().splitlines()
    assert dnat.span.source == str(thread)
    assert "--to-destination 198.51.100.4:5000" in lines[dnat.span.line - 1]
    assert len(paste_problems) == len(sep_problems)


def test_kernel_listings_read_like_iptables_save(captured):
    files, _ = captured
    by_name = {p.name: p for p in files}
    save_host, _, _ = inputs.load_host([by_name["iptables-save.txt"]])
    list_host, problems, _ = inputs.load_host(
        [by_name["filter-list.txt"], by_name["nat-list.txt"], by_name["raw-list.txt"]])
    assert not [p for p in problems if p.code == "NF001"]
    saved = {t.name: t for t in save_host.tables}
    for table in list_host.tables:
        other = saved[table.name]
        assert [c.name for c in table.chains] == [c.name for c in other.chains]
        for chain in table.chains:
            theirs = other.chain(chain.name)
            assert (chain.hook, chain.priority, chain.policy) == \
                (theirs.hook, theirs.priority, theirs.policy)
            got = [(r.matches, r.actions) for r in chain.rules]
            want = [(r.matches, r.actions) for r in theirs.rules]
            assert not any(isinstance(m, ModuleMatch) for r in chain.rules for m in r.matches)
            assert got == want, (table.name, chain.name)
