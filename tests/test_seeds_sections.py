"""Acceptance: the two seed threads, each given whole, yield their sections and one host model
(the founding Docker/br-lan137 case and the mangled nft/Docker paste)."""
from __future__ import annotations

from pathlib import Path

import pytest

from nflint import inputs
from nflint.statements import NatAction

SEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds"


def _seed(prefix: str) -> Path:
    found = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    if not found:
        pytest.skip(f"seed {prefix} not found under {SEEDS}")
    return found[0]


@pytest.fixture(scope="module")
def seed0():
    return inputs.load_host([_seed("000")])


@pytest.fixture(scope="module")
def seed2():
    return inputs.load_host([_seed("002")])


def _by_format(secs):
    out: dict = {}
    for s in secs:
        out.setdefault(s.format, []).append(s)
    return out


def test_seed0_sections(seed0):
    host, problems, secs = seed0
    fmts = _by_format(secs)
    nat, fil = fmts["iptables-list"]
    assert (nat.start_line, nat.end_line, nat.hint["table"]) == (104, 113, "nat")
    assert nat.detected_by == "prompt: sudo iptables -t nat -L -n -v"
    assert (fil.start_line, fil.end_line) == (123, 140) and fil.hint["table"] == "filter"
    assert [(s.start_line, s.end_line) for s in fmts["conntrack"]] == [(174, 180)]
    assert [(s.start_line, s.end_line) for s in fmts["kernel-log"]] == [(197, 200)]
    assert [(s.start_line, s.end_line) for s in fmts["netplan"]] == [(31, 61)]
    assert [(s.start_line, s.end_line) for s in fmts["docker-create"]] == [(67, 77)]
    # the docker-compose YAML (the container's fixed address) is read; prose and the C
    # excerpt are listed as skipped, with ranges
    assert [(s.start_line, s.end_line) for s in fmts["docker-compose"]] == [(83, 92)]
    skipped = [(s.start_line, s.end_line) for s in fmts[None]]
    assert (206, 258) in skipped
    # every non-blank line of the post is in exactly one section, fences aside
    covered = [n for s in secs for n in range(s.start_line, s.end_line + 1)]
    assert len(covered) == len(set(covered))


def test_seed0_model_firewall(seed0):
    host, problems, secs = seed0
    assert {t.name for t in host.tables} == {"nat", "filter"}
    nat = next(t for t in host.tables if t.name == "nat")
    fil = next(t for t in host.tables if t.name == "filter")
    dnat = [r for r in nat.chain("DOCKER").rules if r.nat]
    assert dnat[0].nat == NatAction("dnat", "172.18.0.4", (5000, 5000))
    assert dnat[0].span.line == 113
    assert {"DOCKER-FORWARD", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2"} <= {
        c.name for c in fil.chains}
    assert fil.chain("FORWARD").policy == "drop"
    assert fil.chain("FORWARD").rules[0].counters == (7_238_000, 3_417_000_000)
    assert not [p for p in problems if p.span.line in range(104, 141)]


def test_seed0_model_network(seed0):
    host, problems, secs = seed0
    assert host.interface("br-lan137") is not None
    assert host.interface("br-mellanox") is not None
    veth1, veth2 = host.interface("veth-lan137-1"), host.interface("veth-lan137-2")
    assert veth1 is not None and veth2 is not None
    assert veth1.peer == "veth-lan137-2" and veth1.master == "br-lan137"
    assert veth2.master == "br-mellanox"
    # the mis-indented ` ethernets:` line is reported where it is in the post
    assert any(p.code == "NF001" and p.span.line == 58 for p in problems)


def test_seed0_docker_and_evidence(seed0):
    host, problems, secs = seed0
    (net,) = [d for d in host.docker_networks if d.name == "lan137"]
    assert net.bridge_name == "br-lan137" and net.subnets == ("192.168.137.0/24",)
    kinds = [e.kind for e in host.evidence]
    assert kinds.count("conntrack") == 6
    assert kinds.count("kernel-log") == 2


def test_seed2_sections(seed2):
    host, problems, secs = seed2
    fmts = _by_format(secs)
    (inspect,) = fmts["docker-inspect"]
    assert (inspect.start_line, inspect.end_line) == (52, 103)
    assert inspect.detected_by == "prompt: docker network inspect infraserv_infranet"
    assert [(s.start_line, s.end_line) for s in fmts["nft-text"]] == [
        (121, 129), (139, 175), (183, 202)]
    assert all("annotation margin" in s.note for s in fmts["nft-text"])
    docker_ps = [s for s in fmts[None] if s.detected_by == "prompt: docker ps"]
    assert [(s.start_line, s.end_line) for s in docker_ps] == [(36, 42)]


def test_seed2_model(seed2):
    host, problems, secs = seed2
    assert [d.name for d in host.docker_networks] == ["infraserv_infranet"]
    # mangled JSON: reported, with a line inside the pasted output
    assert any(52 <= p.span.line <= 103 for p in problems)
    assert {t.name for t in host.tables} >= {"nat", "filter", "firewalld"}
    # the nat table is shown in two excerpts (prerouting, postrouting): both parts are kept
    nat = next(t for t in host.tables if t.name == "nat" and t.family == "ip")
    assert {"PREROUTING", "DOCKER", "POSTROUTING"} <= {c.name for c in nat.chains}
    assert any(121 <= p.span.line <= 202 for p in problems)  # `dnat to` without an address
