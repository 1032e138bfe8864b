"""Fixtures of the kernel lab: skip cleanly where namespaces cannot be made, clean up always.

Tests elsewhere get the same fixtures with ``from tests.kernel.conftest import lab`` (pytest
picks up imported fixtures), and must carry ``@pytest.mark.kernel`` themselves.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from nflint import api

from .lab import Lab, Netns, unavailable_reason
from .seed000 import Variant, build


def pytest_collection_modifyitems(config, items):
    """A test that uses the lab is a kernel test, marked so that ``-m "not kernel"`` skips it."""
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kernel)


@pytest.fixture
def lab():
    """A fresh Lab; skipped (with the reason) when not root, tools missing or no netns."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with Lab() as the_lab:
        yield the_lab


def require(*tools: str) -> None:
    """Skip the calling test unless every tool is on PATH."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH")


def nflint_on_dumps(ns: Netns, files: dict[str, str], select: tuple[str, ...] = (), *,
                    bundle: bool = False) -> list:
    """nflint's diagnostics on a namespace's dumps, handed over as a user would: each dump in
    the file ``files`` names for its command, or all of them pasted as one bundle.

    ``select`` limits the run to those codes; the caller asserts what it expects.
    """
    with tempfile.TemporaryDirectory(prefix="nflint-kernel-") as tmp:
        if bundle:
            Path(tmp, "paste.txt").write_text(ns.capture_bundle())
        else:
            dumps = ns.capture()
            for cmd, name in files.items():
                if cmd in dumps:
                    Path(tmp, name).write_text(dumps[cmd])
        selection = api.Selection(select=select) if select else None
        reports = api.check_paths([tmp], selection=selection)
    return [d for r in reports for d in r.diagnostics]


def print_agreement(rows: list[tuple[str, ...]], header: tuple[str, ...],
                    widths: tuple[int, ...]) -> None:
    """Print nflint's verdicts beside the kernel's (seen with ``-s``): the first column as wide
    as its longest entry, the next ones ``widths`` wide."""
    if not rows:
        return
    first = max(len(r[0]) for r in (header, *rows))
    print()
    for row in (header, *rows):
        print(" ".join(cell.ljust(w) for cell, w in zip(row, (first, *widths, 0))).rstrip())


@pytest.fixture
def seed_host(lab):
    """Build the first seed's host: ``seed_host(Variant(...))`` -> seed000.Seed000."""
    if not os.path.isdir("/proc/sys/net/bridge"):
        pytest.skip("br_netfilter is not loaded (the lab loads no modules: modprobe br_netfilter)")

    def make(variant: Variant = Variant(), tag: str = ""):
        if variant.backend.startswith("iptables-"):
            require(variant.backend + "-restore", variant.backend + "-save")
        return build(lab, variant, tag)
    return make
