"""Building a large program allocates millions of small objects, and each few hundred
allocations would make Python's cycle collector walk everything alive: at 10,000 talks
that walking cost a fifth of the load. Program data holds no reference cycles (frozen
dataclasses, tuples, strings), so reference counting frees it all the same, and the
collector can rest until the building is done.

A new version of a followed program is built in a worker thread while the event loop
serves, and the two take turns at the GIL (see favour_the_loop)."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys
import threading
from collections.abc import Callable, Iterator


class _Pauses:
    """Who is inside collector_paused, across threads. The collector is one per
    process, and builds run at once in worker threads (two servers' adds, a sync, an
    index, a calendar): when each restored the collector as it found it, the first to
    finish turned it back on while another was still building, and the collector then
    walked that build's millions of objects in single C calls of up to 226 ms, stalling
    the event loop (python -m benchmarks.memory, 'beside'). So the collector rests
    until the last build is done. One per process, as the collector is.

    And one build computes at a time: with two worker threads building, the event loop
    waits for the GIL behind both (a waiting thread that is not the loop's may take it
    each time it is handed over), and a 20,000-event schedule.xml read beside another
    stalled the loop for up to 304 ms; beside one thread, it waits 20-30 ms at most. The
    GIL is one per process too, so the turn is."""

    def __init__(self) -> None:
        self.turn = threading.RLock()  # reentrant: a build may read, a read may build
        self.lock = threading.Lock()
        self.inside = 0  # blocks underway, in any thread
        self.resume = False  # whether the collector ran before the first of them


_PAUSES = _Pauses()


@contextlib.contextmanager
def bulk_build() -> Iterator[None]:
    """A block that builds much in a worker thread (reading a program, its indexes, a
    calendar): it waits for its turn (one at a time, see _Pauses), with the cycle
    collector paused (collector_paused). Never on the event loop's thread: waiting for
    the turn there would stand the whole bot still behind another build."""
    with _PAUSES.turn, collector_paused():
        yield


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block, and until every other thread's paused
    block is done too; then restore it as the first of them found it (so a caller
    that disabled it already is left alone). Usable on the event loop, across awaits
    (a program's rows are written so), as it waits for nothing but a short lock.

    What was built is then moved out of the collector's sight (gc.freeze): it lives as
    long as its version, and the first collection after the build would otherwise walk
    all of it in one C call, holding the GIL for tens of milliseconds. Young garbage is
    collected first, so little is frozen that should have been freed."""
    if gc.isenabled():
        gc.collect(1)  # outside the lock: a finalizer it runs may build, and pause
    with _PAUSES.lock:
        if _PAUSES.inside == 0:
            _PAUSES.resume = gc.isenabled()
            gc.disable()
        _PAUSES.inside += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.inside -= 1
            if _PAUSES.inside == 0 and _PAUSES.resume:
                gc.freeze()
                gc.enable()


LOOP_TURN = 0.001  # seconds a thread may hold the GIL while another waits (Python's is 0.005)


# glibc's mallopt parameter, and how much freed memory the heap may keep at its top.
M_TRIM_THRESHOLD = -1
KEEP_FREED = 512 << 20  # the readers' peaks are 42-219 MB (python -m benchmarks.memory)


def favour_the_loop(load: Callable[[str | None], ctypes.CDLL] = ctypes.CDLL) -> None:
    """Let the event loop's thread run while a worker builds.

    Hand the GIL over more often. Each time a command's lookup calls into C that lets
    go of the GIL (numpy, rapidfuzz), a building worker takes it and keeps it for a whole
    switch interval: at Python's 5 ms a 1 ms lookup took up to 55 ms during a sync of
    10,000 talks, at 1 ms it takes at most about 25 ms (python -m benchmarks.sync).

    And keep freed memory rather than give it back at once. glibc returns the top of its
    heap to the kernel whenever 128 KB of it lie free, under the process's memory-map
    lock; a building worker frees all the time, and the loop's thread, faulting in a
    page meanwhile, waits for that lock: reading a 20,000-event schedule.xml stalled the
    loop 49-572 ms, with up to 512 MB kept 19-29 ms. (`load` finds the C library; a
    system without glibc's mallopt keeps its own allocator's ways.)"""
    sys.setswitchinterval(LOOP_TURN)
    try:
        mallopt = load(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_TRIM_THRESHOLD, KEEP_FREED)
