"""Findings: what a rule (or a frontend) reports, with the trace that proves it and the fix."""
from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

from .span import Span


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: expected error, warning or info") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Related:
    """One step of the evidence behind a finding (a rule on the packet's path, a sysctl, ...)."""

    span: Span
    message: str


@dataclass(frozen=True)
class Fix:
    """Commands that remove the cause, in the dialect of the input (iptables, nft, sysctl)."""

    description: str
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    # Content identity for baselines and SARIF partialFingerprints: never line numbers.
    key: tuple[str, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        material = "\x1f".join((self.code, *(self.key or (self.message,))))
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def to_json(self) -> dict:
        out = {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "location": self.span.to_json(),
            "related": [{"location": r.span.to_json(), "message": r.message} for r in self.related],
            "fix": None,
            "fingerprint": self.fingerprint,
        }
        if self.fix is not None:
            out["fix"] = {"description": self.fix.description, "commands": list(self.fix.commands)}
        return out

    def sort_key(self) -> tuple:
        return (self.span.source, self.span.line, self.span.column, self.code, self.message)
