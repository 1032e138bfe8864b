"""The first seed's story, told by the engine from the bundled dumps (iptables-save and native
nft), variant by variant, as the kernel lab observed it (tests/kernel/test_seed000_kernel.py)."""
from __future__ import annotations

import pytest

from engine_scenarios import HA, HOST_LAN, REGISTRY, load, seed000_inputs
from nflint.engine import Flow, simulate

FLOW = Flow(HA, HOST_LAN, "tcp", dport=5000)
FORMS = ["iptables", "nft"]


def run(form: str, **knobs):
    host, problems = load(seed000_inputs(nft=form == "nft", **knobs))
    assert not [p for p in problems if p.severity >= 3], problems
    return simulate(host, FLOW)


def dnat_devices(trace) -> list[str]:
    """Devices whose conntrack step preceded a DNAT of the request toward the registry."""
    out = []
    for p in trace.packets:
        if p.sender != "client":
            continue
        device = None
        for s in p.steps:
            if s.kind == "conntrack" and " at " in s.text:
                device = s.text.split(" at ", 1)[1].split(":", 1)[0]
            if s.kind == "nat" and f"-> {REGISTRY}:5000" in " ".join(s.changes) and \
                    "binding" in s.text and p.role == "request":
                out.append(device)
    return out


@pytest.mark.parametrize("form", FORMS)
def test_seed_dies_as_martian_on_br_lan137(form):
    t = run(form)
    assert t.fate.kind == "dropped" and t.fate.reason == "rp_filter"
    assert t.fate.device == "br-lan137"
    assert "no IPv4 address" in t.fate.text and "martian source" in t.fate.text
    assert dnat_devices(t) == ["br-lan137"]
    # before FORWARD: no forward hook, no isolation chain was reached
    assert not [s for s in t.steps if s.kind == "hook" and s.hook == "forward"]
    assert not [s for s in t.steps if s.chain and "ISOLATION" in s.chain]
    assert t.reply is None and t.certain


@pytest.mark.parametrize("form", FORMS)
def test_rp_filter_0_dies_in_isolation_stage_2(form):
    t = run(form, rp_filter=0)
    assert t.fate.kind == "dropped" and t.fate.reason == "rule"
    assert t.fate.step.chain == "DOCKER-ISOLATION-STAGE-2"
    rule = t.fate.rule
    assert "br-da66fb6805df" in rule.raw and rule.span.line > 0
    hooks = [s.text for s in t.steps if s.kind == "hook"]
    assert any("FORWARD (in=br-lan137 out=br-da66fb6805df" in h for h in hooks)


@pytest.mark.parametrize("form", FORMS)
def test_isolation_bypassed_resets_after_second_conntrack_entry(form):
    t = run(form, rp_filter=0, bypass_isolation=True)
    assert [p.role for p in t.packets] == ["request", "reply", "client-ack", "server-data"]
    assert all(p.fate.delivered for p in t.packets)
    assert t.outcome.kind == "reset"
    synack = t.packets[1]
    lan137 = [s for s in synack.steps if s.kind == "conntrack" and "at br-lan137" in s.text]
    assert lan137 and "INVALID" in lan137[0].text
    data = t.packets[3]
    new = [s for s in data.steps if s.kind == "conntrack" and "new entry #2" in s.text]
    assert new and "ESTABLISHED" in new[0].text and "at br-lan137" in new[0].text
    rewrite = [s for s in data.steps if s.kind == "nat" and "already used by entry #1" in s.text]
    assert rewrite, "the null binding must rewrite the clashing source port"
    arrived_sport = int(data.arrived.split("->")[0].rsplit(":", 1)[1])
    assert arrived_sport != 5000
    assert dnat_devices(t) == ["br-lan137"]


@pytest.mark.parametrize("form", FORMS)
def test_notrack_alone_dnats_once_at_br_mellanox(form):
    t = run(form, notrack=True)
    assert t.outcome.delivered and t.outcome.kind == "delivered-container"
    assert dnat_devices(t) == ["br-mellanox"]
    untracked = [s for s in t.request.steps if s.kind == "conntrack" and "UNTRACKED" in s.text]
    assert untracked
    reply = t.reply
    assert reply.fate.kind == "delivered-container" and "homeassistant" in reply.fate.text
    assert reply.arrived.startswith(f"tcp {HOST_LAN}:5000 -> {HA}:")
    entries = {s.text.split("#", 1)[1].split()[0] for p in t.packets for s in p.steps
               if s.kind == "conntrack" and "new entry #" in s.text}
    assert entries == {"1"}


@pytest.mark.parametrize("form", FORMS)
def test_bridge_nf_call_iptables_0_works(form):
    t = run(form, bridge_nf_call_iptables=0)
    assert t.outcome.delivered
    assert not [s for p in t.packets for s in p.steps
                if s.kind == "hook" and s.hook == "prerouting" and "in=br-lan137" in s.text]
    assert dnat_devices(t) == ["br-mellanox"]


@pytest.mark.parametrize("form", FORMS)
def test_address_on_br_lan137_passes_rp_filter_not_isolation(form):
    t = run(form, lan137_address="203.0.113.137/32")
    assert t.fate.reason == "rule" and t.fate.step.chain == "DOCKER-ISOLATION-STAGE-2"
    t = run(form, lan137_address="203.0.113.137/32", bypass_isolation=True)
    assert t.outcome.kind == "reset"


def test_seed_steps_cite_the_dump():
    t = run("iptables")
    dnat = [s for s in t.steps if s.rule is not None and s.verdict == "dnat"]
    assert len(dnat) == 1
    assert dnat[0].rule.span.source.endswith("iptables-save.txt")
    assert "--to-destination 172.18.0.4:5000" in dnat[0].rule.raw
    assert dnat[0].hook == "prerouting" and dnat[0].table.name == "nat"
