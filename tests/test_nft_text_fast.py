"""The nft text fast path (nflint/frontends/nft_text_fast.py) reads every rule line it takes
exactly as the grammar does, and leaves to Lark every line it is unsure about.

Compared both ways: each rule statement on its own (fast result vs `Lark.parse(start="rule")`),
and whole listings (`read_objects` with and without the fast path: objects, spans, raw texts and
problems) on the shared corpus, the project's nft data, a generated kube-proxy listing and
tests/data/nft/fast-path-tricky.nft. Random word-level mutations of those lines check that the
fast path never accepts what Lark reads otherwise or rejects.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import random
from pathlib import Path

import pytest

from corpus import CORPUS
from nflint.frontends import nft_text
from nflint.frontends.nft_text_fast import words_of

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "nft"
TRICKY = DATA / "fast-path-tricky.nft"


def _corpus_listings() -> list[Path]:
    index = CORPUS / "INDEX.tsv"
    if not index.exists():
        return []
    with index.open(newline="") as f:
        return [CORPUS / row["path"] for row in csv.DictReader(f, delimiter="\t")
                if row["format"] == "nft-text"]


def _bench_module(name: str):
    """A script of bench/ as a module (its listing generators)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _kubeproxy_listing(rules: int) -> str:
    mod = _bench_module("gen_nft_text")
    return mod.listing(mod._json_generator().Dump(7).build(rules)["nftables"])


def _bench_listing(rules: int) -> str:
    return _bench_module("bench_nft_text").listing(rules)


def rule_texts(text: str, monkeypatch) -> list[str]:
    """The rule statements of a listing, as the reader hands them to the rule parser."""
    seen: list[str] = []
    real = nft_text._Reader._parse_rule

    def spy(self, rule_text):
        seen.append(rule_text)
        return real(self, rule_text)

    with monkeypatch.context() as m:
        m.setattr(nft_text._Reader, "_parse_rule", spy)
        nft_text.read_objects(text, "t.nft", fast=False)
    return seen


def lark_rule(text: str):
    res, _ = nft_text._try(text, "rule")
    return res


def assert_fast_is_lark(texts) -> int:
    """Every text the fast path takes gives Lark's result (same JSON, key order included);
    returns how many it took."""
    fast = nft_text._fast()
    took = 0
    for text in texts:
        got = fast.parse(text)
        if got is None:
            continue
        got = got[0]
        took += 1
        want = lark_rule(text)
        assert want is not None, f"fast path read a line the grammar rejects: {text!r}"
        assert json.dumps(got) == json.dumps(want), text
    return took


def assert_same_listing(text: str, source: str = "t.nft") -> None:
    fast = nft_text.read_objects(text, source)
    lark = nft_text.read_objects(text, source, fast=False)
    assert json.dumps(fast[0]) == json.dumps(lark[0]), source
    assert fast[1] == lark[1] and fast[2] == lark[2], source
    assert [(p.message, p.span) for p in fast[3]] == [(p.message, p.span) for p in lark[3]]


# ---------------------------------------------------------------- single statements

def test_tricky_lines_are_read_as_lark_reads_them(monkeypatch):
    texts = rule_texts(TRICKY.read_text(), monkeypatch)
    assert len(texts) > 150
    took = assert_fast_is_lark(texts)
    assert took > len(texts) // 2  # the fast path is really used


@pytest.mark.parametrize("line", [
    'meta mark set mark or 0x4000',
    'meta mark & 0x00004000 == 0x00000000 return',
    'numgen random mod 3 vmap { 0 : goto a, 1 : goto b, 2 : goto c }',
    'ip daddr 10.96.0.1 tcp dport 443 counter packets 1 bytes 2 goto svc comment "ns/s:p cluster IP"',
    'fib daddr type local ip daddr != 127.0.0.0/8 jump nodeports',
    'ct state established,related accept',
    'iifname != "docker0" meta l4proto tcp tcp dport 8080 dnat to 172.17.0.2:80',
    'ip saddr . tcp dport { 192.0.2.1 . 22, 198.51.100.0/24 . 80 } accept',
    'reject with icmpx type admin-prohibited',
    'icmp type echo-request limit rate 10/second burst 5 packets accept',
])
def test_common_lines_take_the_fast_path(line):
    got = nft_text._fast().parse(line)
    assert got is not None
    assert json.dumps(got[0]) == json.dumps(lark_rule(line))


