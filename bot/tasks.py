"""Ending background tasks (followers, schedulers, the events window, indexing).

`task.cancel()` then `await task` inside `suppress(CancelledError)` also swallows a
cancellation of the one who waits: a stop awaited by a shutdown or by an event handler
that is itself cancelled would go on as if nothing happened, and a shutdown could wait
for it forever. `stopped` tells the two apart.

A loop that sleeps until woken or a timeout uses `woken`, never `asyncio.wait_for` on the
event: on Python 3.11, wait_for returns the result of a wait that ended just as it was
cancelled, swallowing the cancellation, and a stop then waits out a whole interval more.

Work a shutdown must not wait for (building search indexes) runs `in_daemon_thread`:
cancelling an `asyncio.to_thread` only stops the waiting, and the thread it started is
joined twice on the way out (by asyncio.run's default-executor shutdown, then by
concurrent.futures at interpreter exit), so a stop would still wait for the work to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def ended(task: asyncio.Task[Any]) -> None:
    """Wait for a task that was told to end; its own cancellation is its way of ending,
    the waiter's is passed on."""
    try:
        await task
    except asyncio.CancelledError:
        waiter = asyncio.current_task()
        if waiter is not None and waiter.cancelling():
            raise


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; True if it was set. A
    cancellation always propagates, even one arriving as the event is set."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def on_every_wake(event: asyncio.Event, work: Callable[[], Awaitable[object]]) -> None:
    """Run `work` each time `event` is set, for ever (a Background's loop): wakes that come
    while it runs fold into one more run. A failure is the work's own to log; the next
    wake tries again. A cancellation always propagates."""
    while True:
        await event.wait()
        event.clear()
        with contextlib.suppress(Exception):
            await work()


async def stopped(task: asyncio.Task[Any]) -> None:
    """Cancel a task and wait until it has ended."""
    task.cancel()
    await ended(task)


def in_daemon_thread(work: Callable[[], T], name: str) -> asyncio.Future[T]:
    """`work()` in a daemon thread of its own; the future settles on the event loop when
    it ends. Awaiting it never blocks the loop, and nothing joins the thread: a shutdown
    goes on without it, and a process that exits abandons it. For work that holds
    nothing to release (it builds in memory and returns), so abandoning it loses nothing
    but the result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():  # a waiter may have cancelled it
            outcome()

    def run() -> None:
        outcome: Callable[[], None]
        try:
            outcome = functools.partial(future.set_result, work())
        except BaseException as exc:  # whatever it was, the waiters hear of it
            outcome = functools.partial(future.set_exception, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


class Background:
    """One loop a component runs in the background: started once (a second start while it
    runs does nothing) and stopped by cancelling it and waiting until it has ended."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            await stopped(task)
