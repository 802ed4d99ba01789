"""Start the real bot, through its real entry point, against the local fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.adapters.discord import runner
from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.events_cog import EventsCog
from bot.clock import Clock, FixedClock
from bot.delivery.pacer import Pacer
from bot.settings import Settings
from tests.conftest import ROOT
from tests.fakediscord.server import TOKEN, FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


def bot_env(fake: FakeDiscord, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment a user would set, plus the one variable only tests set."""
    return {
        "DISCORD_TOKEN": TOKEN,
        "CONFBOT_DB": str(tmp_path / "confbot.db"),
        "CONFBOT_GUILD_ID": str(fake.guild_id),
        "CONFBOT_NOW": "2024-07-10T10:50",
        "CONFBOT_TEST_DISCORD_URL": fake.base_url,
        **extra,
    }


def process_env(fake: FakeDiscord, tmp_path: Path, **extra: str) -> dict[str, str]:
    """For `python -m bot` as a subprocess: this process's environment without any
    confbot, Discord or database setting of the machine's, then bot_env."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONFBOT_", "DISCORD_", "DATABASE_URL"))}  # fmt: skip
    env.update(bot_env(fake, tmp_path, **extra))
    return env


async def run_with_own_mounts(setup: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`python -m bot run` in a mount namespace of its own, after the shell `setup`
    (which mounts a small or read-only disk there, seen by no other process)."""
    return await asyncio.create_subprocess_exec(
        "unshare", "-m", "sh", "-c", f'{setup} && exec "$@"', "sh", sys.executable, "-m", "bot",
        "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@contextlib.contextmanager
def restored_discord_urls():
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


async def wait_for(condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll a cheap condition on the event loop (no sleeping on a clock we control)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def changes_kept(bot: ConfBot, timeout: float = 15.0) -> None:
    """Wait until the state database holds what a new version changed: it is kept just
    before the swap, by a query the event loop awaits (so no cheap condition to poll)."""
    state = bot.state
    assert state is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await state.versions.changes(bot.service.conference.key):
        assert loop.time() < deadline, "the changes were never kept"
        await asyncio.sleep(0.01)


async def logged_in(fake: FakeDiscord, timeout: float = 30.0) -> None:
    """Wait for a bot (in this process or another) to log in and sync its commands."""
    await wait_for(
        lambda: fake.connected.is_set() and bool(fake.guild_commands),
        timeout=timeout,
        what="the bot to log in and sync its commands",
    )


class _PacerTime:
    """A time of the pacer's own, moved by its waits: the order and spacing of requests
    are kept, but a test not about pacing never waits the wall clock for them (200
    scheduled events at 40 requests a second were 5 s of waiting)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def untimed_pacer(delivery_pace: float, share: float = 1.0) -> Pacer:
    """The bot's Pacer at the settings' pace and its slice's share of the shards (see
    process_pacer), on a time of its own (see _PacerTime)."""
    time = _PacerTime()
    return Pacer.for_share(delivery_pace, share, monotonic=time.monotonic, sleep=time.sleep)


class _ConfBotOnTheFake(ConfBot):
    """The bot as users run it, but for one wait: discord.py sleeps 5 s of wall clock
    before every IDENTIFY after the first (Discord's one per 5 s), which a second shard
    or a session identified again would spend idle. The fake has no such limit, so here
    an IDENTIFY goes at once; what the bot does around it is the same."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set at each event discord.py dispatches (READY, a server's GUILD_CREATE, ...): a
        # start is awaited by them (running_bot, _until), not by polling.
        self.dispatched = asyncio.Event()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await asyncio.sleep(0)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        super().dispatch(event_name, *args, **kwargs)
        self.dispatched.set()


async def _until(
    condition: Callable[[], bool], wakes: Sequence[asyncio.Event], task: asyncio.Task[None],
    timeout: float = 10.0,
) -> None:  # fmt: skip
    """Until `condition` holds or the bot's task has ended, looked at again each time one
    of `wakes` is set (cleared before each look, so none is missed), for `timeout` at
    most: a start is awaited by what it does, not by polling the wall clock every few
    milliseconds (each poll's wait was idle time a test paid, three times a start). The
    caller then asks wait_for, which says what never came."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done() and loop.time() < deadline:
        for wake in wakes:
            wake.clear()
        if condition():
            return
        waits = [asyncio.ensure_future(wake.wait()) for wake in wakes]
        try:
            await asyncio.wait([task, *waits], timeout=deadline - loop.time(),
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        finally:
            for wait in waits:
                wait.cancel()


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord, tmp_path: Path, clock: Clock | None = None,
    index_wait: float | None = None, pacer: Pacer | None = None, **env: str,
) -> AsyncIterator[ConfBot]:  # fmt: skip
    """The bot started through runner.serve with settings from the environment (and a
    clock the test moves, if given; how long a lookup awaits its indexes, if given; its
    pace of requests, if given, else one that never waits the wall clock: see ConfBot
    and untimed_pacer); on exit its pending event handlers finish, it closes, and the fake saw no
    protocol error and no message of embeds alone (unreadable with embeds hidden). With
    CONFBOT_SHARD_IDS it is one process of several: it is awaited until it has the
    servers on its own shards, and several may run at once (each with a tmp_path of its
    own)."""
    settings = Settings.from_env(bot_env(fake, tmp_path, **env), dotenv_path=tmp_path / "none")
    held = settings.shard_slice
    with restored_discord_urls():
        waits = {} if index_wait is None else {"index_wait": index_wait}
        pacer = pacer or untimed_pacer(settings.delivery_pace, held.share)
        instance = _ConfBotOnTheFake(settings, clock, guild_ready_timeout=0.005, pacer=pacer,
                                     **waits)  # fmt: skip
        task = asyncio.create_task(runner.serve(settings, instance))
        # The first server's connection, when the bot holds its shard (a bot holding
        # other shards has its own connections, not that one), and the command sync, when
        # the bot holds shard 0 (the one process of a cluster that syncs them).
        connected = fake.connected.is_set if held.holds(fake.guild_id) else lambda: True
        synced = (lambda: bool(fake.guild_commands)) if held.holds_first else lambda: True
        await _until(lambda: connected() and synced(), [fake.moved], task)
        await wait_for(
            lambda: (connected() and synced()) or task.done(),
            what="login, command sync and READY",
        )
        if task.done():
            task.result()
        # discord.py is ready once no GUILD_CREATE came for guild_ready_timeout, which it
        # waits out in full each start: kept short, as the fake sends them all at once
        # after READY, and the servers are awaited here, not left to the timeout's margin.
        servers = [guild_id for guild_id in fake.guild_ids if held.holds(guild_id)]
        await _until(
            lambda: instance.is_ready() and all(instance.get_guild(g) is not None for g in servers),
            [instance.dispatched], task,
        )  # fmt: skip
        await wait_for(instance.is_ready, what="on_ready")
        await wait_for(lambda: all(instance.get_guild(g) is not None for g in servers),
                       what="the servers' GUILD_CREATE")  # fmt: skip
        try:
            yield instance
        except BaseException:
            # A failed test still closes its bot, or its tasks outlive the test and the
            # event loop's teardown waits on them: the failure is what gets reported.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(instance.close(), 10)
                await asyncio.wait_for(task, 10)
            raise
        events = [t for t in asyncio.all_tasks() if t.get_name().startswith("discord.py: ")]
        await asyncio.wait_for(asyncio.gather(*events, return_exceptions=True), 10)
        await instance.close()
        await asyncio.wait_for(task, 10)
    assert not fake.protocol_errors, fake.protocol_errors
    assert not fake.embeds_only, fake.embeds_only  # every message reads with embeds hidden


async def travel(bot: ConfBot, fake: FakeDiscord, clock: FixedClock, when: datetime) -> None:
    """Move the test's clock (and the fake's, for its events' rules) to `when`, and wake
    what sleeps until a due moment: every conference's scheduler and the events window.
    What is due then is delivered without waiting for the wall clock to get there."""
    clock.at = fake.now = when
    bot.conferences.wake()
    events = bot.get_cog("EventsCog")
    if isinstance(events, EventsCog):
        events.wake()


async def settled(bot: ConfBot, timeout: float = 15.0) -> None:
    """Wake every conference's scheduler and wait until each has done a whole pass begun
    after the wake: everything due at the test's clock is sent, and whatever it would
    send twice would have been, so a test can say nothing more came (no wall-clock
    sleep standing in for 'long enough')."""
    begun = [(served.scheduler, served.scheduler.passes_begun) for served in bot.conferences]
    bot.conferences.wake()
    done = lambda: all(scheduler.passed_since(n) for scheduler, n in begun)  # noqa: E731
    await wait_for(done, timeout, what="a whole pass of every scheduler")


def poll_source(bot: ConfBot) -> None:
    """Have the bot's follower check its program now, not after its interval of
    wall-clock time (doubled after each failure)."""
    follower = bot.follower
    assert follower is not None
    follower.wake()


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[ConfBot]:
    async with running_bot(fake, tmp_path) as instance:
        yield instance
