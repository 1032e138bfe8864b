"""nftables' own test dumps: the same ruleset as `nft list ruleset` text and as `nft -j` JSON.

The text frontend must rewrite each listing into exactly the objects nft -j printed (proving
the grammar and the rewrite independently of the JSON mapper), and both must give one model.
Reads the shared corpus in place; skips when it is absent.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from comparable import comparable_nft_objects, comparable_tables
from corpus import CORPUS as SHARED_CORPUS
from nflint.frontends import nft_text

CORPUS = SHARED_CORPUS / "nftables-tests"
PAIRS = sorted(p for p in CORPUS.glob("*/dumps/*.nft") if p.with_suffix(".json-nft").exists())


def json_objects(path: Path) -> list:
    return comparable_nft_objects(json.loads(path.read_text())["nftables"])


def text_objects(path: Path) -> tuple[list, list]:
    objs, _, _, problems = nft_text.read_objects(path.read_text(), str(path))
    return comparable_nft_objects(objs), problems


def first_difference(a: list, b: list) -> str | None:
    if len(a) != len(b):
        return f"{len(a)} objects from text, {len(b)} in JSON"
    for x, y in zip(a, b):
        if x != y:
            return f"text: {json.dumps(x)[:400]}\njson: {json.dumps(y)[:400]}"
    return None


# Pairs where the JSON side shows less than the text, by nft's own JSON printer: kept visible
# (strict xfail turns into a failure the day they agree).
KNOWN = {
    "sets/dumps/0060set_multistmt_0.nft": "nft -j prints one stateful statement per element",
    "sets/dumps/0060set_multistmt_1.nft": "nft -j prints one stateful statement per element",
    "nft-f/dumps/0025empty_dynset_0.nft": "nft -j prints one stateful statement per element",
    "packetpath/dumps/set_lookups.nft": "nft -j prints an unknown iface_index as a string",
}


def _known(path: Path) -> None:
    reason = KNOWN.get(str(path.relative_to(CORPUS)))
    if reason:
        pytest.xfail(reason)


def _ids():
    return [str(p.relative_to(CORPUS)) for p in PAIRS]


@pytest.mark.skipif(not PAIRS, reason=f"nftables test dumps not found under {CORPUS}")
@pytest.mark.parametrize("path", PAIRS, ids=_ids())
def test_text_gives_the_json_objects(path: Path):
    try:
        expected = json_objects(path.with_suffix(".json-nft"))
    except (ValueError, KeyError) as e:
        pytest.skip(f"JSON side unreadable: {e}")
    got, problems = text_objects(path)
    if first_difference(got, expected):
        _known(path)
    assert not [p.message for p in problems if p.severity >= 3]
    diff = first_difference(got, expected)
    assert diff is None, diff


@pytest.mark.skipif(not PAIRS, reason=f"nftables test dumps not found under {CORPUS}")
@pytest.mark.parametrize("path", PAIRS, ids=_ids())
def test_text_and_json_give_one_model(path: Path):
    nft_json = pytest.importorskip("nflint.frontends.nft_json")
    jtext = path.with_suffix(".json-nft").read_text()
    try:
        json.loads(jtext)
    except ValueError as e:
        pytest.skip(f"JSON side unreadable: {e}")
    from_json = nft_json.parse(jtext, "dump.json")
    from_text = nft_text.parse(path.read_text(), "dump.nft")
    if comparable_tables(from_text.tables) != comparable_tables(from_json.tables):
        _known(path)
    assert comparable_tables(from_text.tables) == comparable_tables(from_json.tables)
