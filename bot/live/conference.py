"""One conference being served, whole from the moment it is made.

A conference served is its program's current version (the holder), the follower that
swaps new versions in from its source, the scheduler that sends its reminders and posts,
and the versions it served, kept in the state database. All of them are made together
here, so none is ever missing or wired in later: the bot (an adapter) gives what they
need (Serving), then only opens, starts, wakes and stops conferences (see
bot.live.conferences for the registry that opens and drops them).

In a cluster, each conference's source is followed by one process, its leader (see
bot.store.coordination): only there does the follower poll the source and keep new
versions (announcing each to the other processes); every other process serves the
versions the leader kept, from the state database (bot.live.state_follower), and takes
over when the leader is gone (bot.live.cluster tries every few seconds). With a SQLite
state the one process leads every conference, as it always did.

The program is served from memory: its database is read once, when the conference is
loaded (bot.app.load_service), and closed at once. A bot serving 100 conferences keeps no
program database open (each connection was an aiosqlite thread of its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.cluster import Slice
from bot.delivery.kind import Sender
from bot.delivery.pacer import Pacer
from bot.delivery.scheduler import Scheduler
from bot.i18n import Messages, bundled_messages
from bot.live.decisions import Decided, Decision, Decisions, NotLeading, Waits
from bot.live.diff import Change
from bot.live.guard import PublicResolver
from bot.live.holder import ProgramHolder
from bot.live.remote import Validators
from bot.live.served import keep_served
from bot.live.state_follower import StateFollower, latest_kept
from bot.live.sync import Candidate, ProgramFollower, StaleCandidate
from bot.live.tickets import TicketDesk
from bot.live.versions import archive
from bot.model import Conference, Program
from bot.service import ProgramService
from bot.settings import Settings
from bot.store import BuildReport
from bot.store.conferences_store import AddedSource
from bot.store.coordination import REPLAN, Coordinator, Notice, NoticeKind, SoleCoordinator
from bot.store.state import StateStore
from bot.store.versions_store import FromSource
from bot.tasks import stopped

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Serving:
    """What the bot gives every conference it serves."""

    state: StateStore
    clock: Clock
    sender: Sender  # how its deliveries leave the process
    pacer: Pacer  # the bot's one pace, shared by every conference (see bot.delivery.pacer)
    settings: Settings  # the bot's: private sources allowed, the ledger's leases
    # What the adapter does of a new version once it is kept and re-planned (Discord: move
    # the published events); a failure there is the adapter's to log.
    follow_up: Callable[[Served, list[Change]], Awaitable[None]]
    # This process's name in the shared state, made once at its start (what it holds in
    # the delivery ledger; see bot.cluster.process_name), and its slice of the shards.
    process: str
    shards: Slice = field(default_factory=Slice)
    # Which process follows which conference's source (see bot.store.coordination): the
    # one process of a SQLite state leads every conference.
    coordinator: Coordinator = field(default_factory=SoleCoordinator)
    # Ticket registrations and refunds (bot.live.tickets), for conferences whose source
    # names a pretix event; None: no tickets in this bot.
    tickets: TicketDesk | None = None
    # How long an organiser's decision asked of another process waits for its answer
    # (bot.live.decisions).
    waits: Waits = field(default_factory=Waits)
    # The catalogs its deliveries are worded from (bot.i18n), read once at start.
    messages: Messages = field(default_factory=bundled_messages)


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
            keep_validators=self._keep_validators,
        )
        # Whether this process follows the source (leads; decided at open, then by
        # bot.live.cluster): if not, it follows the versions the leader keeps, and leaves
        # the person-bound deliveries to the leader's scheduler to plan (plans_people).
        self.leads = False
        self.scheduler = Scheduler(
            serving.state,
            lambda: self.holder.service,
            serving.clock,
            serving.sender,
            pacer=serving.pacer,
            process=serving.process,
            shards=serving.shards,
            plans_people=self.plans_people,
            lease=serving.settings.lease,
            renew_every=serving.settings.lease_renew,
            look_every=serving.settings.ledger_check,
            messages=serving.messages,
        )
        self.state_follower = StateFollower(self.follow_state, key)
        self.decisions = Decisions(key, self.follower, serving.coordinator,
                                   lambda: self.leads, serving.waits)  # fmt: skip
        self._started = False
        self._leading = asyncio.Lock()  # one take-over or step-down at a time
        self._announcing: set[asyncio.Task[bool]] = set()

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
        """Lead it if no other process does. The leader keeps the version it opens
        with, with what changed since the version served last (a program edited while
        the bot was down is told once; see bot.live.served), as the version its source
        serves, with the validators of an address's copy (from its server, or written
        back from the state: bot.live.restore), and announces it; any other process
        serves the version the leader kept last instead of its own copy."""
        self.leads = await self._serving.coordinator.try_lead(self.key)
        if not self.leads:
            # A failure is logged; its own copy serves until the next notice or check.
            with contextlib.suppress(Exception):
                await self.state_follower.load()
            return
        reports = self.report.reports
        label = reports[0].version if reports else None
        remote = self.follower.remote
        # The files it was read from: the version the state kept, when the operator's
        # path is missing (see BuildReport.sources).
        read_from = self.report.sources[0] if self.report.sources else self.settings.program
        await self._keep(self.service.program, self.follower.seen, label, since_last_served=True,
                         files=functools.partial(archive, read_from),
                         validators=remote.validators if remote is not None else None)  # fmt: skip
        await self._announce(self.follower.seen)

    async def start(self) -> None:
        """Its scheduler (which recovers from a crash first), then its follower: of the
        source where it leads, else of the state; and its tickets if its source names a
        pretix event (their refunds watched where it leads)."""
        await self.scheduler.start()
        desk, event = self._serving.tickets, self.settings.sources[0].pretix
        if desk is not None and event is not None:
            desk.serve(self.key, event)
        if self.leads:
            self.follower.start()
            self._watch_refunds()
        else:
            self.state_follower.start()
        self._started = True

    async def stop(self) -> None:
        """Its tickets, its followers, then its scheduler (the delivery in flight
        finishes); then it lets another process lead it."""
        async with self._leading:  # no take-over starts a follower after this
            self._started = False
            if self._serving.tickets is not None:
                await self._serving.tickets.drop(self.key)
        await self.follower.stop()
        await self.state_follower.stop()
        await self.decisions.stop()
        await self.scheduler.stop()
        for task in list(self._announcing):
            await stopped(task)
        if self.leads:
            self.leads = False
            await self._serving.coordinator.release(self.key)

    def wake(self) -> None:
        """Re-plan its deliveries now that what they depend on changed (a setting, a
        reminder): here, and where it leads, whose scheduler plans person-bound ones."""
        self.scheduler.wake()
        if not self.leads and self._started:
            self._announce_soon(REPLAN)

    def _watch_refunds(self) -> None:
        """Watch its pretix event's refunds, here where it leads (its scheduler plans the
        refund deliveries, which are person-bound: see plans_people)."""
        if self._serving.tickets is not None:
            self._serving.tickets.watch(self.key, self.scheduler.wake)

    def plans_people(self) -> bool:
        """Whether this process plans the conference's person-bound deliveries (reminders
        by DM, which any process may send): only where it leads, so one process plans
        them (Scheduler.plans_people asks at each re-plan)."""
        return self.leads

    # -- leading and following ----------------------------------------------------------

    async def lead(self) -> bool:
        """Try to lead it (where another did) or confirm leading it (where this process
        did), and take over or step down when that changed; whether it leads now. Called
        every few seconds by bot.live.cluster."""
        async with self._leading:
            if not self._started:
                return self.leads
            leads = await self._serving.coordinator.try_lead(self.key)
            if leads and not self.leads:
                await self._take_over()
            elif not leads and self.leads:
                await self._step_down()
            return self.leads

    async def _take_over(self) -> None:
        """The leader is gone and this process holds its lock: serve the version it kept
        last, then follow the source from there (a change since is kept and told once).
        If the kept version cannot be served, the lock goes back: leading from an older
        version would record the leader's changes a second time."""
        await self.state_follower.stop()
        try:
            await self.state_follower.load()
        except Exception:  # logged; another try at the next tick
            await self._serving.coordinator.release(self.key)
            self.state_follower.start()
            return
        self.leads = True
        log.info("this process now follows the source of %s", self.key)
        self.follower.start()
        self._watch_refunds()
        self.scheduler.wake()  # its person-bound deliveries are planned here now

    async def _step_down(self) -> None:
        """The lock was lost (the connection holding it broke): another process may lead
        it already, so this one stops following the source and follows the state."""
        self.leads = False
        log.warning("this process no longer follows the source of %s; serving the versions"
                    " another process keeps", self.key)  # fmt: skip
        await self.follower.stop()
        if self._serving.tickets is not None:
            await self._serving.tickets.unwatch(self.key)
        self.state_follower.start()
        self.state_follower.wake()
        self.scheduler.wake()

    async def follow_state(self) -> bool:
        """Serve the version the leader kept last, if it is not the one served: swapped
        in and followed up (deliveries re-planned, events moved), its changes not recorded
        again. True if one was swapped in."""
        candidate = await latest_kept(self._serving.state, self.follower, self.key,
                                      self.settings.timezone)  # fmt: skip
        if candidate is None:
            return False
        try:
            await self.follower.apply(candidate, kept=True)
        except StaleCandidate:  # another version was swapped in meanwhile: the next wake
            return False
        return True

    def heard(self, notice: Notice) -> None:
        """Another process's word about this conference (see bot.live.cluster)."""
        if notice.kind is NoticeKind.VERSION and not self.leads:
            self.state_follower.wake()
        elif notice.kind is NoticeKind.REPLAN and self.leads:
            self.scheduler.wake()
        elif notice.kind in (NoticeKind.ASK, NoticeKind.ANSWER):
            self.decisions.heard(notice)

    # -- an organiser's decisions (bot.live.decisions) ------------------------------------

    async def leads_here(self) -> bool:
        """Whether this process leads the conference, taking it over now if no process
        does (what the cluster's next tick would do): an organiser's decision is taken
        here then (Decisions.here), else asked of the leader (Decisions.ask)."""
        return self.leads or await self.lead()

    async def decide(self, decision: Decision, candidate: Candidate | None = None) -> Decided:
        """An organiser's decision, taken where the conference is led (see leads_here)."""
        if await self.leads_here():
            return await self.decisions.here(decision, candidate)
        return await self.decisions.ask(decision, candidate)

    async def _announce(self, what: str) -> None:
        """Tell the other processes (a version kept, or REPLAN); one that misses it finds
        out at its periodic check."""
        if not await self._serving.coordinator.announce(self.key, what):
            log.warning("could not tell the other processes of %s (%s); they find out at"
                        " their next check", self.key, what)  # fmt: skip

    def _announce_soon(self, what: str) -> None:
        """`_announce` from code that does not wait (a wake)."""
        task = asyncio.get_running_loop().create_task(
            self._serving.coordinator.announce(self.key, what), name="confbot-announce"
        )
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _keep_new(self, candidate: Candidate) -> None:
        """Before a new version is swapped in: keep it with what it changed (for the
        notices and /changes), then announce it. A write the disk refuses (WriteFailed)
        leaves it unapplied, so it is never served unrecorded (see ProgramFollower.apply).
        Only where it leads, confirmed first: NotLeading, with nothing kept, elsewhere."""
        if not self.leads or not await self._serving.coordinator.try_lead(self.key):
            raise NotLeading(candidate.seen)
        files = functools.partial(self.follower.files, candidate)
        said = candidate.download.validators if candidate.download is not None else None
        await self._keep(candidate.service.program, candidate.seen, None, candidate.changes,
                         files=files, validators=said)  # fmt: skip
        await self._announce(candidate.seen)

    async def _keep_validators(self, validators: Validators) -> None:
        """New validators for the version served (see ProgramFollower._revalidated), kept
        as the version its address serves: only where it leads (as versions are), and not
        once the bot closed its state."""
        state = self._serving.state
        if state.closed or not self.leads:
            return
        now_ts = int(self._serving.clock.now().timestamp())
        await state.versions.revalidate(self._where, self.follower.seen, validators.etag,
                                        validators.last_modified, now_ts)  # fmt: skip

    async def _changed(self, changes: list[Change]) -> None:
        """A new version, kept, is in the holder: re-plan its reminders, announcements and
        threads (moved items' deliveries move, removed items' are cancelled, and the
        notices of the changes kept are planned), and let the adapter follow (see
        Serving.follow_up)."""
        self.scheduler.wake()
        await self.decisions.swapped()
        await self._serving.follow_up(self, changes)

    async def _keep(
        self, program: Program, seen: str, label: str | None,
        changes: list[Change] | None = None, since_last_served: bool = False,
        files: Callable[[], bytes] | None = None, validators: Validators | None = None,
    ) -> None:  # fmt: skip
        """Keep a version (its fingerprint `seen`), with what it changed, as the version
        its source serves, with `validators` for an address (see bot.live.served); not
        once the bot closed its state (a version applied while it shuts down)."""
        state = self._serving.state
        if state.closed:
            return
        now_ts = int(self._serving.clock.now().timestamp())
        said = validators or Validators()
        source = FromSource(self._where, said.etag, said.last_modified)
        await keep_served(state, self.settings, program, now_ts, label, changes,
                          since_last_served, seen, files, source)  # fmt: skip

    @property
    def _where(self) -> str:
        """Its source as configured (an address, or the operator's program path)."""
        return self.settings.sources[0].where
