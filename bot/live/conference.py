"""One conference being served, whole from the moment it is made.

A conference served is its program's current version (the holder), the follower that
swaps new versions in from its source, the scheduler that sends its reminders and posts,
and the versions it served, kept in the state database. All of them are made together
here, so none is ever missing or wired in later: the bot (an adapter) gives what they
need (Serving), then only opens, starts, wakes and stops conferences (see
bot.live.conferences for the registry that opens and drops them).

The program is served from memory: its database is read once, when the conference is
loaded (bot.app.load_service), and closed at once. A bot serving 100 conferences keeps no
program database open (each connection was an aiosqlite thread of its own).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.cluster import Slice
from bot.delivery.kind import Sender
from bot.delivery.pacer import Pacer
from bot.delivery.scheduler import Scheduler
from bot.live.diff import Change
from bot.live.guard import PublicResolver
from bot.live.holder import ProgramHolder
from bot.live.served import keep_served
from bot.live.sync import Candidate, ProgramFollower
from bot.model import Conference, Program
from bot.service import ProgramService
from bot.settings import Settings
from bot.store import BuildReport
from bot.store.conferences_store import AddedSource
from bot.store.state import StateStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Serving:
    """What the bot gives every conference it serves."""

    state: StateStore
    clock: Clock
    sender: Sender  # how its deliveries leave the process
    pacer: Pacer  # the bot's one pace, shared by every conference (see bot.delivery.pacer)
    settings: Settings  # the bot's: whether sources servers add may be private
    # What the adapter does of a new version once it is kept and re-planned (Discord: move
    # the published events); a failure there is the adapter's to log.
    follow_up: Callable[[Served, list[Change]], Awaitable[None]]
    # This process's name in the shared state, made once at its start (what it holds in
    # the delivery ledger; see bot.cluster.process_name), and its slice of the shards.
    process: str
    shards: Slice = field(default_factory=Slice)


class Served:
    """One conference being served (see the module's docstring)."""

    def __init__(
        self,
        service: ProgramService,
        settings: Settings,
        serving: Serving,
        report: BuildReport,
        source_key: str | None = None,
        added: AddedSource | None = None,
    ) -> None:
        """`service`: the version loaded, under the key it is served under (see
        Conferences.open); `settings`: as this conference's source sees them; `report`:
        what loading it found; `source_key`: the key the version itself names, when it is
        served under another; `added`: the server that added the source (None: the
        operator configured it, and it may reach private addresses)."""
        self.key = key = service.conference.key
        self.settings = settings
        self.report = report
        self.added = added
        self._serving = serving
        self.holder = ProgramHolder(service, serving.clock.now())
        own = source_key or key
        private = added is None or serving.settings.allow_private_sources
        self.follower = ProgramFollower(
            settings,
            self.holder,
            serving.clock,
            self._changed,
            None if private else PublicResolver(),
            seen=report.fingerprint,
            key=None if key == own else key,
            source_key=own,
            keep=self._keep_new,
        )
        self.scheduler = Scheduler(
            serving.state,
            lambda: self.holder.service,
            serving.clock,
            serving.sender,
            pacer=serving.pacer,
            process=serving.process,
            shards=serving.shards,
        )

    @property
    def service(self) -> ProgramService:
        return self.holder.service

    async def indexed(self, wait: float | None = None) -> ProgramService:
        """The current version with its search indexes, for a lookup (see bot.live.holder)."""
        return await self.holder.indexed(wait)

    @property
    def conference(self) -> Conference:
        return self.holder.service.conference

    # -- lifecycle ----------------------------------------------------------------------

    async def open(self) -> None:
        """Keep the version it opens with, with what changed since the version served
        last (a program edited while the bot was down is told once; see bot.live.served)."""
        reports = self.report.reports
        label = reports[0].version if reports else None
        await self._keep(self.service.program, self.follower.seen, label, since_last_served=True)

    async def start(self) -> None:
        """Its scheduler (which recovers from a crash first), then its follower."""
        await self.scheduler.start()
        self.follower.start()

    async def stop(self) -> None:
        """Its follower, then its scheduler (the delivery in flight finishes)."""
        await self.follower.stop()
        await self.scheduler.stop()

    def wake(self) -> None:
        """Re-plan its deliveries now that what they depend on changed (a setting)."""
        self.scheduler.wake()

    async def _keep_new(self, candidate: Candidate) -> None:
        """Before a new version is swapped in: keep it with what it changed (for the
        notices and /changes). A write the disk refuses (WriteFailed) leaves it unapplied,
        so it is never served unrecorded (see ProgramFollower.apply)."""
        files = functools.partial(self.follower.files, candidate)
        await self._keep(candidate.service.program, candidate.seen, None, candidate.changes,
                         files=files)  # fmt: skip

    async def _changed(self, changes: list[Change]) -> None:
        """A new version, kept, is in the holder: re-plan its reminders, announcements and
        threads (moved items' deliveries move, removed items' are cancelled, and the
        notices of the changes kept are planned), and let the adapter follow (see
        Serving.follow_up)."""
        self.scheduler.wake()
        await self._serving.follow_up(self, changes)

    async def _keep(
        self, program: Program, seen: str, label: str | None,
        changes: list[Change] | None = None, since_last_served: bool = False,
        files: Callable[[], bytes] | None = None,
    ) -> None:  # fmt: skip
        """Keep a version (its fingerprint `seen`), with what it changed (see
        bot.live.served); not once the bot closed its state (a version applied while it
        shuts down)."""
        state = self._serving.state
        if state.closed:
            return
        now_ts = int(self._serving.clock.now().timestamp())
        await keep_served(state, self.settings, program, now_ts, label, changes,
                          since_last_served, seen, files)  # fmt: skip
