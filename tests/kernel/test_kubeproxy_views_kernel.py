"""kube-proxy's shapes (bench/gen_kubeproxy.py), loaded by the kernel and listed back the ways
users paste them: iptables-nft-save, `iptables -t T -L -n -v`, `nft list ruleset` and
`nft -j list ruleset`. Each form reads without a syntax error, the forms that carry whole rules
agree with iptables-save rule for rule, and all forms give the same findings, apart from what
nft cannot print (xt matches: NF002/NF003).

Two bugs this found: nft 1.0.9 prints `--or-mark` as `meta mark set mark or 0x4000` (NF001 in
every kube-proxy nft listing), and `iptables -L` prints a bare `-m tcp` as `tcp` (an unknown
match on every DNAT)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from nflint import api
from nflint.inputs import InputText
from nflint.matches import ModuleMatch, UnknownMatch
from nflint.statements import CounterAction

pytestmark = pytest.mark.kernel
ROOT = Path(__file__).resolve().parents[2]
NFT_CANNOT_PRINT = {"NF002", "NF003"}


def _generate(rules: int) -> str:
    spec = importlib.util.spec_from_file_location("gen_kubeproxy",
                                                  ROOT / "bench" / "gen_kubeproxy.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen.generate(rules)


@pytest.fixture(scope="module")
def views():
    from .lab import Lab, unavailable_reason
    reason = unavailable_reason(("ip", "nft", "iptables-nft", "iptables-nft-restore",
                                 "iptables-nft-save"))
    if reason:
        pytest.skip(reason)
    with Lab() as lab:
        ns = lab.netns("kp")
        ns.load_iptables(_generate(1500))
        listing = "".join(f"# iptables -t {t} -L -n -v\n" +
                          ns.run(["iptables-nft", "-t", t, "-L", "-n", "-v"]).stdout
                          for t in ("mangle", "filter", "nat"))
        return {"save": ns.run(["iptables-nft-save"]).stdout, "list": listing,
                "nft": ns.run(["nft", "list", "ruleset"]).stdout,
                "json": ns.run(["nft", "-j", "list", "ruleset"]).stdout}


def _report(views, form):
    (report,) = api.check_paths([InputText(f"kp.{form}", views[form])])
    return report


def _rules(report):
    return {(t.name, c.name): c.rules for t in report.host.tables
            if t.name in ("filter", "nat") for c in t.chains}


@pytest.mark.parametrize("form", ["save", "list", "nft", "json"])
def test_every_form_reads_without_syntax_errors(views, form):
    report = _report(views, form)
    bad = [d for d in report.diagnostics if d.code in ("NF001", "NF008", "NF009")]
    assert not bad, [f"{d.span}: {d.message}" for d in bad[:5]]
    assert len(_rules(report)) > 500


def _kinds(rule):
    """The rule's actions, without the counter iptables-nft puts on every nft rule."""
    return [type(a).__name__ for a in rule.actions if not isinstance(a, CounterAction)]


def _matches(rule):
    """The rule's matches; `recent`, which the listing prints as prose (`recent: SET name:
    ...`) that nflint keeps whole, compares by its module name."""
    return [m.module if isinstance(m, ModuleMatch) and m.module == "recent" else m
            for m in rule.matches]


@pytest.mark.parametrize("form", ["list", "nft"])
def test_forms_with_whole_rules_agree_with_iptables_save(views, form):
    save, other = _rules(_report(views, "save")), _rules(_report(views, form))
    assert other.keys() == save.keys()
    compared = 0
    for key, rules in save.items():
        assert len(other[key]) == len(rules), key
        for mine, theirs in zip(other[key], rules):
            assert _kinds(mine) == _kinds(theirs), (mine.raw, theirs.raw)
            if form == "list":  # the listing prints every match kube-proxy uses
                assert not [m for m in mine.matches if isinstance(m, UnknownMatch)], mine.raw
                assert _matches(mine) == _matches(theirs), (mine.raw, theirs.raw)
                compared += 1
    assert compared or form == "nft"


def test_every_form_gives_the_findings_of_iptables_save(views):
    codes = {form: {d.code for d in _report(views, form).diagnostics} - NFT_CANNOT_PRINT
             for form in ("save", "list", "nft", "json")}
    assert codes["list"] == codes["nft"] == codes["json"] == codes["save"], codes
