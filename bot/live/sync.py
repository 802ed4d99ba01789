"""Following the program while the bot runs: editing its files needs no restart, and a
program at an address (bot.live.remote) is polled with conditional requests.

Every `CONFBOT_SYNC_INTERVAL` seconds the source is checked: an address is fetched (a 304
ends the check with nothing parsed), then the files' content is hashed (content, not
mtimes: see bot.store.build.fingerprint). When it changed, the new version is read, built and
indexed in a worker thread, so the event loop never waits on it; then it is swapped into
the holder in one assignment, and whoever follows (the scheduler) is told what changed. A
version that does not read never replaces the program: the last good one keeps serving,
the failure is logged once per streak, checks back off, and /status shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.importer.errors import ProgramFileError
from bot.importer.registry import read_source
from bot.live.diff import Change, diff
from bot.live.holder import ProgramHolder
from bot.live.remote import FetchError, RemoteProgram
from bot.model import Talk
from bot.service import ProgramService
from bot.settings import Settings
from bot.store.build import fingerprint
from bot.store.state import RecordedChange

log = logging.getLogger(__name__)

MAX_BACKOFF = 3600.0  # a source failing for long is still checked hourly


@dataclass
class SyncStatus:
    """What /status shows of the source (times as Unix seconds)."""

    checked_ts: int | None = None
    changed_ts: int | None = None
    changes: int = 0  # talks changed by the last version applied
    error: str | None = None  # the last failure, while the streak lasts
    error_ts: int | None = None
    failures: int = 0


def _build(settings: Settings) -> ProgramService:
    """Read, build and index a version: run in a worker thread."""
    return ProgramService(read_source(settings.program, settings.timezone).program)


class ProgramFollower:
    def __init__(
        self,
        settings: Settings,
        holder: ProgramHolder,
        clock: Clock,
        on_change: Callable[[list[Change]], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.holder = holder
        self.clock = clock
        self.on_change = on_change
        self.status = SyncStatus()
        self._seen = fingerprint([settings.program], settings.timezone)
        self._broken: str | None = None  # a version that did not read: not read again
        self.remote = (
            RemoteProgram(settings.program_url, settings.program) if settings.program_url else None
        )
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="confbot-program-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def delay(self) -> float:
        """The next wait: the interval, doubled for each failure in a row."""
        return min(MAX_BACKOFF, self.settings.sync_interval * 2.0 ** min(self.status.failures, 10))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.delay())
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking the program source failed; trying again later")

    async def check(self) -> list[Change] | None:
        """One check: the changes applied, or None when nothing new was applied."""
        settings = self.settings
        now_ts = int(self.clock.now().timestamp())
        self.status.checked_ts = now_ts
        if self.remote is not None:
            try:
                if not await self.remote.fetch(settings.timezone):
                    self._recovered()
                    return None  # 304: unchanged, nothing parsed
            except FetchError as exc:
                self._failed(str(exc), now_ts)
                return None
        try:
            seen = await asyncio.to_thread(fingerprint, [settings.program], settings.timezone)
        except OSError as exc:  # the file went away or cannot be read
            self._failed(str(exc), now_ts)
            return None
        if seen == self._seen:
            self._recovered()
            return None
        if seen == self._broken:
            self.status.failures += 1
            return None
        try:
            service = await asyncio.to_thread(_build, settings)
        except (ProgramFileError, OSError) as exc:
            self._broken = seen
            self._failed(str(exc), now_ts)
            return None
        changes = diff(self.holder.service.program, service.program)
        self.holder.swap(service, self.clock.now())
        self._seen = seen
        if self.status.failures:
            log.info("the program source reads again after %d failed checks", self.status.failures)
        self.status = SyncStatus(checked_ts=now_ts, changed_ts=now_ts, changes=len(changes))
        log.info("program updated from %s: %d talks changed", settings.program, len(changes))
        if self.on_change is not None:
            await self.on_change(changes)
        return changes

    def _recovered(self) -> None:
        """A check that worked ends a failure streak (the source answers again)."""
        if self.status.failures:
            log.info("the program source answers again after %d failed checks",
                     self.status.failures)  # fmt: skip
            self.status = SyncStatus(checked_ts=self.status.checked_ts,
                                     changed_ts=self.status.changed_ts,
                                     changes=self.status.changes)  # fmt: skip

    def _failed(self, reason: str, now_ts: int) -> None:
        if not self.status.failures:  # once per streak, not every check
            log.warning("the program source does not read (%s); keeping the last good"
                        " version", reason)  # fmt: skip
        self.status.failures += 1
        self.status.error, self.status.error_ts = reason, now_ts


def records(changes: list[Change]) -> list[RecordedChange]:
    """Changes as the state database keeps them (its sync id and time are set there)."""

    def place(talk: Talk | None) -> tuple[int, int, str | None] | None:
        if talk is None:
            return None
        slot = talk.slot
        return int(slot.start.timestamp()), int(slot.end.timestamp()), slot.room

    found = []
    for change in changes:
        sessions = {f"s:{t.session_key}" for t in (change.before, change.after) if t}
        found.append(RecordedChange(
            0, 0, f"p:{change.key}", tuple(sorted(sessions)), change.title,
            tuple(kind.value for kind in change.kinds), place(change.before), place(change.after),
        ))  # fmt: skip
    return found
