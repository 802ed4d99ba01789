"""Serving the versions another process keeps, on a conference this process does not lead.

In a cluster, one process follows a conference's source (its leader, see
bot.store.coordination): it reads each new version, keeps it in the state database with
what it changed, and announces it. Every other process follows the state instead: told
of a new version (or at a slow periodic check, in case a notice was missed), it loads the
version kept last and swaps it in as it is, so /paper answers from the same version in
every process. Its changes were recorded by the leader; here they are only followed up
(deliveries re-planned, published events moved), never recorded again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.live.diff import Change, diff
from bot.live.holder import indexing
from bot.live.sync import Candidate, ProgramFollower
from bot.live.versions import read_kept
from bot.model import Program
from bot.service import ProgramService
from bot.store.connection import unreachable
from bot.store.state import StateStore
from bot.tasks import Background, on_every_wake

log = logging.getLogger(__name__)


async def latest_kept(
    state: StateStore, follower: ProgramFollower, key: str, zone: str | None
) -> Candidate | None:
    """The version served last by the leader, read, built and indexed as a candidate
    against the version this process serves; None when it is that version already (or
    none is kept yet). Its files are read only when its fingerprint is new."""
    seen = follower.seen
    latest = await state.versions.last_served_fingerprint(key)
    if latest is None or latest == seen:
        return None
    kept = await state.versions.last_served(key)
    if kept is None:
        return None
    fingerprint, files = kept
    old = follower.holder.service.program
    service, changes, own = await asyncio.to_thread(_build_kept, files, zone, old, key)
    await indexing(service)
    return Candidate(service, changes, fingerprint, None, seen, own)


def _build_kept(
    files: bytes, zone: str | None, old: Program, key: str
) -> tuple[ProgramService, list[Change], str]:
    """A kept version served under `key` (a source a server added may be served under
    another key than its program names), its changes from `old`, and the key it names:
    in a worker thread."""
    program = read_kept(files, zone)
    own = program.conference.key
    service = ProgramService(program if own == key else program.under_key(key), index_later=True)
    return service, diff(old, service.program), own


class StateFollower:
    """A task that loads the version kept last whenever it is woken (a notice, the
    periodic check), one load at a time; a failure is logged and the next wake tries
    again (the leader's version stays in the state)."""

    def __init__(self, load: Callable[[], Awaitable[bool]], key: str) -> None:
        self._load = load
        self.key = key
        self._woken = asyncio.Event()
        self._loop = Background(f"confbot-state-{self.key}", self._run)
        self._failing = False

    @property
    def running(self) -> bool:
        return self._loop.running

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    def wake(self) -> None:
        self._woken.set()

    async def _run(self) -> None:
        await on_every_wake(self._woken, self.load)

    async def load(self) -> bool:
        """Load now: True if a new version was swapped in. A failure is logged (once per
        streak) and raised."""
        try:
            loaded = await self._load()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if unreachable(exc):  # an outage: the state database logs it, once
                raise
            if not self._failing:
                log.warning("the version of %s kept by the process that follows it could not"
                            " be served here (%s); trying again at the next notice or check",
                            self.key, exc, exc_info=exc)  # fmt: skip
            self._failing = True
            raise
        if self._failing:
            log.info("%s serves the version kept by the process that follows it again", self.key)
        self._failing = False
        return loaded
