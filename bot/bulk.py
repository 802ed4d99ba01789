"""Building a large program allocates millions of small objects, and each few hundred
allocations would make Python's cycle collector walk everything alive: at 10,000 talks
that walking cost a fifth of the load. Program data holds no reference cycles (frozen
dataclasses, tuples, strings), so reference counting frees it all the same, and the
collector can rest until the building is done."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cycle collector for the block; restore it as it was (so a caller that
    paused it already, or a nested use, is left alone)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
