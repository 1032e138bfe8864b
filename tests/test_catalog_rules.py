"""Catalog rules whose findings carry their own severity, and the configuration that still
overrides it."""
from __future__ import annotations

from nflint import api
from nflint.diagnostics import Severity


def _nf109(tmp_path, count, cmax, selection=None):
    f = tmp_path / "sysctl.conf"
    f.write_text(f"net.netfilter.nf_conntrack_count = {count}\n"
                 f"net.netfilter.nf_conntrack_max = {cmax}\n")
    reports = api.check_paths([str(f)], selection=selection)
    return [d for r in reports for d in r.diagnostics if d.code == "NF109"]


def test_conntrack_fill_grades_severity(tmp_path):
    assert not _nf109(tmp_path, 700, 1000)
    [warn] = _nf109(tmp_path, 850, 1000)
    assert warn.severity == Severity.WARNING and "85%" in warn.message
    [err] = _nf109(tmp_path, 990, 1000)
    assert err.severity == Severity.ERROR
    assert err.related and "nf_conntrack_max" in err.related[0].message


def test_configured_severity_still_wins(tmp_path):
    sel = api.Selection(severity={"conntrack-table-near-full": "info"})
    [d] = _nf109(tmp_path, 990, 1000, sel)
    assert d.severity == Severity.INFO


def test_native_iptables_named_table_is_a_warning(tmp_path):
    f = tmp_path / "ruleset.nft"
    f.write_text("table ip filter {\n\tchain input {\n\t\ttype filter hook input priority "
                 "filter; policy accept;\n\t}\n}\n")
    found = [d for r in api.check_paths([str(f)]) for d in r.diagnostics if d.code == "NF203"]
    assert [d.severity for d in found] == [Severity.WARNING]
