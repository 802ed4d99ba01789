"""Deliver reminders and announcements on time, at most once, across restarts and crashes.

One task sleeps until the next due time (no polling), and is woken early when the plan
changes. Each delivery is marked 'sending' (committed) before the send and 'sent' after;
a crash in between leaves 'sending', which the next start marks 'lost' and logs: at most
one delivery per crash is uncertain and none is ever sent twice. Deliveries that fell due
while the bot was down are sent late if their item has not ended ("started 3 min ago"),
and skipped if it has. Sends are paced so a burst of due reminders never floods Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.model import Session
from bot.reminders.planner import SLOT_REF, plan
from bot.render import cards
from bot.render.cards import Card
from bot.service import ProgramService
from bot.service.results import Talk
from bot.store.state import Delivery, StateStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_AFTER = 60  # seconds, times the attempt number
MAX_SLEEP = 3600.0  # re-check the plan at least hourly, whatever happens
EMBEDS_PER_MESSAGE = 10


class Unreachable(Exception):
    """This user cannot be sent a DM (closed DMs, blocked bot): do not retry."""


class TargetGone(Exception):
    """The channel or server is gone, or the bot lost permission: stop announcing there."""


class TryLater(Exception):
    """A temporary failure (Discord error, network): retry a few times, then give up."""


class Sender(Protocol):
    """How deliveries leave the process; the Discord adapter implements it."""

    async def send_dm(self, user_id: int, card: Card) -> None: ...

    async def post(
        self, channel_id: int, cards: Sequence[Card], text: str | None = None
    ) -> None: ...


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
        pace: float = 0.1,
        batch: int = 50,
    ) -> None:
        self.state = state
        self._service = service
        self.clock = clock
        self.sender = sender
        self.pace = pace
        self.batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
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
        await self.recover()
        failed = await self.state.reminders(self.conference, statuses=("failed",))
        self.failed_users = {r.user_id for r in failed if not r.failure_told}
        self._task = asyncio.create_task(self._run(), name="confbot-scheduler")

    async def recover(self) -> list[Delivery]:
        """Deliveries a crash left between 'sending' and 'sent': marked lost, logged, and
        never resent. At most one per crash, since sends happen one at a time."""
        lost = await self.state.recover_interrupted(_ts(self.clock.now()))
        for delivery in lost:
            log.warning(
                "delivery %d (%s %s to %d) was interrupted between sending and sent:"
                " possibly lost, not resent",
                delivery.id, delivery.kind, delivery.item_ref, delivery.target,
            )  # fmt: skip
        return lost

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Something changed (a reminder, a setting, the program): re-plan and re-sleep."""
        self._wake.set()

    async def replan(self) -> None:
        service = self.service
        reminders = await self.state.reminders(self.conference)
        configs = [a for a in await self.state.announcements() if a.conference == self.conference]
        await self.state.sync_plan(plan(service, reminders, configs), _ts(self.clock.now()))

    async def _run(self) -> None:
        while True:
            try:
                self._wake.clear()
                await self.replan()
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
        """How long the loop sleeps: until the next due delivery, an hour at most."""
        next_due = await self.state.next_due_ts()
        if next_due is None:
            return MAX_SLEEP
        return min(MAX_SLEEP, max(0.0, next_due - self.clock.now().timestamp()))

    async def _sleep_until_next(self) -> None:
        timeout = await self.seconds_until_next()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    # -- delivering ---------------------------------------------------------------------

    async def step(self) -> int:
        """Deliver what is due now (one batch); returns how many were handled."""
        due = await self.state.due(_ts(self.clock.now()), self.batch)
        for index, delivery in enumerate(due):
            if index and self.pace:
                await asyncio.sleep(self.pace)
            await self._deliver(delivery)
        return len(due)

    async def _deliver(self, delivery: Delivery) -> None:
        now = self.clock.now()
        now_ts = _ts(now)
        try:
            send = self._prepare(delivery, now)
        except _Skip as skip:
            await self.state.mark(delivery.id, "skipped", now_ts, skip.reason)
            log.info("skipped delivery %d (%s %s): %s", delivery.id, delivery.kind,
                     delivery.item_ref, skip.reason)  # fmt: skip
            return
        await self.state.mark(delivery.id, "sending", now_ts)
        try:
            await send()
        except Unreachable as exc:
            await self._failed(delivery, f"recipient unreachable: {exc}", now_ts)
            if delivery.kind == "reminder":
                await self.state.set_reminder_status(delivery.owner, "failed", "dms_closed")
                self.failed_users.add(delivery.target)
            return
        except TargetGone as exc:
            await self._failed(delivery, f"target gone: {exc}", now_ts)
            await self.disable_guild(delivery.owner, str(exc))
            return
        except TryLater as exc:
            if delivery.attempts + 1 >= MAX_ATTEMPTS:
                await self._failed(
                    delivery, f"gave up after {MAX_ATTEMPTS} attempts: {exc}", now_ts
                )
            else:
                retry = now_ts + RETRY_AFTER * (delivery.attempts + 1)
                await self.state.mark(delivery.id, "pending", now_ts, str(exc), due_ts=retry)
                log.warning("delivery %d failed (%s); retrying", delivery.id, exc)
            return
        await self.state.mark(delivery.id, "sent", _ts(self.clock.now()))
        if delivery.kind == "reminder":
            await self.state.set_reminder_status(delivery.owner, "done")
        self.sent += 1

    async def _failed(self, delivery: Delivery, reason: str, now_ts: int) -> None:
        await self.state.mark(delivery.id, "failed", now_ts, reason)
        log.warning("delivery %d (%s %s to %d) failed: %s", delivery.id, delivery.kind,
                    delivery.item_ref, delivery.target, reason)  # fmt: skip

    async def disable_guild(self, guild_id: int, reason: str) -> None:
        """Stop announcing in a server that removed us, lost the channel or our permission."""
        if await self.state.disable_announcements(guild_id, reason, _ts(self.clock.now())):
            log.warning("announcements disabled in guild %d: %s", guild_id, reason)
            await self.replan()

    def _prepare(self, delivery: Delivery, now: datetime) -> Callable[[], object]:
        """Build the message now (raising _Skip if it no longer makes sense)."""
        service = self.service
        conference = service.conference
        if delivery.kind == "reminder":
            item = service.remindable(delivery.item_ref)
            if item is None:
                raise _Skip("the item is no longer in the program")
            _not_ended(item.slot.end, now)
            talks = service.session_talks(item) if isinstance(item, Session) else ()
            card = cards.reminder_card(item, conference, now, talks)
            return lambda: self.sender.send_dm(delivery.target, card)
        if delivery.kind == "slot":
            start = int(delivery.item_ref.removeprefix(SLOT_REF))
            sessions = service.sessions_at(start)
            if not sessions:
                raise _Skip("no session starts at that time any more")
            _not_ended(max(s.slot.end for s in sessions), now)
            found = [cards.announcement_card(s, service.session_talks(s), conference, now)
                     for s in sessions]  # fmt: skip
            return lambda: self._post_slot(delivery.target, found)
        talk = service.remindable(delivery.item_ref)
        if not isinstance(talk, Talk):
            raise _Skip("the talk is no longer in the program")
        _not_ended(talk.slot.end, now)
        text = cards.talk_start_text(talk, conference, now)
        return lambda: self.sender.post(delivery.target, (), text)

    async def _post_slot(self, channel_id: int, found: list[Card]) -> None:
        # One message per slot; a slot with more parallel sessions than a message holds
        # embeds is split (Discord allows 10 embeds and 6000 characters in all).
        for chunk in _chunks(found):
            await self.sender.post(channel_id, chunk)


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _not_ended(end: datetime, now: datetime) -> None:
    if now >= end:
        ago = int((now - end).total_seconds() // 60)
        raise _Skip(f"it ended {ago} min before it could be sent (was the bot down?)")


def _chunks(found: list[Card]) -> list[list[Card]]:
    chunks: list[list[Card]] = [[]]
    size = 0
    for card in found:
        too_big = size + card.size() > cards.TOTAL_MAX
        if chunks[-1] and (len(chunks[-1]) >= EMBEDS_PER_MESSAGE or too_big):
            chunks.append([])
            size = 0
        chunks[-1].append(card)
        size += card.size()
    return chunks
