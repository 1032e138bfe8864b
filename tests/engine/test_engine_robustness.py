"""The engine never raises on real rulesets: a sample of the shared corpus, a few flows each."""
from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from nflint.engine import Flow, candidate_flows, simulate
from nflint.inputs import load_host

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
SAMPLE_PER_FORMAT = 5
FLOWS = [Flow("203.0.113.7", "198.51.100.1", "tcp", dport=22),
         Flow("198.51.100.20", "192.0.2.80", "udp", dport=53, in_iface="eth0"),
         Flow("2001:db8::7", "2001:db8:1::1", "tcp", dport=443),
         Flow("203.0.113.7", "198.51.100.1", "icmp")]


def _sample() -> list[Path]:
    index = CORPUS / "INDEX.tsv"
    if not index.exists():
        return []
    by_format: dict[str, list[Path]] = {}
    with index.open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            by_format.setdefault(row["format"], []).append(CORPUS / row["path"])
    out = []
    for paths in by_format.values():
        step = max(1, len(paths) // SAMPLE_PER_FORMAT)
        out += paths[::step][:SAMPLE_PER_FORMAT]
    return out


SAMPLE = _sample()


@pytest.mark.skipif(not SAMPLE, reason="the shared corpus (/work/shared/corpus) is absent")
@pytest.mark.parametrize("path", SAMPLE, ids=[p.name for p in SAMPLE])
def test_simulation_never_raises(path):
    host, _, _ = load_host([str(path)])
    deadline = time.monotonic() + 20
    flows = FLOWS + [c.flow for c in candidate_flows(host, limit=4)]
    for flow in flows:
        if time.monotonic() > deadline:
            break
        trace = simulate(host, flow, max_branches=8)
        assert trace.packets and trace.outcome.kind
        for branch in trace.branches:
            for step in branch.all_steps():
                assert step.rule is None or step.rule.span is not None
