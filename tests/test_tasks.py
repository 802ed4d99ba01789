"""Stopping a background task: whoever waits for the stop may itself be cancelled (a
shutdown, a handler cut short), and that cancellation must reach them, not be taken for
the stopped task's own."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.delivery.scheduler import Scheduler
from bot.live.holder import ProgramHolder
from bot.live.sync import ProgramFollower
from bot.settings import Settings
from bot.store.state import StateStore
from bot.tasks import in_daemon_thread, stopped, woken
from tests.conftest import ROOT, pacific


async def cancelled_while_stopping(stop: asyncio.Task[None]) -> None:
    await asyncio.sleep(0)  # the stop has begun and waits for the task to end
    stop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stop


async def test_a_cancelled_waiter_is_cancelled_not_returned():
    forever = asyncio.create_task(asyncio.Event().wait())
    await cancelled_while_stopping(asyncio.create_task(stopped(forever)))
    assert forever.cancelled()


async def test_a_task_stopped_on_its_own_returns_quietly():
    forever = asyncio.create_task(asyncio.Event().wait())
    await stopped(forever)
    assert forever.cancelled()


async def test_a_follower_being_stopped_does_not_swallow_its_callers_cancellation(
    tmp_path: Path,
):
    settings = Settings.from_env({"CONFBOT_DB": str(tmp_path / "c.db")}, dotenv_path=tmp_path / "x")
    from bot.app import load_service

    loaded = await load_service(settings)
    clock = FixedClock(pacific("2024-07-10T10:50"))
    follower = ProgramFollower(settings, ProgramHolder(loaded.service, clock.now()), clock)
    follower.start()
    await cancelled_while_stopping(asyncio.create_task(follower.stop()))


async def test_a_scheduler_being_stopped_does_not_swallow_its_callers_cancellation(
    tmp_path: Path,
):
    cleaning, release = asyncio.Event(), asyncio.Event()

    async def delivery_that_takes_its_time() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cleaning.set()  # the stop is now waiting for this task to end
            await release.wait()
            raise

    state = await StateStore.open(tmp_path / "state.db")
    scheduler = Scheduler(state, lambda: None, FixedClock(pacific("2024-07-10T10:50")),
                          sender=None)  # type: ignore[arg-type, return-value]  # fmt: skip
    scheduler._task = asyncio.create_task(delivery_that_takes_its_time())
    try:
        stop = asyncio.create_task(scheduler.stop(grace=0))
        await cleaning.wait()
        stop.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await stop
    finally:
        await state.close()


# -- work a shutdown does not wait for -------------------------------------------------


async def test_work_in_a_daemon_thread_gives_its_result_or_its_error_to_the_waiter():
    assert await in_daemon_thread(lambda: 6 * 7, "answer") == 42
    with pytest.raises(ZeroDivisionError):
        await in_daemon_thread(lambda: 1 // 0, "broken")


def test_work_in_a_daemon_thread_does_not_keep_the_process_from_ending():
    # asyncio.to_thread's worker would be joined by asyncio.run, then at exit: forever.
    code = (
        "import asyncio, threading\n"
        "from bot.tasks import in_daemon_thread\n"
        "async def main():\n"
        "    in_daemon_thread(threading.Event().wait, 'held forever')\n"
        "    await asyncio.sleep(0)\n"
        "asyncio.run(main())\n"
        "print('ended')\n"
    )
    ended = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    assert ended.returncode == 0 and ended.stdout == "ended\n", ended.stderr


async def test_a_loop_woken_as_it_is_cancelled_ends_cancelled():
    """Python 3.11's wait_for swallows a cancellation that arrives as the event is set:
    the loops that sleep until woken (scheduler, cluster tick, refund watch, events
    window) would go round once more instead of stopping."""
    event = asyncio.Event()
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            await woken(event, 3600)
            event.clear()

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)  # waiting on the event
    event.set()
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    assert task.cancelled() and rounds == 1


async def test_woken_says_whether_the_event_came_or_the_time_ran_out():
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    event.set()
    assert await woken(event, 3600) is True
