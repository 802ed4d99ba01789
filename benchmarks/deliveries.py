"""How fast a burst of due reminders drains, paced and unpaced, against a local Discord.

    python -m benchmarks.deliveries [--count 1000]

1,000 reminders fall due at once (a popular keynote). They go out through the real
DiscordSender and discord.py's HTTP client to the local fake Discord on 127.0.0.1, which
enforces Discord's global limit of 50 requests a second. Each first DM costs two requests
(open the DM channel, send). Reported: deliveries per second, 429s received, drain time.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import discord

from bot.adapters.discord.delivery import DiscordSender
from bot.adapters.discord.runner import point_at
from bot.clock import FixedClock
from bot.importer.merge import read_program
from bot.reminders.scheduler import Scheduler
from bot.service import ProgramService
from bot.settings import BUNDLED_PROGRAM
from bot.store.state import StateStore
from tests.fakediscord.server import TOKEN, FakeDiscord


async def drain(count: int, pace: float, service: ProgramService, root: Path) -> str:
    fake = FakeDiscord()
    fake.global_limit = 50
    await fake.start()
    point_at(fake.base_url)
    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    state = await StateStore.open(root / f"state-{pace}.db")
    first_user = 10_000
    for i in range(count):
        await state.reminders.add(service.conference.key, first_user + i, None, "p:xiang", 10, 0)
    # The moment every reminder is due (slots hold UTC instants: replacing the hour of one
    # would name another moment, hours before any reminder is due).
    clock = FixedClock(service.talks["xiang"].slot.start - timedelta(minutes=10))
    scheduler = Scheduler(state, lambda: service, clock, DiscordSender(client), pace=pace,
                          batch=100)  # fmt: skip
    await scheduler.replan()
    started = time.perf_counter()
    while await scheduler.step():
        pass
    elapsed = time.perf_counter() - started
    sent = len([m for msgs in fake.channel_messages.values() for m in msgs])
    limited = len(fake.rate_limited)
    await client.close()
    await state.close()
    await fake.stop()
    return (
        f"  pace {pace:>5.2f} s: {sent:,} of {count:,} delivered in {elapsed:6.1f} s"
        f" = {sent / elapsed:6.1f} per second; 429s received: {limited}"
    )


async def main(count: int) -> None:
    service = ProgramService(read_program(BUNDLED_PROGRAM).program)
    print(f"draining {count:,} due reminders (two requests each) against a local Discord"
          " that allows 50 requests a second")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for pace in (0.0, 0.1):
            print(await drain(count, pace, service, Path(tmp)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.deliveries")
    parser.add_argument("--count", type=int, default=1000)
    asyncio.run(main(parser.parse_args().count))
