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
a lease (LEASE seconds, or CONFBOT_LEASE), renewed every RENEW_EVERY seconds
(CONFBOT_LEASE_RENEW) while its batch lasts, by the scheduler's clock. Recovery takes
only expired leases: a dead process's reserved deliveries become free (another sends
them, once), its one 'sending' is marked lost. On SQLite, where the file lock proves one
process alone, the start takes every hold at once, as before. With a shared state,
recovery also runs on every pass, and the loop looks at the ledger at least every
LOOK_EVERY seconds (CONFBOT_LEDGER_CHECK; another process dying or planning
wakes nobody here); it sleeps until a held delivery's lease ends rather than spinning.

The state database may go out of reach under a running bot (a PostgreSQL server
restarting): a pass that meets it stops, and the next is tried RETRY_STATE seconds later
(or when woken), quietly, since the database logs the outage once. What became of a
delivery whose record the state refused is kept in memory and written first, before
anything else, once it answers: sent (a 'sending' row is never resent, and the record says
it went out), failed or to be retried; and a claim whose commit's answer was lost (the
server went away during COMMIT: committed or not cannot be told then) is looked at again:
the message was not sent, so a row found 'sending' goes back to 'pending', and is sent
once. A stop that finds the state still out of reach logs what it could not record.

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
import functools
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.clock import Clock
from bot.cluster import Slice, process_name
from bot.delivery import registry
from bot.delivery.kind import (
    Delivering,
    Kind,
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
from bot.i18n import Messages, bundled_messages
from bot.kinds import DeliveryState, FailedBecause
from bot.service import ProgramService
from bot.store.connection import StateUnreachable, WriteFailed, unreachable
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
# Seconds between passes while the state database refuses them (out of reach, or a full
# disk): each pass tries it again, and one that goes through sends what waited.
RETRY_STATE = 10.0
PENDING, SENDING = DeliveryState.PENDING, DeliveryState.SENDING
# What became of a delivery, to be written to the ledger (see Scheduler._finish): called
# again, with late=True, once the state answers, if the state refused it.
Finish = Callable[..., Awaitable[None]]


# What a Sender raises, defined with it in bot/delivery/kind.py; importable from here too.
__all__ = ["Scheduler", "Sender", "TargetGone", "TryLater", "Unreachable"]


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _always() -> bool:
    return True


def own_part(burst: Sequence[Delivery], share: float) -> int:
    """How many of a burst a process holding `share` of the shards will send, which its
    pace must fit before the burst is due: every one bound to a server (a process counts
    only those of the servers on its shards: no other takes them), and its share of the
    people's, which every process of a cluster takes, each at its share of the pace
    (Pacer.for_share), so each sends about that share. Counting all of the people's,
    each of two processes started twice as early as the burst needs. A process that is
    down leaves its share of the pace unused and its share of the people's to the
    others: those go later than booked."""
    people = sum(1 for delivery in burst if delivery.kind not in registry.SERVER_KINDS)
    return len(burst) - people + math.ceil(people * share)


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
        messages: Messages | None = None,
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
        # The catalogs its posts and DMs are worded from (bot.i18n).
        self.messages = messages or bundled_messages()
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
        # A pass the state refused is begun and never done, so the number of the last
        # pass done is kept, not only how many were.
        self.passes_begun = 0
        self.passes_done = 0
        self._last_done = 0  # the number (passes_begun at its start) of the last pass done
        # Users with a failed reminder they have not been told about: checked on every
        # command, so kept in memory rather than asked of the database each time.
        self.failed_users: set[int] = set()
        # What became of deliveries whose record the state refused, by id: written first
        # at the next pass (see _finish).
        self._unfinished: dict[int, Finish] = {}
        self.state_refusals = 0  # passes the state refused (a test waits for one)
        self._refused = False  # the state refuses passes (a streak, logged once)

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
        await self._finish_before_stopping()

    async def _finish_before_stopping(self) -> None:
        """What became of deliveries the state refused to record, written if it answers
        now; else said in the log, since it is lost with the process (a row left
        'sending' is marked lost once its lease ends, and never resent)."""
        try:
            await self._finish_unfinished()
        except (WriteFailed, StateUnreachable):
            for delivery_id in sorted(self._unfinished):
                log.warning("delivery %d: what became of it could not be recorded before the"
                            " stop (the state database is out of reach); its record shows"
                            " it interrupted", delivery_id)  # fmt: skip

    def wake(self) -> None:
        """Something changed (a reminder, a setting, the program): re-plan and re-sleep."""
        self._wake.set()

    def passed_since(self, begun: int) -> bool:
        """Whether a whole pass begun after `begun` passes had begun is done: what was due
        or changed when `passes_begun` was `begun` is planned, followed up and sent. So a
        test waits for the deliveries it moved the clock to, not for the wall clock."""
        return self._last_done > begun

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
                number = self.passes_begun
                await self._finish_unfinished()  # before recovery takes this one's rows
                if not self.state.ledger.alone:  # another process may have died
                    await self.recover(starting=False)
                await self.replan()
                await self.follow_up()
                while await self.step():
                    pass
                self.passes_done += 1
                self._last_done = number
                self._refused = False
                await self._sleep_until_next()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                wait = self._pass_failed(exc)
                await woken(self._wake, wait)

    def _pass_failed(self, exc: Exception) -> float:
        """A pass that failed: the seconds before the next. The state refusing it (out of
        reach, which its database logs once an outage; or a full disk, logged here once a
        streak) is tried again soon; anything else is a bug, logged with its traceback."""
        if not isinstance(exc, WriteFailed | StateUnreachable):
            log.exception("scheduler iteration failed; retrying in a minute")
            return 60.0
        self.state_refusals += 1
        if not unreachable(exc) and not self._refused:
            log.error("the deliveries of %s wait: %s; trying again every %.0f s",
                      self.conference, exc, RETRY_STATE)  # fmt: skip
        self._refused = True
        return RETRY_STATE

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
            start = self.pacer.book(self, next_due, own_part(burst, self.shards.share))
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
                if not unreachable(exc):  # an outage is the database's to tell, once
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
        try:
            claimed = await self.state.ledger.claim(
                delivery.id, now_ts, kind.wanted, self.process, now_ts + self.lease
            )
        except (WriteFailed, StateUnreachable):
            # Not sent; claimed or not cannot be told if the commit's answer was lost.
            self._unfinished[delivery.id] = functools.partial(self._unclaim, delivery, now_ts)
            raise
        if not claimed:  # forgotten, switched off, re-planned or taken over since reserved
            return
        try:
            await send()
        except Exception as exc:
            finish = functools.partial(self._after_failure, delivery, kind, ctx, exc, now_ts)
        else:
            self.sent += 1
            finish = functools.partial(self._after_sent, delivery, kind, ctx,
                                       _ts(self.clock.now()))  # fmt: skip
        await self._finish(delivery.id, finish)

    async def _finish(self, delivery_id: int, finish: Finish) -> None:
        """Write what became of a delivery; if the state refuses it, keep it, to be
        written first at the next pass (its row stays 'sending' meanwhile: never resent)."""
        try:
            await finish()
        except (WriteFailed, StateUnreachable):
            self._unfinished[delivery_id] = functools.partial(finish, late=True)
            raise

    async def _finish_unfinished(self) -> None:
        """Write what the state refused to record, in the order it happened; raises (and
        keeps the rest) if it still refuses."""
        for delivery_id, finish in list(self._unfinished.items()):
            await finish()
            del self._unfinished[delivery_id]

    async def _after_sent(
        self, delivery: Delivery, kind: Kind, ctx: Delivering, sent_ts: int, late: bool = False
    ) -> None:
        """Its message went out: 'sent', and its kind's follow-up (a reminder done).
        `late`: recorded after the state answered again; if another process had marked
        the row lost meanwhile (its lease ended), it is corrected, as it did go out."""
        if await self.state.ledger.settle(delivery.id, SENDING, DeliveryState.SENT, sent_ts):
            if late:
                log.info("delivery %d went out while the state database was out of reach;"
                         " recorded as sent now", delivery.id)  # fmt: skip
        elif not late:
            pass  # something else moved it first (see settle): that stands
        elif await self.state.ledger.settle(
            delivery.id, DeliveryState.LOST, DeliveryState.SENT, sent_ts,
            "sent; recorded late, the state database being out of reach",
        ):  # fmt: skip
            log.warning("delivery %d went out, and was marked lost while the state database"
                        " was out of reach; recorded as sent now", delivery.id)  # fmt: skip
        else:  # the commit of 'sent' went through; only its answer was lost
            log.info("delivery %d went out, and its record as sent was kept as the state"
                     " database went out of reach (only the answer was lost)",
                     delivery.id)  # fmt: skip
        await kind.sent(delivery, ctx)

    async def _after_failure(
        self, delivery: Delivery, kind: Kind, ctx: Delivering, exc: Exception, now_ts: int,
        late: bool = False,
    ) -> None:  # fmt: skip
        """Its send failed: failed for good (the recipient or the target gone, its parts
        changed), or to be tried again later (anything else)."""
        if isinstance(exc, Unreachable):
            await self._failed(delivery, f"{FailedBecause.UNREACHABLE}: {exc}", now_ts)
            if await kind.unreachable(delivery, str(exc), ctx):
                await self.replan()
        elif isinstance(exc, TargetGone):
            await self._failed(delivery, f"{FailedBecause.GONE}: {exc}", now_ts)
            if await kind.gone(delivery, str(exc), ctx):
                await self.replan()
        elif isinstance(exc, PartsChanged):  # which messages are left cannot be told
            await self._failed(delivery, str(exc), now_ts)
        else:  # network errors, timeouts, Discord 5xx: all "try later"
            # (a PartlySent too: the retry sends only the messages the ledger did not count)
            wait = exc.retry_after if isinstance(exc, (TryLater, PartlySent)) else None
            await self._try_later(delivery, describe(exc), now_ts, wait)

    async def _unclaim(self, delivery: Delivery, now_ts: int, late: bool = False) -> None:
        """A claim the state refused was not followed by a send. If its commit did go
        through (its answer lost with the connection), the row is this process's,
        'sending' (or lost since): back to 'pending', due as before, to be sent once; if
        it did not, the row is 'pending' still, and nothing is to be done."""
        if await self.state.ledger.unclaim(
            delivery.id, self.process, now_ts,
            "claimed as the state database went out of reach; not sent",
        ):  # fmt: skip
            log.info("delivery %d was claimed as the state database went out of reach (the"
                     " commit went through, its answer was lost) and not sent; due again",
                     delivery.id)  # fmt: skip

    def _delivering(self, now: datetime) -> Delivering:
        return Delivering(self.service, self.state, self.sender, now, self.failed_users,
                          self.shards, self.messages)  # fmt: skip

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
            await self._failed(delivery, f"{FailedBecause.GAVE_UP} {MAX_ATTEMPTS} attempts:"
                               f" {reason}", now_ts)  # fmt: skip
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
