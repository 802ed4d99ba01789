"""What an organiser's announcement channel receives on a big program: for each moment
something is posted, the messages and characters sent (embeds' counted text and content),
with `/announce channel` on (10 minutes before, a line per talk as it starts).

    python -m benchmarks.channels [program file] [--day 2025-02-01]

The day's deliveries run through the real scheduler and delivery kinds, with a sender
that records what it would send (no Discord): the busiest moments are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.clock import FixedClock
from bot.delivery.scheduler import Scheduler
from bot.importer.registry import read_source
from bot.render.cards import Card
from bot.service import ProgramService
from bot.store.state import StateStore

FOSDEM = Path(__file__).resolve().parents[1].parent / "shared/data/real-programs"
DEFAULT = FOSDEM / "fosdem-2025.schedule.xml"
GUILD, CHANNEL = 1, 2


class Counting:
    """A Sender that keeps, per moment, the messages and characters it was handed."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.sent: dict[datetime, list[int]] = {}

    async def post(self, channel_id: int, cards: Sequence[Card], text: str | None = None) -> None:
        size = sum(card.size() for card in cards) + len(text or "")
        self.sent.setdefault(self.clock.now(), []).append(size)

    async def send_dm(self, user_id: int, card: Card) -> None:
        return None

    async def open_thread(
        self, forum_id: int, name: str, card: Card, tags: Sequence[str]
    ) -> tuple[int, int]:
        return 0, 0

    async def edit_first_message(self, thread_id: int, message_id: int, card: Card) -> None:
        return None

    async def rename_thread(self, thread_id: int, name: str) -> None:
        return None

    async def close_thread(self, thread_id: int, note: str | None = None) -> None:
        return None

    async def reopen_thread(self, thread_id: int) -> None:
        return None


async def measure(path: Path, day: date | None) -> None:
    service = ProgramService(read_source(path).program)
    tz = service.conference.tz
    day = day or service.conference.days[0]
    start = datetime.combine(day, datetime.min.time(), tz)
    clock = FixedClock(start)
    sender = Counting(clock)
    with tempfile.TemporaryDirectory() as folder:
        state = await StateStore.open(Path(folder) / "state.db")
        try:
            scheduler = Scheduler(state, lambda: service, clock, sender)
            key = service.conference.key
            await state.announcements.save(GUILD, key, CHANNEL, 10, True, int(start.timestamp()))
            moment = start
            while moment < start + timedelta(days=1):
                clock.at = moment
                await scheduler.replan()
                while await scheduler.step():
                    pass
                moment += timedelta(minutes=1)
        finally:
            await state.close()
    busiest = sorted(sender.sent.items(), key=lambda kv: -sum(kv[1]))[:5]
    total = sum(len(v) for v in sender.sent.values())
    print(f"{path.name}, {day}: {total} messages in the day; busiest moments:")
    for at, sizes in busiest:
        print(f"  {at.astimezone(tz):%H:%M}  {len(sizes)} messages, {sum(sizes):,} characters")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("program", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--day", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    asyncio.run(measure(args.program, args.day))


if __name__ == "__main__":
    main()
