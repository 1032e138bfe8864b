"""Audits of inline suppressions; the suppression pass (nflint.suppressions) reports these."""
from __future__ import annotations

from nflint import suppressions
from nflint.diagnostics import Severity

from .input_problems import ReportedByFrontends


class SuppressionWithoutReason(ReportedByFrontends):
    """An inline suppression that does not say why.

    What it does:
        Reports `nflint: ignore CODE` directives (in an iptables `-m comment`, an nft rule or
        chain `comment`, or a `# nflint: ignore-file` line) with nothing after the codes.

    Why it matters:
        A suppression hides a finding from everyone who reads the report later. Without a
        reason nobody can tell an accepted risk from a silenced alarm, and nobody dares to
        remove it when the cause is gone.

    Example:
        ```
        -A FORWARD -i br-lan -j ACCEPT -m comment --comment "nflint: ignore NF202"
        ```

    Use instead:
        ```
        -A FORWARD -i br-lan -j ACCEPT -m comment --comment "nflint: ignore NF202 kept for the VPN failover, OPS-123"
        ```

    Fix:
        Write the reason after the codes, in the same comment.

    References:
        - docs/suppressions.md
        - hadolint DL1001, tflint `# tflint-ignore: rule # reason`
    """

    code = suppressions.NO_REASON[0]
    name = suppressions.NO_REASON[1]
    severity = suppressions.NO_REASON[2]


class UnusedSuppression(ReportedByFrontends):
    """An inline suppression that suppresses nothing.

    What it does:
        Reports each code or name of a directive that matched no finding on its rule, chain or
        file, names that are not rules at all, and `# nflint: ignore` lines in a file (only
        `ignore-file` works there: `iptables-save` drops `#` lines). Directives for rules
        that are switched off (`--ignore`, `select`) are not reported.

    Why it matters:
        A stale suppression silently waits for the next, possibly different, problem on that
        rule; a misspelt code never worked in the first place.

    Example:
        ```
        -A INPUT -s 192.0.2.0/24 -j ACCEPT -m comment --comment "nflint: ignore NF202 old"
        ```

    Use instead:
        ```
        -A INPUT -s 192.0.2.0/24 -j ACCEPT
        ```

    Fix:
        Remove the directive, or correct the code it names.

    References:
        - docs/suppressions.md
        - ruff RUF100 unused-noqa
    """

    code = suppressions.UNUSED[0]
    name = suppressions.UNUSED[1]
    severity = suppressions.UNUSED[2]
