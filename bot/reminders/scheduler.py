"""Deliver reminders and announcements on time, at most once, across restarts and crashes.

One task sleeps until the next due time (no polling), and is woken early when the plan
changes. Each delivery is claimed ('sending', committed, and only if its reminder or
announcement setting still wants it) before the send and marked 'sent' after; a crash in
between leaves 'sending', which the next start marks 'lost' and logs: at most one
delivery per crash is uncertain and none is ever sent twice. Any failure of a send is
retried with backoff a few times. Deliveries that fell due while the bot was down are
sent late if their item has not ended ("started 3 min ago"), and skipped if it has.
Sends are paced by one Pacer shared by every conference (bot/reminders/pacer.py): a
burst of due deliveries is started early enough, by the shared rate and what the other
conferences booked, that its last one still goes out on time. Stopping lets the send in
flight finish and takes no new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from bot.clock import Clock
from bot.delivery import registry
from bot.delivery.kind import Delivering, Kind, Planning, Send, Sender, Skip
from bot.reminders.pacer import MAX_LEAD, Pacer
from bot.reminders.planner import SLOT_REF, SYNC_REF, plan
from bot.render import cards, limits
from bot.render.cards import Card
from bot.service import ProgramService
from bot.service.results import SessionTalk
from bot.store.ledger_store import Delivery, DeliveryKind, DeliveryState, Planned, Wanted
from bot.store.qa_store import QAThread
from bot.store.reminders_store import FOLLOWED
from bot.store.state import StateStore
from bot.tasks import ended

log = logging.getLogger(__name__)

NOTICE_WINDOW = 86_400  # seconds a program change is still worth a notice
MAX_ATTEMPTS = 5
RETRY_AFTER = 15  # seconds before the first retry; doubled for each one after
MAX_SLEEP = 3600.0  # re-check the plan at least hourly, whatever happens
STOP_GRACE = 5.0  # seconds a stop waits for the send in flight before cancelling it
RECHECK = 5.0  # seconds between looks at the shared pace while a burst's start may move
BURST_COUNT_MAX = 10_000  # deliveries counted at one moment; beyond, the lead is MAX_LEAD
PENDING, SENDING = DeliveryState.PENDING, DeliveryState.SENDING


class Unreachable(Exception):
    """This user cannot be sent a DM (closed DMs, blocked bot): do not retry."""


class TargetGone(Exception):
    """The channel or server is gone, or the bot lost permission: stop announcing there."""


class TryLater(Exception):
    """A temporary failure (Discord error, network): retry a few times, then give up.
    Any other exception from a send is treated the same way. `retry_after`: the seconds
    Discord asked to wait (a 429), which the retry honours if longer than the backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


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
    ) -> None:
        """`pacer`: the bot's one pace, shared with every other conference (None: send
        at once, for tests and tools that do not talk to Discord)."""
        self.state = state
        self._service = service
        self.clock = clock
        self.sender = sender
        self.pacer = pacer
        self.batch = batch
        # Deliveries due up to here may go now: a burst's early start (see _sleep_until_next).
        self._horizon = 0
        self._booked: int | None = None  # the moment booked with the pacer, if any
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.sent = 0
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

    async def start(self) -> None:
        """Recover from a crash and start the loop (whose first pass re-plans the ledger)."""
        await self.state.ledger.adopt(self.conference)
        await self.recover()
        failed = await self.state.reminders.find(self.conference, statuses=("failed",))
        self.failed_users = {r.user_id for r in failed if not r.failure_told}
        self._task = asyncio.create_task(self._run(), name="confbot-scheduler")

    async def recover(self) -> list[Delivery]:
        """Deliveries a crash left between 'sending' and 'sent': marked lost, logged, and
        never resent. At most one per crash, since sends happen one at a time."""
        lost = await self.state.ledger.recover_interrupted(self.conference, _ts(self.clock.now()))
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

    async def replan(self) -> None:
        """Every kind's plan, made from the program served now, synced into the ledger."""
        planning = Planning(self.service, self.state, _ts(self.clock.now()))
        planned = await registry.plan(planning) + await self._legacy_plan(planning)
        await self.state.ledger.sync_plan(self.conference, planned, planning.now_ts)

    async def _legacy_plan(self, planning: Planning) -> list[Planned]:
        service = planning.service
        followers = await self.state.reminders.find(self.conference, statuses=FOLLOWED)
        configs = [
            a for a in await self.state.announcements.find() if a.conference == self.conference
        ]
        rooms = await self.state.announcements.rooms(self.conference)
        forums = await self.state.qa.forums(self.conference)
        threads = await self.state.qa.threads(self.conference)
        # Only versions of the last day are told about: after longer downtime, no one
        # needs yesterday's change in a DM.
        recent = await self.state.versions.changes(
            self.conference, _ts(self.clock.now()) - NOTICE_WINDOW
        )
        return plan(service, configs, rooms, forums, threads, recent, followers)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                self._wake.clear()
                await self.replan()
                await self.sync_threads()
                while await self.step():
                    pass
                await self._sleep_until_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler iteration failed; retrying in a minute")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 60)

    async def seconds_until_next(self) -> float:
        """How long the loop sleeps: until the next due delivery, an hour at most; with a
        pacer, until the moment the shared pace says that burst must start."""
        next_due = await self.state.ledger.next_due_ts(self.conference)
        self._booked = None
        if next_due is None:
            if self.pacer is not None:
                self.pacer.unbook(self)
            return MAX_SLEEP
        start = float(next_due)
        if self.pacer is not None:
            burst = await self.state.ledger.due(self.conference, next_due, BURST_COUNT_MAX)
            start = self.pacer.book(self, next_due, len(burst))
            self._booked = next_due
        return min(MAX_SLEEP, max(0.0, start - self.clock.now().timestamp()))

    async def _sleep_until_next(self) -> None:
        """Sleep until woken or the next burst must start. Other conferences booking the
        same or a later moment can move that start earlier (never more than MAX_LEAD
        before the moment), so from then on the pace is looked at every RECHECK seconds;
        once the start is reached, deliveries due up to the booked moment go early."""
        timeout = await self.seconds_until_next()
        moment = self._booked
        if self.pacer is None or moment is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            return
        end = self.clock.now().timestamp() + timeout
        while (left := min(end, self.pacer.start(self)) - self.clock.now().timestamp()) > 0:
            chunk = min(left, max(RECHECK, moment - MAX_LEAD - self.clock.now().timestamp()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), chunk)
                return  # something changed: the loop re-plans and books again
        if self.clock.now().timestamp() >= self.pacer.start(self):
            self._horizon = moment

    # -- delivering ---------------------------------------------------------------------

    async def step(self) -> int:
        """Deliver what is due now (one batch); returns how many were handled."""
        now_ts = max(_ts(self.clock.now()), self._horizon)
        due = await self.state.ledger.due(self.conference, now_ts, self.batch)
        for delivery in due:
            async with self.pacer.turn() if self.pacer else contextlib.nullcontext():
                if self._stopping:
                    return 0
                await self._deliver(delivery)
        return len(due)

    async def _deliver(self, delivery: Delivery) -> None:
        now = self.clock.now()
        now_ts = _ts(now)
        kind = self._kind(delivery.kind)
        ctx = Delivering(self.service, self.state, self.sender, now, self.failed_users)
        try:
            send = await kind.message(delivery, ctx)
        except Skip as skip:
            if await self.state.ledger.settle(delivery.id, PENDING, DeliveryState.SKIPPED, now_ts,
                                              skip.reason):  # fmt: skip
                log.info("skipped delivery %d (%s %s): %s", delivery.id, delivery.kind,
                         delivery.item_ref, skip.reason)  # fmt: skip
            return
        if not await self.state.ledger.claim(delivery.id, now_ts, kind.wanted):
            return  # forgotten, switched off or re-planned since it was fetched
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
        except Exception as exc:  # network errors, timeouts, Discord 5xx: all "try later"
            wait = exc.retry_after if isinstance(exc, TryLater) else None
            await self._try_later(delivery, _describe(exc), now_ts, wait)
            return
        await self.state.ledger.settle(
            delivery.id, SENDING, DeliveryState.SENT, _ts(self.clock.now())
        )
        await kind.sent(delivery, ctx)
        self.sent += 1

    def _kind(self, kind: DeliveryKind) -> Kind:
        return registry.find(kind) or _Legacy(self, kind)

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

    async def disable_qa(self, guild_id: int, reason: str) -> None:
        """The forum is gone or closed to us: no more Q&A threads in this server."""
        if await self.state.qa.disable(guild_id, reason, _ts(self.clock.now())):
            log.warning("Q&A threads disabled in guild %d: %s", guild_id, reason)
            await self.replan()

    async def sync_threads(self) -> None:
        """A talk that moved or was renamed gets its thread's first message edited; one
        removed from the program gets its thread closed with a note. Outside the ledger:
        an edit or a close done twice changes nothing."""
        service = self.service
        for thread in await self.state.qa.threads(self.conference, open_only=True):
            talk = service.remindable(thread.item_ref)
            try:
                if not isinstance(talk, SessionTalk):
                    await self.sender.close_thread(
                        thread.thread_id, "This talk is no longer in the program."
                    )
                    await self.state.qa.save_thread(replace(thread, closed=True))
                elif (signature := thread_signature(talk)) != thread.signature:
                    card = cards.qa_card(talk, service.conference)
                    await self.sender.edit_first_message(thread.thread_id, thread.message_id, card)
                    await self.state.qa.save_thread(replace(thread, signature=signature))
            except Exception as exc:  # tried again on the next pass
                log.warning("could not update Q&A thread %d: %s", thread.thread_id,
                            _describe(exc))  # fmt: skip

    async def disable_room_channel(self, guild_id: int, channel_id: int, reason: str) -> None:
        """A room channel deleted or closed to us: stop posting there (the main
        announcements and other rooms go on)."""
        now_ts = _ts(self.clock.now())
        if await self.state.announcements.disable_room(guild_id, channel_id, reason, now_ts):
            log.warning("room channel %d in guild %d disabled: %s", channel_id, guild_id, reason)
            await self.replan()

    async def _prepare(self, delivery: Delivery, now: datetime) -> Callable[[], Awaitable[None]]:
        """Build the message now (raising Skip if it no longer makes sense)."""
        service = self.service
        conference = service.conference
        if delivery.kind is DeliveryKind.SLOT:
            start = int(delivery.item_ref.removeprefix(SLOT_REF))
            sessions = service.sessions_at(start)
            if not sessions:
                raise Skip("no session starts at that time any more")
            _not_ended(max(s.slot.end for s in sessions), now)
            found = [cards.announcement_card(s, service.session_talks(s), conference, now)
                     for s in sessions]  # fmt: skip
            return lambda: self._post_slot(delivery.target, found)
        if delivery.kind in (DeliveryKind.NOTICE, DeliveryKind.UPDATE):
            return await self._change_notice(delivery)
        if delivery.kind is DeliveryKind.THREAD:
            return self._thread_opener(delivery, now)
        if delivery.kind is DeliveryKind.CLOSE:
            return await self._thread_closer(delivery)
        # A talk starting, in the main channel (TALK) or its room's channel (ROOM), with
        # the stream the server's organisers set for the room, if any.
        talk = _still_on(service, delivery.item_ref, now)
        streams = await self.state.streams.urls(delivery.owner, conference.key)
        text = cards.talk_start_text(talk, conference, now, streams)
        return lambda: self.sender.post(delivery.target, (), text)

    async def _change_notice(self, delivery: Delivery) -> Callable[[], Awaitable[None]]:
        """What a new version changed: a person's own items by DM (NOTICE), everything in
        the announcement channel (UPDATE)."""
        conference = self.service.conference
        sync_id = int(delivery.item_ref.removeprefix(SYNC_REF))
        changes = await self.state.versions.changes(conference.key, sync_id=sync_id)
        if delivery.kind is DeliveryKind.UPDATE:
            found = cards.changes_cards(changes, conference, "📢 Program update")
            return lambda: self._post_slot(delivery.target, found)
        kept = await self.state.reminders.find(conference.key, delivery.owner, statuses=FOLLOWED)
        followed = {r.item_ref for r in kept}
        mine = [c for c in changes if c.item_ref in followed or followed & set(c.session_refs)]
        if not mine:
            raise Skip("none of this person's items changed")
        card = cards.changes_cards(mine, conference, "📢 Program update: your items changed")[0]
        return lambda: self.sender.send_dm(delivery.target, card)

    def _thread_opener(self, delivery: Delivery, now: datetime) -> Callable[[], Awaitable[None]]:
        service = self.service
        talk = _still_on(service, delivery.item_ref, now)
        card = cards.qa_card(talk, service.conference)
        tags = [t for t in (talk.talk.track, talk.slot.room, talk.session.title) if t]

        async def open_thread() -> None:
            thread_id, message_id = await self.sender.open_thread(
                delivery.target, cards.qa_thread_name(talk), card, tags
            )
            await self.state.qa.save_thread(QAThread(
                delivery.owner, service.conference.key, delivery.item_ref, delivery.target,
                thread_id, message_id, thread_signature(talk), closed=False,
            ))  # fmt: skip

        return open_thread

    async def _thread_closer(self, delivery: Delivery) -> Callable[[], Awaitable[None]]:
        thread = await self.state.qa.thread(delivery.target)
        if thread is None or thread.closed:
            raise Skip("the thread is already closed")

        async def close() -> None:
            await self.sender.close_thread(thread.thread_id)
            await self.state.qa.save_thread(replace(thread, closed=True))

        return close

    async def _post_slot(self, channel_id: int, found: list[Card]) -> None:
        # One message per slot; a slot with more parallel sessions than a message holds
        # embeds is split (Discord allows 10 embeds and 6000 characters in all).
        for chunk in _chunks(found):
            await self.sender.post(channel_id, chunk)