@pytest.mark.parametrize("line", [
    'tcp flags syn / syn,ack accept',                # masked match
    'ct state established , related accept',         # a spaced flag list
    'ip saddr 192.0.2.1,accept',                     # a keyword inside a flag list
    'iifname "café" accept',                         # not plain ASCII
    'ip saddr\u00a0192.0.2.1 accept',                # a space Lark does not skip
    'tcp dport vmap { 22 : accept, 80 : drop, }',    # no trailing comma in a map
    'dnat to [2001:db8::1]:80',                      # bracketed address
    'limit rate 10/minute foo accept',               # an optional ATOM of limit
    'meta iifname mark accept',                      # keyword as value
    'ct direction original accept',
    'jump',
])
def test_unsure_lines_go_to_lark(line):
    assert nft_text._fast().parse(line) is None


# every slot the fast path reads a word in, with each grammar keyword put there
SLOTS = [
    "ip {K} 1 accept", "meta {K} 1 accept", "ct {K} 1 accept", "jump {K}", "goto {K}",
    "tcp dport vmap {{ 1 : goto {K} }}", "numgen {K} mod 2 vmap @x",
    "numgen random mod {K} vmap @x", "numgen random mod 2 offset {K} vmap @x",
    "counter packets {K} bytes 1", "counter packets 1 bytes {K}", "log level {K}", "log group {K}",
    "limit rate {K}", "limit rate {K} accept", "limit rate 1/second burst {K} packets",
    "limit rate 1/second burst 1 {K}", "meta mark & {K} == 1", "meta mark set {K}",
    "meta mark set mark or {K}", "ct state {K} accept", "ct state != {K}", "ct state {K},new",
    "ct state new,{K}", "tcp dport {{ {K} }}", "tcp dport {{ 1, {K} }}",
    "tcp dport {{ {K} . 1 }}", "tcp dport vmap {{ {K} : accept }}", "reject with icmp type {K}",
    "reject with icmp {K}", "reject with tcp {K}", "dnat to 192.0.2.1 {K}", "masquerade {K}",
    "snat {K}", "ip saddr . {K} daddr @s", "fib daddr . {K} type local", "fib daddr {K} local",
    "meta l4proto {K} accept", "{K}", "{K} accept", "accept {K}", "counter {K}", "log {K}",
    "meta mark set {K} accept", "ip saddr {K} . 1 @x", "comment \"x\" {K}",
]


def test_keywords_in_every_slot():
    """The contextual lexer reads a keyword as a keyword wherever the (LALR-merged) parser
    state accepts it: the fast path must agree in every slot it reads a word in."""
    keywords = sorted(k for k in nft_text._fast().keywords if k[0].isalpha())
    assert len(keywords) > 150
    texts = [slot.format(K=k) for slot in SLOTS for k in keywords]
    assert assert_fast_is_lark(texts) > 2000


def test_words_keep_strings_whole():
    assert words_of('comment "a # b; { c }" accept') == ["comment", '"a # b; { c }"', "accept"]
    assert words_of('iifname {"a","b"}') == ["iifname", "{", '"a"', ",", '"b"', "}"]
    assert words_of('comment "open') is None


def test_mutated_lines_never_diverge(monkeypatch):
    """Words dropped, repeated, swapped, glued or replaced by keywords and symbols: whatever the
    fast path still accepts, Lark reads the same way."""
    lines = rule_texts(TRICKY.read_text(), monkeypatch)
    lines += rule_texts(_kubeproxy_listing(200), monkeypatch)
    rng = random.Random(20261125)
    pool = ["accept", "{", "}", ",", ".", ":", "!=", "|", "or", "set", "vmap", "counter", "ip",
            "tcp", "meta", "mark", "ct", "state", "to", "jump", "@s", '"x"', "0x1", "1-2",
            "10.0.0.0/8", "random", "burst", "type", "with", "packets", "comment", "offset"]
    texts = []
    for _ in range(3000):
        words = words_of(rng.choice(lines)) or ["accept"]
        k = rng.randrange(len(words))
        op = rng.randrange(5)
        if op == 0 and len(words) > 1:
            del words[k]
        elif op == 1:
            words.insert(k, words[k])
        elif op == 2:
            j = rng.randrange(len(words))
            words[k], words[j] = words[j], words[k]
        elif op == 3 and k + 1 < len(words):
            words[k:k + 2] = [words[k] + rng.choice(["", ",", "."]) + words[k + 1]]
        else:
            words[k] = rng.choice(pool)
        texts.append(" ".join(words))
    assert assert_fast_is_lark(texts) > 300  # enough mutants still take the fast path


