"""Problems with the input itself. Frontends report these while reading; the classes exist so
that `nflint rules`, `nflint explain` and selection know them like any other rule."""
from __future__ import annotations

from nflint.diagnostics import Severity
from nflint.lintrule import LintRule


class ReportedByFrontends(LintRule):
    """Base for codes emitted while parsing: nothing to check on the finished model."""

    def check(self, host):
        return ()


class SyntaxErrorRule(ReportedByFrontends):
    """Input that could not be parsed; the rest of the input is still checked.

    What it does:
        Reports each line (or JSON object) that does not follow the grammar of its format, with
        file, line, column and what was expected there.

    Why it matters:
        What nflint could not read, it cannot check: a finding may be missing because the rule
        that causes it sits on a garbled line.

    Example:
        ```
        -A INPUT -p tcp --dport "unterminated -j ACCEPT
        ```

    Use instead:
        ```
        -A INPUT -p tcp --dport 22 -j ACCEPT
        ```

    Fix:
        Paste the command's output unmodified (no hand annotations, no lost lines), or collect it
        with `nflint collect`.

    References:
        - iptables-save(8), nft(8) LISTING, libnftables-json(5)
    """

    code = "NF001"
    name = "syntax-error"
    severity = Severity.ERROR


class XtCompatRules(ReportedByFrontends):
    """nft listings of iptables-nft tables that hide match parameters behind `xt` objects.

    What it does:
        Reports, once per input, the tables of an `nft list ruleset` / `nft -j list ruleset` dump
        whose rules were written by iptables-nft and show matches or targets as bare `xt`
        compat expressions without their parameters.

    Why it matters:
        nft cannot print those parameters (a 3,802-rule Docker/kube-proxy dump held 6,140 such
        objects), so nflint treats them as "may match" and findings about those tables are
        uncertain.

    Example:
        ```
        table ip filter { chain FORWARD { xt match "conntrack" counter accept } }
        ```

    Use instead:
        Give nflint `iptables-save` (and `ip6tables-save`) output for those tables as well; its
        view of the same tables replaces the nft one, without double counting.

    Fix:
        `iptables-save > iptables.txt; ip6tables-save >> iptables.txt` and check both files.

    References:
        - nftables wiki: "Moving from iptables to nftables" (xt compat)
    """

    code = "NF003"
    name = "xt-compat-rules"
    severity = Severity.WARNING