def thread_signature(talk: SessionTalk) -> str:
    """What a thread's first message says that a program change can alter."""
    slot = talk.slot
    return f"{talk.title}|{_ts(slot.start)}|{_ts(slot.end)}|{slot.room or ''}"


def _describe(exc: BaseException) -> str:
    """One line for the ledger and the log: the type, and the message if there is one."""
    text = str(exc)
    if isinstance(exc, TryLater):  # already worded by the sender
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _still_on(service: ProgramService, ref: str, now: datetime) -> SessionTalk:
    """The talk a delivery is about, if it is still in the program and not over."""
    talk = service.remindable(ref)
    if not isinstance(talk, SessionTalk):
        raise Skip("the talk is no longer in the program")
    _not_ended(talk.slot.end, now)
    return talk


def _not_ended(end: datetime, now: datetime) -> None:
    if now >= end:
        ago = int((now.timestamp() - end.timestamp()) // 60)
        raise Skip(f"it ended {ago} min before it could be sent (was the bot down?)")


def _chunks(found: list[Card]) -> list[list[Card]]:
    chunks: list[list[Card]] = [[]]
    size = 0
    for card in found:
        too_big = size + card.size() > limits.EMBED_TOTAL_MAX
        if chunks[-1] and (len(chunks[-1]) >= limits.EMBEDS_PER_MESSAGE or too_big):
            chunks.append([])
            size = 0
        chunks[-1].append(card)
        size += card.size()
    return chunks


class _Legacy(Kind):
    """The kinds not yet moved to bot/delivery/kinds, through the scheduler's old code."""

    kind = DeliveryKind.SLOT  # unused: each instance stands for its own kind
    wanted = Wanted.ANNOUNCING
    _WANTED: ClassVar[dict[DeliveryKind, Wanted]] = {
        DeliveryKind.ROOM: Wanted.ROOM_CHANNEL_ON,
        DeliveryKind.THREAD: Wanted.QA_FORUM_ON,
        DeliveryKind.NOTICE: Wanted.ALWAYS,
        DeliveryKind.CLOSE: Wanted.THREAD_OPEN,
    }

    def __init__(self, scheduler: Scheduler, kind: DeliveryKind) -> None:
        self.scheduler = scheduler
        self.delivery_kind = kind
        self.wanted = self._WANTED.get(kind, Wanted.ANNOUNCING)  # type: ignore[misc]

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        return []

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        return await self.scheduler._prepare(delivery, ctx.now)

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        scheduler = self.scheduler
        if delivery.kind in (DeliveryKind.THREAD, DeliveryKind.CLOSE):
            await scheduler.disable_qa(delivery.owner, reason)
        elif delivery.kind is DeliveryKind.ROOM:
            await scheduler.disable_room_channel(delivery.owner, delivery.target, reason)
        else:
            await scheduler.disable_guild(delivery.owner, reason, scheduler.conference)
        return False

    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return False
