"""Fixtures of the kernel lab: skip cleanly where namespaces cannot be made, clean up always.

Tests elsewhere get the same fixtures with ``from tests.kernel.conftest import lab`` (pytest
picks up imported fixtures), and must carry ``@pytest.mark.kernel`` themselves.
"""

from __future__ import annotations

import os
import shutil

import pytest

from .lab import Lab, unavailable_reason
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
        pytest.skip(f"needs {', '.join(missing)}")


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
