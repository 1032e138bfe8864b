"""Damaged input end to end: `nflint check` on seeded random mutations of the examples, the seeds
and corpus dumps never raises and never reports a crashed frontend or rule (NF008, NF005).

The damage is what pastes suffer: lines cut short, words inserted (firewall keywords, quotes,
braces, odd prefixes), lines lost or repeated. The seed is fixed, so a failure reproduces."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from corpus import CORPUS, SEEDS
from nflint import api
from nflint.inputs import InputText

ROOT = Path(__file__).resolve().parents[1]
MUTATIONS = 300
WORDS = ("!", "-j", "-m", "{", "}", '"', "--dport", "ct state", "::", "/99", "0x", "\\", ";",
         "jump", "@s", "[", "]", "counter", "-A", "*nat", "COMMIT", "table", "chain", "\t",
         "-p tcp", "ip saddr", "192.0.2.1", "dnat to", "policy drop;",
         "type filter hook input priority 0;", "net.ipv4.ip_forward =", "inet6", "master")


def _sources(rng: random.Random) -> list[tuple[str, str]]:
    files = [p for p in (ROOT / "examples").rglob("*") if p.is_file()]
    files += sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else []
    if CORPUS.exists():
        dumps = sorted(p for p in CORPUS.rglob("*") if p.is_file() and
                       p.stat().st_size < 200_000)
        files += rng.sample(dumps, min(60, len(dumps)))
    return [(p.name, p.read_text(errors="replace")) for p in files]


def _damaged(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 6)):
        j = rng.randrange(len(lines))
        op = rng.random()
        if op < 0.3:
            lines[j] = lines[j][:rng.randrange(len(lines[j]) + 1)]
        elif op < 0.6:
            words = lines[j].split(" ")
            words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
            lines[j] = " ".join(words)
        elif op < 0.8:
            del lines[j]
        else:
            lines.insert(j, rng.choice(lines))
        lines = lines or [""]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", [1, 2])
def test_damaged_inputs_never_crash_a_frontend_or_a_rule(seed):
    rng = random.Random(seed)
    sources = _sources(rng)
    read = 0
    for i in range(MUTATIONS):
        name, text = rng.choice(sources)
        reports = api.check_paths([InputText(f"m{i}-{name}", _damaged(rng, text))])
        crashed = [f"{d.code} {d.message[:200]}" for r in reports for d in r.diagnostics
                   if d.code in ("NF005", "NF008")]
        assert not crashed, (seed, i, name, crashed)
        read += any(d.code == "NF001" for r in reports for d in r.diagnostics)
    assert read > MUTATIONS // 10  # the damage reaches the frontends, it is not all harmless
