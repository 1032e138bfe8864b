"""Fixtures of the kernel lab: skip cleanly where namespaces cannot be made, clean up always.

Tests elsewhere get the same fixtures with ``from tests.kernel.conftest import lab`` (pytest
picks up imported fixtures), and must carry ``@pytest.mark.kernel`` themselves.
"""

from __future__ import annotations

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


@pytest.fixture
def seed_host(lab):
    """Build the first seed's host: ``seed_host(Variant(...))`` -> seed000.Seed000."""
    def make(variant: Variant = Variant()):
        return build(lab, variant)
    return make
