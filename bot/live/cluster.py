"""This process among the others of a cluster: which conferences it leads, what it hears
of the others, and the heartbeat `python -m bot status` reads.

Every few seconds (CONFBOT_LEAD_RETRY) each conference tries to lead, or confirms it
still leads (bot.live.conference: Served.lead), so a conference whose leader died is
taken over within that time; the process writes its heartbeat row (its shards and the
conferences it leads), in real time even in a rehearsal (CONFBOT_NOW), since `status`
compares it with the time it is; and, every CONFBOT_FOLLOW_CHECK seconds by the Clock, the
conferences it does not lead check the state for a version they were not told of (a
notice is lost with a connection). Notices (bot.store.coordination) are handed to their
conference as they come; after a reconnection, every conference checks at once.

What is not one conference's (the sources servers added, the choices of conference) is
followed the same way by the bot's `followers` (bot.live.added, bot.live.choices): told
each notice, and asked to check the state at each periodic check and after a
reconnection.

With a SQLite state there is one process and nothing of this runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock, SystemClock
from bot.cluster import Slice, format_ids
from bot.live.conferences import Conferences
from bot.store.connection import WriteFailed, unreachable
from bot.store.coordination import Coordinator, Notice, NoticeKind
from bot.store.members_store import Member
from bot.store.state import StateStore
from bot.tasks import Background, woken

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ThisProcess:
    """Who this process is in the members table: unique to this start of it."""

    process: str
    host: str
    pid: int
    started: datetime

    @classmethod
    def at(cls, process: str, started: datetime) -> ThisProcess:
        """This process, named as it is in the ledger (bot.cluster.process_name), started
        at `started` in real time (see ClusterMember's `wall`)."""
        return cls(process, socket.gethostname(), os.getpid(), started)


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds between two tries to lead (and heartbeats), and between two checks of the
    state for a missed version (by the Clock)."""

    lead_retry: float = 10.0
    follow_check: float = 60.0


class Follows(Protocol):
    """What follows the state for the bot as a whole, not for one conference."""

    def heard(self, notice: Notice) -> None:
        """Another process's notice (of any kind: it takes those that are its own)."""
        ...

    def check(self) -> None:
        """Compare with the state now (a notice may have been lost)."""
        ...


class ClusterMember:
    def __init__(
        self,
        conferences: Conferences,
        coordinator: Coordinator,
        state: StateStore,
        clock: Clock,
        shards: Callable[[], Slice],
        me: ThisProcess,
        timing: Timing = Timing(),
        followers: Sequence[Follows] = (),
        wall: Clock | None = None,
    ) -> None:
        """`clock`: the bot's (a rehearsal's runs from CONFBOT_NOW), for the checks;
        `wall`: the time it is (the system's by default), for the heartbeats, which
        `python -m bot status` compares with the time it is."""
        self.conferences = conferences
        self.coordinator = coordinator
        self.state = state
        self.clock = clock
        self.shards = shards  # this process's slice, as it is now (Discord may set the count)
        self.me = me
        self.timing = timing
        self.followers = tuple(followers)
        self.wall = wall or SystemClock()
        self._woken = asyncio.Event()
        self._loop = Background("confbot-cluster", self._run)
        self._next_check: datetime | None = None
        self._resync = False  # a reconnection: check every conference at the next tick
        self._beat_failing = False
        self.ticks = 0

    async def start(self) -> None:
        """Listen to the others, then tick every few seconds (none of it with SQLite)."""
        if self.coordinator.sole:
            return
        await self.coordinator.listen(self.heard)
        self._loop.start()

    async def stop(self) -> None:
        """Stop ticking, and take this process's row out of the members table."""
        if self._loop.running:
            await self._loop.stop()
            with contextlib.suppress(Exception):  # a state gone: its row goes gone
                await self.state.members.leave(self.me.process)

    def wake(self) -> None:
        """Tick now instead of at the end of the wait."""
        self._woken.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug; the next tick tries again
                if not unreachable(exc):  # an outage: the state database logs it, once
                    log.exception("a cluster tick failed")
            await woken(self._woken, self.timing.lead_retry)
            self._woken.clear()

    async def tick(self) -> None:
        """Lead what no one leads (and confirm what this process leads), check the state
        when a check is due (or a reconnection may have lost notices), and beat."""
        now = self.clock.now()
        for served in self.conferences:
            await served.lead()
        if self._resync or self._next_check is None or now >= self._next_check:
            self._resync = False
            self._next_check = now + timedelta(seconds=self.timing.follow_check)
            for served in self.conferences:
                if not served.leads:
                    served.state_follower.wake()
            for follower in self.followers:
                follower.check()
        await self.beat(self.wall.now())
        self.ticks += 1

    async def beat(self, now: datetime) -> None:
        """This process's row: its shards, the conferences it leads, when it was seen
        (`now`, in real time). A write the state refuses is logged once per streak (status
        shows the row gone)."""
        if self.state.closed:
            return
        leads = tuple(served.key for served in self.conferences if served.leads)
        shards = self.shards()
        member = Member(self.me.process, self.me.host, self.me.pid, format_ids(shards.ids),
                        shards.count, leads, math.ceil(self.timing.lead_retry),
                        int(self.me.started.timestamp()), int(now.timestamp()))  # fmt: skip
        try:
            await self.state.members.beat(member)
        except WriteFailed as exc:
            if not self._beat_failing and not unreachable(exc):  # an outage: logged already
                log.error("this process's heartbeat could not be written (%s)", exc)
            self._beat_failing = True
            return
        self._beat_failing = False

    def heard(self, notice: Notice) -> None:
        """Another process's notice, on the event loop: a version kept, a re-plan, or a
        decision asked or answered, for its conference; the sources or a choice changed,
        for the followers; a reconnection (RESYNC), for all of them. A version of a
        conference this process leads means its lock is gone: the tick confirms."""
        if notice.kind is NoticeKind.RESYNC:
            self._resync = True
            self.wake()
            return
        if notice.kind in (NoticeKind.SOURCES, NoticeKind.CHOICE):
            for follower in self.followers:
                follower.heard(notice)
            return
        served = self.conferences.get(notice.conference)
        if served is None:
            return
        served.heard(notice)
        if notice.kind is NoticeKind.VERSION and served.leads:
            self.wake()
