"""Baselines: adopt nflint on a host with known problems and fail only on new ones.

Entries are content fingerprints (`Diagnostic.fingerprint`: code plus table, chain and the
rule's canonical text), never line numbers, so a re-ordered or re-saved dump still matches.
Fingerprints are counted: two identical findings need two entries.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .api import HostReport
from .diagnostics import Diagnostic
from .suppressions import Suppressed

FORMAT_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not an nflint baseline."""


@dataclass
class Baseline:
    counts: Counter = field(default_factory=Counter)

    @classmethod
    def from_diagnostics(cls, diags: list[Diagnostic]) -> "Baseline":
        return cls(Counter(d.fingerprint for d in diags))

    def __len__(self) -> int:
        return sum(self.counts.values())


def write(path: str | Path, reports: list[HostReport]) -> int:
    """Write every remaining finding of `reports`; returns how many entries were written."""
    entries = sorted((_entry(d) for r in reports for d in r.diagnostics),
                     key=lambda e: (e[0], json.dumps(e[2]), e[3]))
    doc = {
        "nflint-baseline": FORMAT_VERSION,
        "findings": [{"code": code, "name": name, "what": what, "fingerprint": fp}
                     for code, name, what, fp in entries],
    }
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return len(entries)


def _entry(d: Diagnostic) -> tuple[str, str, list[str] | str, str]:
    """What a reviewer reads in the file: the content identity, not the (line-bearing) message,
    so re-saving the same ruleset rewrites the same bytes."""
    return d.code, d.name, list(d.key) if d.key else d.message, d.fingerprint


def load(path: str | Path) -> Baseline:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"baseline {path} is not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("nflint-baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path} is not an nflint baseline (version {FORMAT_VERSION}); "
                            f"write one with `nflint check --write-baseline {path} ...`")
    findings = doc.get("findings")
    if not isinstance(findings, list) or not all(
            isinstance(f, dict) and isinstance(f.get("fingerprint"), str) for f in findings):
        raise BaselineError(f"baseline {path}: 'findings' must be a list of objects with a "
                            f"'fingerprint'")
    return Baseline(Counter(f["fingerprint"] for f in findings))


def apply(reports: list[HostReport], baseline: Baseline) -> int:
    """Move findings the baseline knows into each report's `suppressed`; returns how many."""
    left = Counter(baseline.counts)
    matched = 0
    for r in reports:
        kept = []
        for d in r.diagnostics:
            fp = d.fingerprint
            if left[fp] > 0:
                left[fp] -= 1
                matched += 1
                r.suppressed.append(Suppressed(d, "external", "in the baseline"))
            else:
                kept.append(d)
        r.diagnostics = kept
    return matched
