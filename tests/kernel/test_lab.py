"""The lab itself: outcomes tell failures apart, rulesets load, dumps complete, cleanup holds."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from .conftest import require
from .lab import (Lab, LabError, _check_address, cleanup_stale, tcp_connect_many,
                  unavailable_reason)

A_IP, B_IP = "192.0.2.1", "192.0.2.2"


def _netns_names() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    return {line.split()[0] for line in out.stdout.splitlines() if line.split()}


@pytest.fixture
def pair(lab):
    """Two namespaces a (192.0.2.1) and b (192.0.2.2) on one veth."""
    a, b = lab.netns("a"), lab.netns("b")
    lab.veth(a, "eth0", b, "eth0")
    a.addr("eth0", f"{A_IP}/24")
    b.addr("eth0", f"{B_IP}/24")
    return lab, a, b


def test_only_test_ranges_are_accepted():
    for ok in ("192.0.2.7/24", "198.51.100.0/24", "203.0.113.9", "198.19.255.1/16", "2001:db8::1"):
        _check_address(ok)
    for bad in ("10.0.0.1/24", "192.168.137.250/24", "198.17.0.1", "0.0.0.0/0", "fd00::1"):
        with pytest.raises(LabError):
            _check_address(bad)


def test_namespaces_are_prefixed_and_removed_even_on_error(lab):
    lab.close()                         # the fixture's lab is reusable after close
    with pytest.raises(RuntimeError):
        with Lab() as inner:
            ns = inner.netns("x")
            assert ns.fullname.startswith(f"nfl-{os.getpid()}-") and ns.fullname.endswith("-x")
            assert ns.fullname in _netns_names()
            ns.popen(["sleep", "30"])
            raise RuntimeError("test failure inside the lab")
    assert ns.fullname not in _netns_names()


def test_stale_namespaces_of_dead_runs_only_are_removed(lab):
    dead = subprocess.Popen(["true"])
    dead.wait(timeout=10)
    stale = f"nfl-{dead.pid}-1-stale"
    alive = f"nfl-{os.getpid()}-1-alive"
    try:
        for name in (stale, alive):
            subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
        removed = cleanup_stale()
        assert stale in removed and stale not in _netns_names()
        assert alive in _netns_names()
    finally:
        for name in (stale, alive):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def test_sysctls_stay_inside_the_namespace(lab):
    ns = lab.netns("s")
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        root_before = f.read().strip()
    ns.sysctl("net.ipv4.ip_forward", 0 if root_before == "1" else 1)
    assert ns.sysctl_get("net.ipv4.ip_forward") != root_before
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read().strip() == root_before
    with pytest.raises(LabError):
        ns.sysctl("kernel.hostname", "nope")


def test_outcomes_tell_each_failure_apart(pair):
    lab, a, b = pair
    b.load_iptables("\n".join([
        "*filter",
        "-A INPUT -p tcp --dport 81 -j DROP",
        "-A INPUT -p tcp --dport 82 -j REJECT --reject-with icmp-host-unreachable",
        # Data segments carry PSH; the handshake does not: connect works, then RST.
        "-A INPUT -p tcp --dport 83 --tcp-flags PSH PSH -j REJECT --reject-with tcp-reset",
        "COMMIT", ""]))
    got = tcp_connect_many([(a, b, B_IP, 80), (a, None, B_IP, 84), (a, b, B_IP, 81),
                            (a, b, B_IP, 82), (a, b, B_IP, 83)], timeout=1.0)
    assert [o.kind for o in got] == ["ok", "refused", "timeout", "unreachable", "reset"]
    assert [o.connected for o in got] == [True, False, False, False, True]
    assert got[0].detail == "pong"
    assert b.packets("INPUT", "--dport 81", backend="iptables-nft") >= 1


@pytest.mark.parametrize("backend", ["nft", "legacy"])
def test_iptables_backends_load_and_count(pair, backend):
    require(f"iptables-{backend}-restore", f"iptables-{backend}-save")
    lab, a, b = pair
    b.load_iptables("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 80 -j ACCEPT\n"
                    "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\nCOMMIT\n",
                    backend=backend)
    assert lab.tcp_connect(a, b, B_IP, 80, timeout=1.0).kind == "ok"
    assert lab.tcp_connect(a, b, B_IP, 81, timeout=0.5).kind == "timeout"
    counters = b.counters(f"iptables-{backend}")
    accept = [c for c in counters if c.chain == "INPUT" and "--dport 80" in c.rule]
    policy = [c for c in counters if c.chain == "INPUT" and c.rule == ":policy DROP"]
    assert accept and accept[0].packets >= 1
    assert policy and policy[0].packets >= 1
    dumps = b.capture()
    other = "legacy" if backend == "nft" else "nft"
    assert f"iptables-{backend}-save" in dumps and f"iptables-{other}-save" not in dumps


def test_ip6tables_family(pair):
    require("ip6tables-nft-restore")
    lab, a, b = pair
    a.addr("eth0", "2001:db8::1/64")
    b.addr("eth0", "2001:db8::2/64")
    b.load_iptables("*filter\n-A INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset\n"
                    "COMMIT\n", family=6)
    assert lab.tcp_connect(a, b, "2001:db8::2", 80, timeout=1.0).kind == "refused"
    assert lab.tcp_connect(a, b, "2001:db8::2", 81, timeout=1.0).kind == "ok"
    assert "ip6tables-nft-save" in b.capture()


def test_nft_rulesets_and_their_counters(pair):
    lab, a, b = pair
    b.load_nft("table inet t {\n chain in {\n  type filter hook input priority 0; policy accept;\n"
               "  tcp dport 81 counter drop\n }\n}\n")
    assert lab.tcp_connect(a, b, B_IP, 81, timeout=0.5).kind == "timeout"
    drops = [c for c in b.counters("nft") if c.table == "inet t" and c.chain == "in"]
    assert len(drops) == 1 and drops[0].rule == "tcp dport 81 drop" and drops[0].packets >= 1
    with pytest.raises(LabError):
        b.load_nft("table inet t { chain in { nonsense } }")


def test_capture_has_every_dump_and_a_paste_bundle(pair):
    lab, a, b = pair
    b.load_iptables("*nat\n-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination "
                    f"{B_IP}:80\nCOMMIT\n")
    b.serve_tcp(80)
    assert lab.tcp_connect(a, None, B_IP, 8080, timeout=1.0).kind == "ok"
    dumps = b.capture()
    for key in ("iptables-nft-save", "nft -j list ruleset", "nft list ruleset", "sysctl -a",
                "ip -j addr", "ip -j -d link", "ip -j route", "ip addr", "ip -d link", "ip route",
                "conntrack -L"):
        assert key in dumps, key
    assert "--to-destination 192.0.2.2:80" in dumps["iptables-nft-save"]
    assert "nftables" in json.loads(dumps["nft -j list ruleset"])
    addrs = [i["local"] for link in json.loads(dumps["ip -j addr"]) for i in link["addr_info"]]
    assert B_IP in addrs
    assert "net.ipv4.ip_forward = " in dumps["sysctl -a"]
    assert "dport=8080" in dumps["conntrack -L"]
    bundle = b.capture_bundle()
    assert bundle.startswith("# iptables-nft-save\n")
    assert "\n# nft list ruleset\n" in bundle and "\n# ip -j route\n[" in bundle


def test_background_collects_conntrack_events(pair):
    require("conntrack", "stdbuf")
    lab, a, b = pair
    b.load_iptables("*filter\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n")
    with b.serve_tcp(80) as listener, b.conntrack_events() as events:
        b.run(["sleep", "0.2"])         # conntrack -E subscribes asynchronously
        assert lab.tcp_connect(a, None, B_IP, 80, timeout=1.0).kind == "ok"
        assert listener.peers("served") == [A_IP]
        lines = events.stop()
    assert any("[NEW]" in ln and "dport=80" in ln for ln in lines), lines


def test_unavailable_reason_is_none_when_the_fixture_runs(lab):
    assert unavailable_reason() is None


def test_skip_reasons_name_what_is_missing(monkeypatch):
    from . import lab as lab_module
    monkeypatch.setattr(lab_module.os, "geteuid", lambda: 1000)
    assert "root" in unavailable_reason()
    monkeypatch.setattr(lab_module.os, "geteuid", lambda: 0)
    monkeypatch.setattr(lab_module.shutil, "which", lambda tool: None if tool == "nft" else "/x")
    assert "nft" in unavailable_reason()
