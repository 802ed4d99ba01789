"""One run of the scheduler in its own process, as a restarted bot would do it.

    python -m tests.restart_probe STATE LOG AT [--crash-on-send]

STATE is the state database: a SQLite file, or a postgresql:// address.

Delivers what is due at AT (conference local time) with a sender that appends to LOG,
then exits. With --crash-on-send the process dies (os._exit) in the middle of the first
send, after the message "went out" but before 'sent' could be recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.clock import FixedClock
from bot.delivery.scheduler import Scheduler
from bot.importer.merge import read_program
from bot.render.cards import Card
from bot.service import ProgramService
from bot.store.postgres_address import is_postgres
from bot.store.state import StateStore

PROGRAM = Path(__file__).resolve().parent.parent / "data" / "osdi24"


class FileSender:
    def __init__(self, log: Path, crash: bool) -> None:
        self.log = log
        self.crash = crash

    async def send_dm(self, user_id: int, card: Card) -> None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"user": user_id, "title": card.title}) + "\n")
        if self.crash:
            os._exit(9)  # killed after the send, before 'sent' is written

    async def post(self, channel_id: int, cards: Sequence[Card], text: str | None = None) -> None:
        raise AssertionError("no announcements in this probe")


async def main(where: str, log: Path, at: str, crash: bool) -> None:
    service = ProgramService(read_program(PROGRAM).program)
    clock = FixedClock(datetime.fromisoformat(at).replace(tzinfo=service.conference.tz))
    if is_postgres(where):
        state = await StateStore.connect(where)
    else:
        state = await StateStore.open(Path(where))
    scheduler = Scheduler(state, lambda: service, clock, FileSender(log, crash))
    lost = await scheduler.recover()
    await scheduler.replan()
    while await scheduler.step():
        pass
    await state.close()
    print(json.dumps({"lost": [d.item_ref for d in lost], "sent": scheduler.sent}))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    args = sys.argv[1:]
    asyncio.run(main(args[0], Path(args[1]), args[2], "--crash-on-send" in args))
