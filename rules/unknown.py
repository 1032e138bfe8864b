"""Report what the analysis could not use, so nobody trusts a silence that comes from a gap."""
from __future__ import annotations

from collections import defaultdict

from nflint.diagnostics import Related, Severity
from nflint.lintrule import LintRule, iter_rules
from nflint.matches import UnknownMatch
from nflint.statements import UnknownAction

from . import rule_index

MAX_RELATED = 10


class UnknownConstruct(LintRule):
    """A match or action that parsed but that nflint cannot interpret.

    What it does:
        Reports, once per kind of construct, every match module, target or nft expression that
        the frontends kept as unknown, with how many rules use it and where.

    Why it matters:
        The packet-path engine treats an unknown match as "may match" and an unknown action as
        having no effect on the path, so findings that depend on those rules are less certain.
        Seeing the list tells you exactly what the analysis could not use.

    Example:
        ```
        -A INPUT -m foo --foo-bar 1 -j ACCEPT
        ```

    Use instead:
        Nothing to change in the firewall. Report the construct to nflint (with this output) so
        it can be modelled; meanwhile read the related findings with that gap in mind.

    Fix:
        None needed on the host.

    References:
        - nflint docs: "What nflint cannot see"
    """

    code = "NF002"
    name = "unknown-construct"
    severity = Severity.INFO

    def check(self, host):
        if not rule_index.uses_type(host, UnknownMatch, UnknownAction):
            return  # the usual case: every construct was understood
        seen: dict[str, list] = defaultdict(list)
        for table, chain, rule in iter_rules(host):
            for m in rule.matches:
                if isinstance(m, UnknownMatch):
                    seen[f"match {m.module or m.text.split()[0] if m.text else '?'}"].append(
                        (rule, m.text))
            for a in rule.actions:
                if isinstance(a, UnknownAction):
                    seen[f"action {a.name or a.text.split()[0] if a.text else '?'}"].append(
                        (rule, a.text))
        for kind, uses in sorted(seen.items()):
            first_rule, text = uses[0]
            related = tuple(Related(r.span, f"also here: {t}") for r, t in uses[1:MAX_RELATED + 1])
            more = f" (showing {MAX_RELATED})" if len(uses) > MAX_RELATED + 1 else ""
            yield self.diagnostic(
                f"nflint cannot interpret {kind} ({text!r}), used in {len(uses)} rule(s){more}; "
                f"the engine treats it as 'may match'",
                first_rule.span, related=related, key=(kind,))
