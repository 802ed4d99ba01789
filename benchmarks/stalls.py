"""How long the event loop stood still while some work ran: the one measure the
benchmarks share (run, sync, conferences, memory). A module of its own, on the standard
library only, so a process measuring one file (benchmarks.memory's) need not import the
whole benchmark and the bot with it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def longest_stall(work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(seconds the work took, longest gap between two 1 ms ticks of the event loop)."""
    worst = 0.0
    done = False

    async def ticker() -> None:
        nonlocal worst
        loop = asyncio.get_running_loop()
        while not done:
            before = loop.time()
            await asyncio.sleep(0.001)
            worst = max(worst, loop.time() - before - 0.001)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    done = True
    await tick
    return elapsed, worst
