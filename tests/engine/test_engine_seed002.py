"""The second seed's open questions, answered hook by hook for the RADIUS reply."""
from __future__ import annotations

import pytest

from engine_scenarios import SEED002
from nflint.engine import Flow, simulate
from nflint.inputs import load_host

CLIENT, HOST, RADIUS = "198.51.100.50", "198.51.100.10", "198.18.20.4"


@pytest.fixture(scope="module")
def trace():
    host, problems, _ = load_host([str(SEED002)])
    assert not [p for p in problems if p.severity >= 3], problems
    return simulate(host, Flow(CLIENT, HOST, "udp", dport=1812))


def test_request_is_dnated_forwarded_and_masqueraded_by_firewalld(trace):
    req = trace.request
    assert req.fate.kind == "delivered-container" and "radius" in req.fate.text
    verdicts = [(s.table.name, s.chain, s.verdict) for s in req.steps if s.rule is not None]
    assert ("nat", "DOCKER", "dnat") in verdicts
    assert ("firewalld", "nat_POST_public_allow", "masquerade") in verdicts
    assert ("firewalld", "filter_FORWARD", "accept") in verdicts  # ct status dnat accept
    assert req.arrived.startswith("udp 198.18.20.1:")  # docker1's address after masquerade


def test_reply_sees_no_nat_chain_conntrack_reverses_both_nats(trace):
    reply = trace.reply
    assert reply is not None and reply.fate.kind == "sent" and reply.fate.device == "ens192"
    assert not [s for s in reply.steps if s.rule is not None and s.table.name in
                ("nat", "firewalld") and s.chain.startswith(("nat_", "PRE", "POST", "DOCKER"))
                and s.table.family == "ip" and s.hook in ("prerouting", "postrouting")]
    skipped = [s for s in reply.steps if s.kind == "nat" and "nat chains skipped" in s.text]
    assert {s.hook for s in skipped} == {"prerouting", "postrouting"}
    changes = [c for s in reply.steps if s.kind == "nat" for c in s.changes]
    assert any(c.startswith("destination 198.18.20.1:") and c.endswith(f"{CLIENT}:40000")
               for c in changes)
    assert f"source {RADIUS}:1812 -> {HOST}:1812" in changes
    assert reply.arrived == f"udp {HOST}:1812 -> {CLIENT}:40000"
    assert trace.outcome.delivered


def test_reply_hits_bridge_input_then_ip_forward_never_ip_input(trace):
    hooks = [(s.family, s.hook) for s in trace.reply.steps if s.kind == "hook"]
    assert ("bridge", "prerouting") in hooks and ("bridge", "input") in hooks
    assert ("ip", "forward") in hooks and ("ip", "postrouting") in hooks
    assert ("ip", "input") not in hooks
    assert hooks.index(("bridge", "input")) < hooks.index(("ip", "forward"))
    counted = [(s.table.family, s.chain) for s in trace.reply.steps
               if s.rule is not None and s.table.family == "bridge"]
    assert ("bridge", "INPUT") in counted and ("bridge", "FORWARD") not in counted


def test_missing_sysctls_are_listed_as_assumptions(trace):
    text = " | ".join(trace.assumptions)
    assert "bridge-nf-call-iptables assumed 1" in text and "Docker" in text
    assert "ip_forward assumed 1" in text
