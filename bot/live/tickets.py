"""Tickets while the bot runs: one pretix client per conference with an event, the ticket
service /register and /tickets use, and each conference's refund watcher.

A client is kept for the bot's life (a 429's Retry-After is honoured by every caller of it).
The watcher runs the refund check (bot.service.refunds) every CONFBOT_PRETIX_INTERVAL
seconds, longer after failures (doubled for each in a row, an hour at most, and never
sooner than pretix's Retry-After), and wakes the conference's scheduler when it marked
registrations, so their roles go at once. Of a cluster of processes, only the one leading
the conference watches (bot.live.conference: the one whose scheduler plans its person-bound
deliveries, refunds among them); every process takes registrations.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.clock import Clock
from bot.service.refunds import RefundCheck, RefundReport
from bot.service.tickets import TicketHasher, TicketService
from bot.settings import PretixEvent, Settings
from bot.store.connection import unreachable
from bot.store.state import StateStore
from bot.tasks import Background, woken
from bot.tickets.client import PretixClient
from bot.tickets.errors import Failure

log = logging.getLogger(__name__)

MAX_BACKOFF = 3_600.0


class RefundWatcher:
    """One conference's refund check, every `interval` seconds."""

    def __init__(
        self, check: RefundCheck, clock: Clock, interval: float, marked: Callable[[], None]
    ) -> None:
        self.check = check
        self.clock = clock
        self.interval = interval
        self._marked = marked
        self.failures = 0
        self.last: RefundReport | None = None
        self._retry_after = 0.0
        self._woken = asyncio.Event()
        self._loop = Background("confbot-refund-watcher", self._run)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    def wake(self) -> None:
        """Check now (a test, or an organiser who asked), not at the end of the wait."""
        self._woken.set()

    def delay(self) -> float:
        backoff = self.interval * 2.0 ** min(self.failures, 10)
        return min(MAX_BACKOFF, max(backoff, self._retry_after))

    async def run_once(self) -> RefundReport:
        report = await self.check.run(self.clock.now())
        self.last = report
        error = report.error
        self.failures = self.failures + 1 if error is not None else 0
        busy = error is not None and error.failure is Failure.BUSY
        self._retry_after = (error.retry_after or 0.0) if busy and error is not None else 0.0
        if report.marked:
            self._marked()
        return report

    async def _run(self) -> None:
        while True:
            await woken(self._woken, self.delay())
            self._woken.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the state failed (a full disk): the next check retries
                self.failures += 1
                if not unreachable(exc):  # an outage: the state database logs it, once
                    log.exception("refund check of %s failed", self.check.conference)


class TicketDesk:
    """The bot's tickets: the service, and per conference with an event its client and,
    where the conference is led, its refund watcher (see the module's docstring)."""

    def __init__(self, state: StateStore, settings: Settings, clock: Clock) -> None:
        self.state = state
        self.settings = settings
        self.clock = clock
        self.hasher = TicketHasher(state.tickets, settings.pretix_hash_key)
        self.service = TicketService(state.tickets, {}, self.hasher)
        self.watchers: dict[str, RefundWatcher] = {}

    def serve(self, conference: str, event: PretixEvent) -> None:
        """Take registrations for a conference."""
        if conference not in self.service.sources:
            self.service.sources[conference] = PretixClient(event)

    def watch(self, conference: str, wake: Callable[[], None]) -> None:
        """Watch a served conference's refunds (`wake`: its scheduler's, called when
        registrations were marked); here only, of a cluster: where it is led."""
        client = self.service.sources.get(conference)
        if client is None or conference in self.watchers:
            return
        check = RefundCheck(conference, client, self.state.tickets, self.hasher)
        watcher = RefundWatcher(check, self.clock, self.settings.pretix_interval, wake)
        self.watchers[conference] = watcher
        watcher.start()

    async def unwatch(self, conference: str) -> None:
        watcher = self.watchers.pop(conference, None)
        if watcher is not None:
            await watcher.stop()

    async def drop(self, conference: str) -> None:
        await self.unwatch(conference)
        self.service.sources.pop(conference, None)

    async def close(self) -> None:
        for conference in list(self.service.sources):
            await self.drop(conference)