# ---------------------------------------------------------------- whole listings

def test_tricky_file_same_objects_both_ways():
    assert_same_listing(TRICKY.read_text(), str(TRICKY))


@pytest.mark.parametrize("path", sorted(DATA.rglob("*.nft")), ids=lambda p: p.name)
def test_project_listings_same_objects_both_ways(path):
    assert_same_listing(path.read_text(), str(path))


def test_generated_listings_same_objects_both_ways(monkeypatch):
    kp = _kubeproxy_listing(3000)
    assert_same_listing(kp, "kp.nft")
    assert_same_listing(_bench_listing(2000), "bench.nft")
    texts = rule_texts(kp, monkeypatch)
    assert assert_fast_is_lark(texts) == len(texts)  # kube-proxy's shapes: every line fast


def test_corpus_listings_same_objects_both_ways():
    paths = _corpus_listings()
    if not paths:
        pytest.skip(f"shared corpus not found at {CORPUS}")
    for path in paths:
        assert_same_listing(path.read_text(errors="replace"), str(path))


# ---------------------------------------------------------------- shape keys and the schema check

def _objects_and_keys(text: str):
    objs, spans, raws, problems, unread, keys = nft_text._read(text, "t.nft", 0, None)
    return objs, keys


def _listing_of(lines: list[str]) -> str:
    body = "\n".join(f"\t\t{line}" for line in lines)
    return f"table ip t {{\n\tchain c {{\n{body}\n\t}}\n}}\ntable inet u {{\n\tchain d {{\n{body}\n\t}}\n}}\n"


def test_one_shape_key_one_schema_verdict(monkeypatch):
    """Objects sharing a shape key are all valid or all invalid for the nft -j schema: the key
    lets `contribution_from_objects` check one object per shape."""
    from nflint.frontends import nft_json

    texts = [TRICKY.read_text(), _kubeproxy_listing(300)]
    texts += [p.read_text() for p in sorted(DATA.rglob("*.nft"))]
    lines = rule_texts(TRICKY.read_text(), monkeypatch)
    rng = random.Random(7)
    values = ["0", "00", "01", "7", "10", "0x1", "0xg", "1x", "x1", "1.5", "1-2", "0x1-0x2",
              "x-x", "1.2.3.4/24", "1.2.3.4", "::1", "12345678901234567890", "abc", '"s"']
    mutants = []
    for _ in range(1500):
        words = words_of(rng.choice(lines)) or ["accept"]
        k = rng.randrange(len(words))
        if words[k][0] in "0123456789\"" or rng.random() < 0.3:
            words[k] = rng.choice(values)
        mutants.append(" ".join(words))
    texts.append(_listing_of(mutants))
    validator = nft_json._validator()
    verdicts: dict = {}
    checked = 0
    for text in texts:
        for obj, key in zip(*_objects_and_keys(text)):
            if key is None:
                continue
            valid = not list(validator.iter_errors(obj))
            assert verdicts.setdefault(key, valid) == valid, (key, obj)
            checked += 1
    assert checked > 800
    assert False in verdicts.values() and True in verdicts.values()


def _every_object_checked(objs, source, spans, **options):
    from nflint.frontends import nft_json
    options.pop("shape_keys")
    return nft_json.contribution_from_objects(objs, source, spans, **options)


def test_shape_memo_changes_no_model(monkeypatch):
    """`parse` (schema check once per shape) == the same with the mapper checking every
    object."""
    from comparable import comparable_tables

    texts = [(TRICKY.read_text(), str(TRICKY)), (_kubeproxy_listing(2000), "kp.nft")]
    texts += [(p.read_text(errors="replace"), str(p)) for p in _corpus_listings()]
    ours = [nft_text.parse(t, s) for t, s in texts]
    monkeypatch.setattr(nft_text, "contribution_from_objects", _every_object_checked)
    for (text, source), c in zip(texts, ours):
        plain = nft_text.parse(text, source)
        assert comparable_tables(c.tables) == comparable_tables(plain.tables), source
        assert ([(p.message, p.span) for p in c.problems] ==
                [(p.message, p.span) for p in plain.problems]), source
