"""Inline suppressions in rule and chain comments and `# nflint: ignore-file` lines, and the
audit of suppressions without a reason (NF006) or without effect (NF007)."""
from __future__ import annotations

import json

import pytest

from ci_model import SHADOWED, report
from nflint import api, frontends
from nflint.host import HostBuilder
from nflint.suppressions import parse_directive

SHADOW_LINE = "-A INPUT -s 192.0.2.7/32 -j DROP"


def _commented(comment: str) -> str:
    return SHADOWED.replace(SHADOW_LINE, SHADOW_LINE.replace(
        " -j DROP", f' -m comment --comment "{comment}" -j DROP'))


def _codes(r) -> list[str]:
    return sorted(d.code for d in r.diagnostics)


@pytest.mark.parametrize("text, expected", [
    ("nflint: ignore NF202 kept for the VPN", ("ignore", ("NF202",), "kept for the VPN")),
    ("allow lan; nflint: ignore NF202,NF201 legacy", ("ignore", ("NF202", "NF201"), "legacy")),
    ("nflint: ignore unreachable-rule old box", ("ignore", ("unreachable-rule",), "old box")),
    ("nflint:ignore=NF202 -- why", ("ignore", ("NF202",), "why")),
    ("nflint: ignore NF202", ("ignore", ("NF202",), "")),
    ("nflint: ignore-file NF001 NF202 old dump", ("ignore-file", ("NF001", "NF202"), "old dump")),
    ("NFLINT: IGNORE nf202 shouting", ("ignore", ("NF202",), "shouting")),
    ("just a comment", None),
])
def test_parse_directive(text, expected):
    assert parse_directive(text, lambda w: w == "unreachable-rule") == expected


def test_rule_comment_suppresses_by_code_and_by_name():
    for token in ("NF202", "unreachable-rule"):
        r = report(_commented(f"nflint: ignore {token} kept on purpose"))
        assert "NF202" not in _codes(r)
        [s] = r.suppressed
        assert s.diagnostic.code == "NF202" and s.justification == "kept on purpose"
        assert s.kind == "inSource"


def test_suppression_only_covers_its_own_rule():
    text = _commented("nflint: ignore NF201 wrong rule for this")
    r = report(text)
    assert _codes(r).count("NF201") == 1  # the FORWARD jump is still reported
    assert "NF202" in _codes(r)
    nf007 = [d for d in r.diagnostics if d.code == "NF007"]
    assert len(nf007) == 1 and "NF201" in nf007[0].message and nf007[0].span.line == 6


def test_missing_reason_still_suppresses_but_is_reported():
    r = report(_commented("nflint: ignore NF202"))
    assert "NF202" not in _codes(r)
    [nf006] = [d for d in r.diagnostics if d.code == "NF006"]
    assert nf006.name == "suppression-without-reason" and nf006.span.line == 6


def test_unknown_rule_name_is_reported():
    r = report(_commented("nflint: ignore unreachable-rules typo in the name"))
    assert "NF202" in _codes(r)
    assert any(d.code == "NF007" and "not a known rule" in d.message for d in r.diagnostics)


def test_directive_for_a_rule_that_does_not_run_is_not_unused():
    sel = api.Selection(ignore=("NF202",))
    r = report(_commented("nflint: ignore NF202 waiting for the cleanup"), selection=sel)
    assert "NF007" not in _codes(r)


def test_ignore_file_line_in_a_hand_kept_file():
    text = "# nflint: ignore-file NF201 DOCKER-USER is created by docker at boot\n" + SHADOWED
    r = report(text)
    assert "NF201" not in _codes(r) and "NF202" in _codes(r)
    assert [s.diagnostic.code for s in r.suppressed] == ["NF201"]
    r = report("# nflint: ignore-file NF003 nothing to hide\n" + SHADOWED)
    assert any(d.code == "NF007" and d.span.line == 1 for d in r.diagnostics)


def test_no_inline_suppressions_reports_everything():
    text = _commented("nflint: ignore NF202 kept")
    r = report(text, selection=api.Selection(inline_suppressions=False))
    assert "NF202" in _codes(r) and not r.suppressed


