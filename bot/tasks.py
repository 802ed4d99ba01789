"""Ending background tasks (followers, schedulers, the events window, indexing).

`task.cancel()` then `await task` inside `suppress(CancelledError)` also swallows a
cancellation of the one who waits: a stop awaited by a shutdown or by an event handler
that is itself cancelled would go on as if nothing happened, and a shutdown could wait
for it forever. `stopped` tells the two apart.
"""

from __future__ import annotations

import asyncio


async def ended(task: asyncio.Task[None]) -> None:
    """Wait for a task that was told to end; its own cancellation is its way of ending,
    the waiter's is passed on."""
    try:
        await task
    except asyncio.CancelledError:
        waiter = asyncio.current_task()
        if waiter is not None and waiter.cancelling():
            raise


async def stopped(task: asyncio.Task[None]) -> None:
    """Cancel a task and wait until it has ended."""
    task.cancel()
    await ended(task)
