"""Problems of nflint itself (plugins, rules): reported, never fatal, documented like rules."""
from __future__ import annotations

from nflint.diagnostics import Severity

from .input_problems import ReportedByFrontends


class BrokenPlugin(ReportedByFrontends):
    """A rule plugin that could not be loaded.

    What it does:
        Reports entry points in the `nflint.rules` group that fail to import, that are neither
        a rule class nor a module of rules, or that reuse another rule's code.

    Why it matters:
        The rules of that plugin did not run, so their findings are missing from this report.

    Example:
        ```
        [project.entry-points."nflint.rules"]
        NF901 = "my_rules:MissingClass"
        ```

    Use instead:
        ```
        [project.entry-points."nflint.rules"]
        NF901 = "my_rules:MyRule"
        ```

    Fix:
        Reinstall or fix the plugin named in the message.

    References:
        - README, "Writing a rule plugin"
    """

    code = "NF004"
    name = "broken-plugin"
    severity = Severity.WARNING


class RuleCrashed(ReportedByFrontends):
    """A rule raised an exception; its findings are missing, the others are not.

    What it does:
        Catches the exception of one rule and reports it with where it happened.

    Why it matters:
        A silent crash would look like a clean result.

    Example:
        A rule that does not expect a chain without rules.

    Use instead:
        A fixed nflint: please report the message with `nflint parse` output.

    Fix:
        Report it; use `--ignore CODE` to silence the rule meanwhile.

    References:
        - README, "Writing a rule plugin"
    """

    code = "NF005"
    name = "rule-crashed"
    severity = Severity.WARNING


class FrontendCrashed(ReportedByFrontends):
    """A frontend failed on one section of the input; that section is missing from the model.

    What it does:
        Catches an exception raised while one section (one dump in a paste) was being read and
        reports the section's line range and where the failure happened.

    Why it matters:
        Everything that section describes (a table, sysctls, interfaces) is absent, so findings
        that depend on it are missing or rest on assumptions instead.

    Example:
        A dump in a format variant nflint has never seen.

    Use instead:
        A fixed nflint: please report the message with the section's text.

    Fix:
        Report it; meanwhile pass that dump as its own file, or in its canonical form
        (`iptables-save` rather than a listing, `nft -j list ruleset` rather than text).

    References:
        - README, "Usage" (`nflint check --show-sections`)
    """

    code = "NF008"
    name = "frontend-crashed"
    severity = Severity.WARNING
