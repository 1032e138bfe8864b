"""Keeping CPython's cyclic garbage collector away from a model while it is built.

A big dump becomes millions of small objects that hold no reference cycles. Every generation-0
collection during the build walks the young ones, and every full collection later walks them
all again (≈0.3 s each at 100k rules), only to find no garbage. So the build runs with the
collector paused, and a big model is frozen (moved out of the collector's sight) before it is
resumed."""
from __future__ import annotations

import gc
from contextlib import contextmanager

BIG_INPUT = 1 << 20  # characters of input text above which a model is worth freezing


@contextmanager
def gc_paused(*, freeze: bool = False):
    """The collector off inside; `freeze`: what was built stays out of its sight afterwards.
    Nests: an inner pause leaves the collector as the outer one set it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was:
            gc.enable()
