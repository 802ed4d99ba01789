"""Building a large program allocates millions of small objects, and each few hundred
allocations would make Python's cycle collector walk everything alive: at 10,000 talks
that walking cost a fifth of the load. Program data holds no reference cycles (frozen
dataclasses, tuples, strings), so reference counting frees it all the same, and the
collector can rest until the building is done.

A new version of a followed program is built in a worker thread while the event loop
serves, and the two take turns at the GIL (see favour_the_loop)."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cycle collector for the block; restore it as it was (so a caller that
    paused it already, or a nested use, is left alone).

    What was built is then moved out of the collector's sight (gc.freeze): it lives as
    long as its version, and the first collection after the build would otherwise walk
    all of it in one C call, holding the GIL for tens of milliseconds. Young garbage is
    collected first, so little is frozen that should have been freed."""
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


LOOP_TURN = 0.001  # seconds a thread may hold the GIL while another waits (Python's is 0.005)


def favour_the_loop() -> None:
    """Hand the GIL over more often. Each time a command's lookup calls into C that lets
    go of the GIL (numpy, rapidfuzz), a building worker takes it and keeps it for a whole
    switch interval: at Python's 5 ms a 1 ms lookup took up to 55 ms during a sync of
    10,000 talks, at 1 ms it takes at most about 25 ms (python -m benchmarks.sync)."""
    sys.setswitchinterval(LOOP_TURN)