def test_audit_codes_are_selectable_and_re_levelled():
    text = _commented("nflint: ignore NF202")
    assert "NF006" not in _codes(report(text, selection=api.Selection(ignore=("NF006",))))
    r = report(text, selection=api.Selection(severity={"NF006": "error"}))
    assert {str(d.severity) for d in r.diagnostics if d.code == "NF006"} == {"error"}


def _nft_json(chain_comment: str | None, rule_comment: str | None) -> str:
    chain = {"family": "inet", "table": "fw", "name": "input", "handle": 1, "type": "filter",
             "hook": "input", "prio": 0, "policy": "accept"}
    if chain_comment:
        chain["comment"] = chain_comment

    def rule(handle, right, verdict, comment=None):
        r = {"family": "inet", "table": "fw", "chain": "input", "handle": handle,
             "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip",
                                                                  "field": "saddr"}},
                                 "right": right}}, {verdict: None}]}
        if comment:
            r["comment"] = comment
        return {"rule": r}

    doc = {"nftables": [{"metainfo": {"json_schema_version": 1}},
                        {"table": {"family": "inet", "name": "fw", "handle": 1}},
                        {"chain": chain},
                        rule(2, {"prefix": {"addr": "192.0.2.0", "len": 24}}, "accept"),
                        rule(3, "192.0.2.7", "drop", rule_comment),
                        rule(4, "192.0.2.8", "drop")]}
    return json.dumps(doc, indent=1)


def _nft_report(text: str) -> api.HostReport:
    b = HostBuilder()
    b.add(frontends.get("nft-json")(text, "ruleset.json"))
    return api.check_host(b.build(), b.problems)


def test_nft_rule_comment_and_chain_comment():
    base = _nft_report(_nft_json(None, None))
    assert _codes(base).count("NF202") == 2
    r = _nft_report(_nft_json(None, "nflint: ignore NF202 rule-level reason"))
    assert _codes(r).count("NF202") == 1 and len(r.suppressed) == 1
    r = _nft_report(_nft_json("nflint: ignore unreachable-rule whole chain", None))
    assert "NF202" not in _codes(r) and len(r.suppressed) == 2


NFT_TEXT = """\
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr 192.0.2.0/24 accept
		ip saddr 192.0.2.7 drop comment "nflint: ignore NF202 retired host, see OPS-42"
		ip saddr 192.0.2.8 drop
	}
}
"""


def test_nft_text_rule_comment():
    b = HostBuilder()
    b.add(frontends.get("nft-text")(NFT_TEXT, "ruleset.nft"))
    if any(p.code == "NF001" for p in b.problems):
        pytest.skip("the nft text frontend cannot read this ruleset yet: "
                    + b.problems[0].message[:120])
    r = api.check_host(b.build(), b.problems)
    assert [d.span.line for d in r.diagnostics if d.code == "NF202"] == [6]
    assert [(s.diagnostic.span.line, s.justification) for s in r.suppressed] == [
        (5, "retired host, see OPS-42")]


def test_hash_comment_line_above_a_rule_is_reported_not_silently_ignored():
    text = SHADOWED.replace(SHADOW_LINE, "# nflint: ignore NF202 looks natural\n" + SHADOW_LINE)
    r = report(text)
    assert "NF202" in _codes(r) and not r.suppressed
    [nf007] = [d for d in r.diagnostics if d.code == "NF007"]
    assert nf007.span.line == 6 and "ignore-file" in nf007.message


def test_nft_text_chain_comment_covers_every_rule_of_the_chain():
    text = NFT_TEXT.replace("\tchain input {\n", '\tchain input {\n\t\tcomment "nflint: ignore '
                            'NF202 whole chain is generated"\n')
    b = HostBuilder()
    b.add(frontends.get("nft-text")(text, "ruleset.nft"))
    chain = b.build().tables[0].chains[0]
    if chain.comment is None:
        pytest.skip("the nft text frontend does not read chain comments yet")
    r = api.check_host(b.build(), b.problems)
    assert "NF202" not in _codes(r)
    assert sorted(s.diagnostic.span.line for s in r.suppressed) == [6, 7]
