"""Deliver reminders and announcements on time, at most once, across restarts and crashes.

The ledger loop every delivery kind shares: what each kind plans, says and switches off
is its own module's (bot/delivery/kinds, listed in bot/delivery/registry.py); here is
only what is the same for all of them. One task sleeps until the next due time (no
polling), and is woken early when the plan changes. It reserves its next batch of due
deliveries in one statement, then claims each ('sending', committed, and only if still
its own or free and its kind's rule says it is still wanted: its reminder is armed, its
server still announces) before the send and marks it 'sent' after; a crash in between
leaves 'sending', which recovery marks 'lost' and logs: at most one delivery per crash is
uncertain and none is ever sent twice.

Several processes may share the ledger (a cluster on PostgreSQL). Each has a name
(bot.cluster.process_name) and a slice of Discord's shards: it reserves and plans the
server-bound deliveries of the servers on its shards only; a person's DMs any process
sends, and only a process told it plans them (plans_people, meant for the one leading
the conference; True by default) plans them. What a process reserves or claims carries
a lease (LEASE), renewed every RENEW_EVERY seconds while its batch lasts, by the
scheduler's clock. Recovery takes only expired leases: a dead process's reserved
deliveries become free (another sends them, once), its one 'sending' is marked lost. On
SQLite, where the file lock proves one process alone, the start takes every hold at
once, as before. With a shared state, recovery also runs on every pass, and the loop
looks at the ledger at least every LOOK_EVERY seconds (another process dying or planning
wakes nobody here); it sleeps until a held delivery's lease ends rather than spinning.

Any failure of a send is retried with backoff a few times; one of several messages (a
slot's post) that failed midway resumes after the messages the ledger counted as sent
(in_order, bot/delivery/shared.py). Deliveries that fell due while the bot was down are
sent late if their item has not ended ("started 3 min ago"), and skipped if it has.
Sends are paced by one Pacer shared by every conference (bot/delivery/pacer.py): a
burst of due deliveries is started early enough, by the shared rate and what the other
conferences booked, that its last one still goes out on time. Stopping lets the send in
flight finish, takes no new one and lets go of the rest of its batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from datetime import datetime

from bot.clock import Clock
from bot.cluster import Slice, process_name
from bot.delivery import registry
from bot.delivery.kind import (
    Delivering,
    PartlySent,
    PartsChanged,
    Planning,
    Sender,
    Skip,
    TargetGone,
    TryLater,
    Unreachable,
    describe,
)
from bot.delivery.pacer import MAX_LEAD, Pacer
from bot.kinds import DeliveryState
from bot.service import ProgramService
from bot.store.ledger_store import Delivery, Scope
from bot.store.state import StateStore
from bot.tasks import ended, stopped, woken

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = 15  # seconds before the first retry; doubled for each one after
MAX_SLEEP = 3600.0  # re-check the plan at least hourly, whatever happens
STOP_GRACE = 5.0  # seconds a stop waits for the send in flight before cancelling it
RECHECK = 5.0  # seconds between looks at the shared pace while a burst's start may move
BURST_COUNT_MAX = 10_000  # deliveries counted at one moment; beyond, the lead is MAX_LEAD
LEASE = 60  # seconds a reserved or sending delivery stays this process's without renewal
RENEW_EVERY = 20.0  # seconds between renewals of those leases while it holds any
# With a state shared by several processes: seconds between looks at the ledger at most
# (another process's dead leases, a plan made elsewhere, are seen at the latest then).
LOOK_EVERY = 20.0
PENDING, SENDING = DeliveryState.PENDING, DeliveryState.SENDING


# What a Sender raises, defined with it in bot/delivery/kind.py; importable from here too.
__all__ = ["Scheduler", "Sender", "TargetGone", "TryLater", "Unreachable"]


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _always() -> bool:
    return True


class Scheduler:
    def __init__(
        self,
        state: StateStore,
        service: Callable[[], ProgramService],
        clock: Clock,
        sender: Sender,
        *,
        pacer: Pacer | None = None,
        batch: int = 50,
        process: str | None = None,
        shards: Slice | None = None,
        plans_people: Callable[[], bool] = _always,
        lease: int = LEASE,
        renew_every: float = RENEW_EVERY,
        look_every: float = LOOK_EVERY,
    ) -> None:
        """`pacer`: the bot's one pace, shared with every other conference (None: send
        at once, for tests and tools that do not talk to Discord). `process`: this
        process's name in the ledger, made once at its start (bot.cluster.process_name;
        a new one if not given). `shards`: its slice of Discord's shards (all of them by
        default): it takes and plans the server-bound deliveries of those servers only.
        `plans_people`: asked at each re-plan, whether it plans the person-bound ones
        (DMs) too (in a cluster, only the process leading the conference does; any
        process sends them). `lease`, `renew_every`, `look_every`: see LEASE and below."""
        self.state = state
        self._service = service
        self.clock = clock
        self.sender = sender
        self.pacer = pacer
        self.batch = batch
        self.process = process or process_name()
        self.shards = shards or Slice()
        self.plans_people = plans_people
        self.lease = lease
        self.renew_every = renew_every
        self.look_every = look_every
        self.renewals = 0  # leases renewed so far (a test waits for one)
        # Deliveries due up to here may go now: a burst's early start (see _sleep_until_next).
        self._horizon = 0
        self._booked: int | None = None  # the moment booked with the pacer, if any
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.sent = 0
        # Passes begun and passes done (planned, followed up, every due delivery sent):
        # one that began after a wake has seen what the wake was for (see passed_since).
        self.passes_begun = 0
        self.passes_done = 0
        # Users with a failed reminder they have not been told about: checked on every
        # command, so kept in memory rather than asked of the database each time.
        self.failed_users: set[int] = set()

    @property
    def service(self) -> ProgramService:
        """Read on every use: a program reload swaps the service under us."""
        return self._service()

    @property
    def conference(self) -> str:
        return self.service.conference.key

    # -- lifecycle ----------------------------------------------------------------------

    def scope(self, people: bool = True) -> Scope:
        """The deliveries this process takes (people's: any process may send them) or
        plans (people's only if it plans them): those of the servers on its shards."""
        return Scope(registry.SERVER_KINDS, self.shards, people)

    async def start(self) -> None:
        """Recover from a crash and start the loop (whose first pass re-plans the ledger)."""
        await self.state.ledger.adopt(self.conference)
        await self.recover(starting=True)
        ctx = self._delivering(self.clock.now())
        for kind in registry.KINDS:
            await kind.started(ctx)
        self._task = asyncio.create_task(self._run(), name="confbot-scheduler")

    async def recover(self, *, starting: bool = True) -> list[Delivery]:
        """Deliveries a dead process left between 'sending' and 'sent': marked lost,
        logged, and never resent (at most one per crash, since a process sends one at a
        time); those it only reserved are free again. A process alone on its state (SQLite)
        takes every hold when `starting`: all are a dead one's. With a shared state only
        expired leases are taken (a live process renews its own), at start and on every
        pass of the loop, so a dead process's deliveries are taken over once they expire."""
        alone = starting and self.state.ledger.alone
        now_ts = _ts(self.clock.now())
        lost = await self.state.ledger.recover_interrupted(self.conference, now_ts, alone=alone)
        for delivery in lost:
            log.warning(
                "delivery %d (%s %s to %d) was interrupted between sending and sent:"
                " possibly lost, not resent",
                delivery.id, delivery.kind, delivery.item_ref, delivery.target,
            )  # fmt: skip
        return lost

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Take no new delivery, let the one in flight finish (up to `grace` seconds:
        cancelling mid-send would leave it 'lost'), then end the loop."""
        self._stopping = True
        self._wake.set()
        if self.pacer is not None:
            self.pacer.unbook(self)
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=grace)
        if not done:
            log.warning("a delivery was still in flight after %.0f s; stopping anyway", grace)
            self._task.cancel()
        task, self._task = self._task, None
        await ended(task)

    def wake(self) -> None:
        """Something changed (a reminder, a setting, the program): re-plan and re-sleep."""
        self._wake.set()

    def passed_since(self, begun: int) -> bool:
        """Whether a whole pass begun after `begun` passes had begun is done: what was due
        or changed when `passes_begun` was `begun` is planned, followed up and sent. So a
        test waits for the deliveries it moved the clock to, not for the wall clock."""
        return self.passes_done > begun

    async def replan(self) -> None:
        """Every kind's plan, made from the program served now, synced into the ledger
        within this process's scope (the rest is another process's to plan)."""
        planning = Planning(self.service, self.state, _ts(self.clock.now()))
        planned = await registry.plan(planning)
        scope = self.scope(people=self.plans_people())
        await self.state.ledger.sync_plan(self.conference, planned, planning.now_ts, scope)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                self._wake.clear()
                self.passes_begun += 1
                if not self.state.ledger.alone:  # another process may have died
                    await self.recover(starting=False)
                await self.replan()
                await self.follow_up()
                while await self.step():
                    pass
                self.passes_done += 1
                await self._sleep_until_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler iteration failed; retrying in a minute")
                await woken(self._wake, 60)

    async def seconds_until_next(self) -> float:
        """How long the loop sleeps: until the next due delivery, an hour at most; with a
        pacer, until the moment the shared pace says that burst must start."""
        now_ts = _ts(self.clock.now())
        next_due = await self.state.ledger.next_due_ts(
            self.conference, self.scope(), self.process, now_ts
        )
        self._booked = None
        # With a shared state, what other processes do (die, plan) wakes nobody here.
        longest = MAX_SLEEP if self.state.ledger.alone else min(MAX_SLEEP, self.look_every)
        if next_due is None:
            if self.pacer is not None:
                self.pacer.unbook(self)
            return longest
        start = float(next_due)
        if self.pacer is not None:
            burst = await self.state.ledger.due(
                self.conference, next_due, BURST_COUNT_MAX, self.scope()
            )
            start = self.pacer.book(self, next_due, len(burst))
            self._booked = next_due
        return min(longest, max(0.0, start - self.clock.now().timestamp()))

    async def _sleep_until_next(self) -> None:
        """Sleep until woken or the next burst must start. Other conferences booking the
        same or a later moment can move that start earlier (never more than MAX_LEAD
        before the moment), so from then on the pace is looked at every RECHECK seconds;
        once the start is reached, deliveries due up to the booked moment go early."""
        timeout = await self.seconds_until_next()
        moment = self._booked
        if self.pacer is None or moment is None:
            await woken(self._wake, timeout)
            return
        end = self.clock.now().timestamp() + timeout
        while (left := min(end, self.pacer.start(self)) - self.clock.now().timestamp()) > 0:
            chunk = min(left, max(RECHECK, moment - MAX_LEAD - self.clock.now().timestamp()))
            if await woken(self._wake, chunk):
                return  # something changed: the loop re-plans and books again
        if self.clock.now().timestamp() >= self.pacer.start(self):
            self._horizon = moment

    # -- delivering ---------------------------------------------------------------------

    async def step(self) -> int:
        """Deliver what is due now: one batch, reserved for this process in one statement
        and each delivery claimed before its send; returns how many were handled. While
        it lasts, the leases of the batch are renewed; a stop lets go of what is left."""
        now_ts = _ts(self.clock.now())
        due = await self.state.ledger.reserve(
            self.conference, self.scope(), self.process, max(now_ts, self._horizon), now_ts,
            now_ts + self.lease, self.batch,
        )  # fmt: skip
        if not due:
            return 0
        renewing = asyncio.create_task(self._keep_leases(), name="confbot-leases")
        try:
            for delivery in due:
                async with self.pacer.turn() if self.pacer else contextlib.nullcontext():
                    if self._stopping:
                        break
                    await self._deliver(delivery)
        finally:
            await stopped(renewing)
        if self._stopping:
            await self.state.ledger.release(self.conference, self.process)
            return 0
        return len(due)

    async def renew(self) -> int:
        """Extend the leases of what this process holds of the conference (a batch, the
        send in flight) to LEASE seconds from now, by the scheduler's clock; how many."""
        until = _ts(self.clock.now()) + self.lease
        renewed = await self.state.ledger.renew(self.conference, self.process, until)
        self.renewals += 1
        return renewed

    async def _keep_leases(self) -> None:
        """Renew every `renew_every` seconds until cancelled (the batch is done). A renewal
        that fails is tried again at the next: a lease lasts several renewals."""
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                await self.renew()
            except Exception as exc:
                log.warning("could not renew the leases of %s's deliveries: %s",
                            self.conference, describe(exc))  # fmt: skip

    async def _deliver(self, delivery: Delivery) -> None:
        now = self.clock.now()
        now_ts = _ts(now)
        kind = registry.kind_for(delivery.kind)
        ctx = self._delivering(now)
        try:
            send = await kind.message(delivery, ctx)
        except Skip as skip:
            if await self.state.ledger.settle(delivery.id, PENDING, DeliveryState.SKIPPED, now_ts,
                                              skip.reason):  # fmt: skip
                log.info("skipped delivery %d (%s %s): %s", delivery.id, delivery.kind,
                         delivery.item_ref, skip.reason)  # fmt: skip
            return
        claimed = await self.state.ledger.claim(
            delivery.id, now_ts, kind.wanted, self.process, now_ts + self.lease
        )
        if not claimed:  # forgotten, switched off, re-planned or taken over since reserved
            return
        try:
            await send()
        except Unreachable as exc:
            await self._failed(delivery, f"recipient unreachable: {exc}", now_ts)
            if await kind.unreachable(delivery, str(exc), ctx):
                await self.replan()
            return
        except TargetGone as exc:
            await self._failed(delivery, f"target gone: {exc}", now_ts)
            if await kind.gone(delivery, str(exc), ctx):
                await self.replan()
            return
        except PartsChanged as exc:  # which messages are left cannot be told: send no more
            await self._failed(delivery, str(exc), now_ts)
            return
        except Exception as exc:  # network errors, timeouts, Discord 5xx: all "try later"
            # (a PartlySent too: the retry sends only the messages the ledger did not count)
            wait = exc.retry_after if isinstance(exc, (TryLater, PartlySent)) else None
            await self._try_later(delivery, describe(exc), now_ts, wait)
            return
        await self.state.ledger.settle(
            delivery.id, SENDING, DeliveryState.SENT, _ts(self.clock.now())
        )
        await kind.sent(delivery, ctx)
        self.sent += 1

    def _delivering(self, now: datetime) -> Delivering:
        return Delivering(self.service, self.state, self.sender, now, self.failed_users,
                          self.shards)  # fmt: skip

    async def follow_up(self) -> None:
        """Each kind keeps what it delivered earlier in step with the program now served
        (a Q&A thread's first message follows its talk), in the servers on its shards."""
        ctx = self._delivering(self.clock.now())
        for kind in registry.KINDS:
            await kind.follow(ctx)

    async def _try_later(
        self, delivery: Delivery, reason: str, now_ts: int, retry_after: float | None = None
    ) -> None:
        """Back off 15, 30, 60, 120 s, or longer if Discord asked (a 429's retry_after
        for this route: sooner would only draw another 429)."""
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._failed(delivery, f"gave up after {MAX_ATTEMPTS} attempts: {reason}",
                               now_ts)  # fmt: skip
            return
        backoff = RETRY_AFTER * 2 ** (attempts - 1)
        retry = now_ts + max(backoff, math.ceil(retry_after or 0))
        await self.state.ledger.settle(delivery.id, SENDING, PENDING, now_ts, reason, due_ts=retry)
        log.warning("delivery %d failed (%s); retry %d of %d in %d s", delivery.id, reason,
                    attempts, MAX_ATTEMPTS - 1, retry - now_ts)  # fmt: skip

    async def _failed(self, delivery: Delivery, reason: str, now_ts: int) -> None:
        await self.state.ledger.settle(delivery.id, SENDING, DeliveryState.FAILED, now_ts, reason)
        log.warning("delivery %d (%s %s to %d) failed: %s", delivery.id, delivery.kind,
                    delivery.item_ref, delivery.target, reason)  # fmt: skip

    async def disable_guild(
        self, guild_id: int, reason: str, conference: str | None = None
    ) -> None:
        """Stop announcing in a server that removed us (every conference), or one
        conference's announcements whose channel is gone or refuses our posts."""
        now_ts = _ts(self.clock.now())
        if await self.state.announcements.disable(guild_id, reason, now_ts, conference):
            log.warning("announcements disabled in guild %d: %s", guild_id, reason)
            await self.replan()
