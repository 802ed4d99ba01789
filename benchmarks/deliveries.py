"""How fast bursts of due deliveries drain against a local Discord, and whether the bot's
one shared pace keeps them under Discord's global limit.

    python -m benchmarks.deliveries [--count 1000] [--conferences 100] [--per 100]
                                    [--seconds 20]

Everything goes out through the real DiscordSender and discord.py's HTTP client to the
local fake Discord on 127.0.0.1, which enforces Discord's global limit of 50 requests a
second (any one second, as it arrives) and answers 429 past it. Each first DM costs two
requests (open the DM channel, send).

1. One conference: `--count` reminders fall due at once (a popular keynote), sent with no
   pace at all, then on the shared pace with CONFBOT_DELIVERY_PACE=0 (no delivery pace:
   requests at 40 a second) and at its default 0.1 (ten deliveries a second, bot-wide).
2. Many conferences: `--conferences` schedulers, each with `--per` reminders due at the
   same moment, running their real loops on one shared pace. They run for `--seconds`
   (the whole drain, 20,000 requests at 40 a second, would take over eight minutes and
   tell nothing more); then they stop, and what Discord saw is reported: the busiest
   second, 429s, and how early the pace would have started this burst had it been booked
   ahead (the lead).
Reported: deliveries and requests a second, the busiest second, 429s received.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import functools
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import discord

from bot.adapters.discord.delivery import RATE_LIMIT_WAIT_MAX, DiscordSender, paced_trace
from bot.adapters.discord.runner import point_at
from bot.clock import FixedClock
from bot.delivery.pacer import Pacer
from bot.delivery.scheduler import Scheduler
from bot.importer.merge import read_program
from bot.render.limits import GLOBAL_REQUESTS_PER_SECOND
from bot.service import ProgramService
from bot.settings import BUNDLED_PROGRAM
from bot.store.state import StateStore
from tests.fakediscord.server import TOKEN, FakeDiscord

KEYNOTE = "xiang"


def busiest_second(times: Sequence[float]) -> int:
    """The most requests that arrived within any one second (Discord's window)."""
    ordered = sorted(times)
    return max((bisect.bisect_right(ordered, t + 1.0) - i for i, t in enumerate(ordered)),
               default=0)  # fmt: skip


async def _client(fake: FakeDiscord, pacer: Pacer | None) -> discord.Client:
    """A discord.py client as the bot makes it: the shared pace on every request."""
    point_at(fake.base_url)
    none = discord.Intents.none()
    client = (
        discord.Client(intents=none, max_ratelimit_timeout=RATE_LIMIT_WAIT_MAX)
        if pacer is None
        else discord.Client(intents=none, http_trace=paced_trace(pacer),
                            max_ratelimit_timeout=RATE_LIMIT_WAIT_MAX)
    )  # fmt: skip
    await client.login(TOKEN)
    return client


def _due_moment(service: ProgramService) -> FixedClock:
    # The moment every reminder is due (slots hold UTC instants: replacing the hour of one
    # would name another moment, hours before any reminder is due).
    return FixedClock(service.talks[KEYNOTE].slot.start - timedelta(minutes=10))


async def drain(count: int, pace: float | None, service: ProgramService, root: Path) -> str:
    """One conference's burst, drained to the end; `pace` None: no pace at all."""
    fake = FakeDiscord()
    fake.global_limit = GLOBAL_REQUESTS_PER_SECOND
    await fake.start()
    pacer = None if pace is None else Pacer(pace)
    client = await _client(fake, pacer)
    state = await StateStore.open(root / f"state-{pace}.db")
    first_user = 10_000
    for i in range(count):
        await state.reminders.add(service.conference.key, first_user + i, None, f"p:{KEYNOTE}",
                                 10, 0)  # fmt: skip
    scheduler = Scheduler(state, lambda: service, _due_moment(service), DiscordSender(client),
                          pacer=pacer, batch=100)  # fmt: skip
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
    name = "no pace" if pace is None else f"pace {pace:.3f} s"
    return (
        f"  {name:>16}: {sent:,} of {count:,} delivered in {elapsed:6.1f} s"
        f" = {sent / elapsed:6.1f} per second; busiest second {busiest_second(fake.request_times)}"
        f" requests; 429s received: {limited}"
    )


def _same(service: ProgramService) -> ProgramService:
    return service


def conference_copies(service: ProgramService, count: int) -> list[ProgramService]:
    """`count` conferences with the same program under their own keys."""
    program = service.program
    return [ProgramService(program.under_key(f"c{n:03d}"), index_later=True) for n in range(count)]


async def crowd(
    conferences: int, per: int, seconds: float, service: ProgramService, root: Path
) -> list[str]:
    """Many conferences' bursts due at one moment, on the bot's one pace, for `seconds`."""
    fake = FakeDiscord()
    fake.global_limit = GLOBAL_REQUESTS_PER_SECOND
    await fake.start()
    pacer = Pacer(0.0)
    client = await _client(fake, pacer)
    sender = DiscordSender(client)
    clock = _due_moment(service)
    state = await StateStore.open(root / "crowd-state.db")
    services = conference_copies(service, conferences)
    for n, copy in enumerate(services):
        for i in range(per):
            await state.reminders.add(copy.conference.key, 100_000 + n * per + i, None,
                                     f"p:{KEYNOTE}", 10, 0)  # fmt: skip
    schedulers = [Scheduler(state, functools.partial(_same, copy), clock, sender, pacer=pacer,
                            batch=100) for copy in services]  # fmt: skip
    started = time.perf_counter()
    for scheduler in schedulers:
        await scheduler.start()
    await asyncio.sleep(seconds)
    await asyncio.gather(*(s.stop() for s in schedulers))
    elapsed = time.perf_counter() - started
    sent = sum(s.sent for s in schedulers)
    requests = len(fake.request_times)
    limited = len(fake.rate_limited)
    await client.close()
    await state.close()
    await fake.stop()
    total = conferences * per
    # Here everything is due when the loops start; a bot running beforehand would have
    # booked the moment, each conference its own share, and started this early:
    ahead = Pacer(0.0)
    moment = clock.now().timestamp()
    lead = max(moment - ahead.book(n, moment, per) for n in range(conferences))
    return [
        f"  {conferences} conferences x {per} due at one moment, one shared pace"
        f" ({pacer.rate:.0f} requests a second), run for {elapsed:.0f} s:",
        f"    {sent:,} of {total:,} delivered, {requests:,} requests"
        f" = {requests / elapsed:.1f} a second; busiest second"
        f" {busiest_second(fake.request_times)} requests (Discord allows"
        f" {GLOBAL_REQUESTS_PER_SECOND}); 429s received: {limited}",
        f"    booked ahead, this burst would start {lead:.0f} s before it is due"
        f" (at most 900 s); all of it drains in about {total * 2 / pacer.rate:.0f} s",
    ]


async def main(count: int, conferences: int, per: int, seconds: float) -> None:
    service = ProgramService(read_program(BUNDLED_PROGRAM).program)
    print(f"draining {count:,} due reminders (two requests each) against a local Discord"
          f" that allows {GLOBAL_REQUESTS_PER_SECOND} requests a second")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for pace in (None, 0.0, 0.1):
            print(await drain(count, pace, service, Path(tmp)))
        for line in await crowd(conferences, per, seconds, service, Path(tmp)):
            print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.deliveries")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--conferences", type=int, default=100)
    parser.add_argument("--per", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(main(args.count, args.conferences, args.per, args.seconds))
