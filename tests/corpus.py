"""Where tests find the shared seeds and corpus (read in place, never copied into the project).

They live beside the checkout (/work/shared from /work/main); a test that needs one skips with
the path it looked at, so a checkout without them still runs the rest of the suite.
"""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus"
SEED000 = "000_990cc48805765ece.txt"
SEED002 = "002_7b9a9f63f3796084.txt"


def seed_text(name: str) -> str:
    """The whole text of a seed thread; skips the calling test when the seed is absent."""
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"seed not available at {path}")
    return path.read_text()


def block_at(text: str, start: str, end: str = "```") -> tuple[str, int]:
    """The part of ``text`` from the first ``start`` up to the next ``end`` (a code fence by
    default), and the number of lines before it, so spans point into the whole text."""
    first = text.index(start)
    return text[first:text.index(end, first)], text[:first].count("\n")
