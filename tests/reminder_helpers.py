"""A recording Sender and a scheduler on a real SQLite file with a clock we move."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.clock import FixedClock
from bot.delivery.scheduler import Scheduler
from bot.render.cards import Card
from bot.service import ProgramService
from bot.store.state import StateStore


@dataclass
class RecordingSender:
    dms: list[tuple[int, Card]] = field(default_factory=list)
    posts: list[tuple[int, list[Card], str | None]] = field(default_factory=list)
    fail_with: Exception | None = None
    failing_channels: set[int] = field(default_factory=set)  # fail_with only there, if set
    delivered: asyncio.Event = field(default_factory=asyncio.Event)

    async def send_dm(self, user_id: int, card: Card) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.dms.append((user_id, card))
        self.delivered.set()

    threads: list[tuple[int, str, Card, list[str]]] = field(default_factory=list)
    edits: list[tuple[int, int, Card]] = field(default_factory=list)
    closed: list[tuple[int, str | None]] = field(default_factory=list)
    renamed: list[tuple[int, str]] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)

    async def open_thread(
        self, forum_id: int, name: str, card: Card, tags: Sequence[str]
    ) -> tuple[int, int]:
        if self.fail_with is not None and (not self.failing_channels
                                           or forum_id in self.failing_channels):  # fmt: skip
            raise self.fail_with
        self.threads.append((forum_id, name, card, list(tags)))
        return 5000 + len(self.threads), 6000 + len(self.threads)

    async def edit_first_message(self, thread_id: int, message_id: int, card: Card) -> None:
        self.edits.append((thread_id, message_id, card))

    async def rename_thread(self, thread_id: int, name: str) -> None:
        self.renamed.append((thread_id, name))

    async def close_thread(self, thread_id: int, note: str | None = None) -> None:
        self.closed.append((thread_id, note))

    async def reopen_thread(self, thread_id: int) -> None:
        self.reopened.append(thread_id)

    async def post(self, channel_id: int, cards: Sequence[Card], text: str | None = None) -> None:
        wanted = not self.failing_channels or channel_id in self.failing_channels
        if self.fail_with is not None and wanted:
            raise self.fail_with
        self.posts.append((channel_id, list(cards), text))


@dataclass
class Rig:
    state: StateStore
    scheduler: Scheduler
    sender: RecordingSender
    clock: FixedClock
    holder: list[ProgramService]

    @property
    def service(self) -> ProgramService:
        return self.holder[0]

    def swap_program(self, service: ProgramService) -> None:
        self.holder[0] = service

    async def remind(self, user_id: int, ref: str, minutes: int = 10) -> None:
        key = self.service.conference.key
        await self.state.reminders.add(
            key, user_id, 1, ref, minutes, int(self.clock.now().timestamp())
        )
        await self.scheduler.replan()

    async def at(self, moment) -> int:
        """Move the clock and deliver what is due, as the loop would."""
        self.clock.at = moment
        await self.scheduler.replan()
        total = 0
        while handled := await self.scheduler.step():
            total += handled
        return total


async def make_rig(service: ProgramService, path: Path | StateStore, clock: FixedClock) -> Rig:
    """A scheduler on the state database at `path`, or on an open one: conferences share
    the bot's one StateStore, as one process alone may open the file."""
    state = path if isinstance(path, StateStore) else await StateStore.open(path)
    sender = RecordingSender()
    holder = [service]
    scheduler = Scheduler(state, lambda: holder[0], clock, sender)
    return Rig(state, scheduler, sender, clock, holder)
