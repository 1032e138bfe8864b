"""Every real `nft -j list ruleset` dump of the nftables test suite reads without an error.

These are real dumps: one that fails the schema means the schema is wrong. Constructs the mapper
cannot interpret are counted and printed (`pytest -s`), never silently dropped.
"""
from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from nflint.frontends import nft_json
from nflint.matches import UnknownMatch
from nflint.statements import UnknownAction

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "nftables-tests"
DUMPS = sorted(CORPUS.rglob("*.json-nft")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not DUMPS, reason=f"nftables test-suite corpus not found at {CORPUS}")
def test_every_real_dump_reads_cleanly_and_completely():
    unknown: collections.Counter[str] = collections.Counter()
    rules_in = rules_out = 0
    for path in DUMPS:
        text = path.read_text(encoding="utf-8")
        c = nft_json.parse(text, str(path))
        assert not c.problems, (path, [(p.span.pointer, p.message) for p in c.problems])
        objects = json.loads(text)["nftables"]
        rules_in += sum(1 for o in objects if "rule" in o)
        kinds_in = collections.Counter(next(iter(o)) for o in objects)
        for t in c.tables:
            for ch in t.chains:
                for r in ch.rules:
                    rules_out += 1
                    unknown.update(f"match {m.text}" for m in r.matches
                                   if isinstance(m, UnknownMatch))
                    unknown.update(f"action {a.text}" for a in r.actions
                                   if isinstance(a, UnknownAction))
        tables_in = {(o["table"]["family"], o["table"]["name"]) for o in objects if "table" in o}
        assert tables_in <= {(t.family, t.name) for t in c.tables}, path
        named = sum(kinds_in[k] for k in ("set", "map"))
        assert sum(len(t.sets) for t in c.tables) == named, path
    assert rules_out == rules_in > 700
    print(f"\n{len(DUMPS)} dumps, {rules_out} rules, {sum(unknown.values())} unknown constructs")
    for text, n in unknown.most_common():
        print(f"  {n:4d}  {text}")
    assert sum(unknown.values()) == 0, unknown


@pytest.mark.skipif(not DUMPS, reason=f"nftables test-suite corpus not found at {CORPUS}")
def test_mutated_dumps_never_raise():
    """Bad input is reported, never a traceback: real dumps with values swapped for wrong types,
    keys dropped and the text cut short."""
    import random

    rng = random.Random(7)
    odd_values = (None, True, -1, 1.5, "", "@", [], {}, [1, "x"], {"x": {"y": []}})

    def mutate(node):
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            if rng.random() < 0.2:
                del node[key]
            elif rng.random() < 0.5:
                node[key] = rng.choice(odd_values)
            else:
                mutate(node[key])
        elif isinstance(node, list) and node:
            mutate(rng.choice(node))

    for path in DUMPS[::7]:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for _ in range(3):
            if doc["nftables"]:
                mutate(rng.choice(doc["nftables"]))
        text = json.dumps(doc)
        for variant in (text, text[: rng.randrange(1, len(text))]):
            c = nft_json.parse(variant, str(path))
            assert all(p.code in ("NF001", "NF003") for p in c.problems)
        # the mapper alone (no schema in front of it) must cope with the same objects
        c = nft_json.contribution_from_objects(doc["nftables"], str(path), validate=False)
        assert all(p.code in ("NF001", "NF003") for p in c.problems)
