"""What ticket registration and the refund check cost against a large pretix event.

    python -m benchmarks.tickets [--orders 50000] [--registrations 300] [--changed 5000]

Everything runs against the fake pretix on 127.0.0.1 (tests/fakepretix.py) with a real
state database, through the real client, service and refund check:

1. The event: `--orders` paid orders (of one or two tickets) generated in the fake.
2. Registrations: `--registrations` by order code and e-mail, then as many by ticket
   secret, each a distinct member: pretix requests each (1 and 2, whatever the event's
   size) and p50/p99 latency (loopback HTTP, SQLite write, hashing).
3. The refund check: `--changed` orders modified since the last check, a tenth of the
   registered ones cancelled: pages read, requests, time, registrations marked; then a
   second check with nothing changed (one page, nothing marked).
Times on a shared machine are indicative only; the request counts are exact.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.secret import Secret
from bot.service.attempts import AttemptLimiter, Limits
from bot.service.refunds import RefundCheck
from bot.service.ticket_results import Granted, ItemChoice
from bot.service.tickets import TicketHasher, TicketService
from bot.settings import PretixEvent
from bot.store.state import StateStore
from bot.tickets.client import PretixClient
from tests.fakepretix import FakePretix

CONFERENCE = "bench"
GUILD = 1
NOW = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"


async def main(orders: int, registrations: int, changed: int) -> None:
    async with FakePretix() as fake:
        started = time.perf_counter()
        fake.generate(orders)
        print(f"event: {orders:,} orders generated in {time.perf_counter() - started:.2f} s")
        with tempfile.TemporaryDirectory() as folder:
            async with await StateStore.open(Path(folder) / "state.db") as state:
                event = PretixEvent(fake.url, fake.organizer, fake.event, Secret(fake.token))
                client = PretixClient(event)
                limiter = AttemptLimiter(Limits(10**6, 600, 10**6, 60))
                service = TicketService(state.tickets, {CONFERENCE: client},
                                        TicketHasher(state.tickets), limiter)  # fmt: skip
                await service.map_role(CONFERENCE, GUILD, ItemChoice(1, None, "Ticket"), 10, NOW)
                codes = list(fake.orders)
                await _registrations(fake, service, codes, registrations)
                await _refunds(fake, state, client, service, codes, registrations, changed)


async def _registrations(
    fake: FakePretix, service: TicketService, codes: list[str], count: int
) -> None:
    step = max(1, len(codes) // (2 * count))
    for label, offset in (("order code and e-mail", 0), ("ticket secret", 1)):
        times, requests = [], []
        for n in range(count):
            order = fake.orders[codes[(2 * n + offset) * step]]
            code, email = (
                (order.code, order.email) if offset == 0 else (order.positions[0].secret, "")
            )
            before = fake.count()
            started = time.perf_counter()
            result = await service.register(
                CONFERENCE, GUILD, 10_000 * offset + n, code, email, NOW
            )
            times.append(time.perf_counter() - started)
            requests.append(fake.count() - before)
            assert isinstance(result, Granted), result
        print(f"register by {label}: {count} members, requests each {sorted(set(requests))},"
              f" {_ms(times)}")  # fmt: skip


async def _refunds(
    fake: FakePretix, state: StateStore, client: PretixClient, service: TicketService,
    codes: list[str], registered: int, changed: int,
) -> None:  # fmt: skip
    check = RefundCheck(CONFERENCE, client, state.tickets, service.hasher)
    fake.now += timedelta(days=30)
    first = await check.run(NOW)  # from just before the registrations: nothing changed yet
    fake.now += timedelta(minutes=1)
    step = max(1, len(codes) // changed)
    touched = [codes[n * step] for n in range(changed)]
    for code in touched:
        fake.touch(fake.orders[code])
    step_registered = max(1, len(codes) // (2 * registered))
    cancelled = [codes[2 * n * step_registered] for n in range(0, registered, 10)]
    for code in cancelled:
        fake.cancel_order(code, refund=True)
    fake.now += timedelta(minutes=1)
    before = fake.count()
    started = time.perf_counter()
    report = await check.run(NOW)
    took = time.perf_counter() - started
    orders = len(set(touched) | set(cancelled))
    print(
        f"refund check: {orders:,} orders changed, {report.pages} pages,"
        f" {fake.count() - before} requests, {took:.2f} s, {len(report.marked)} registrations"
        f" marked ({len(cancelled)} orders cancelled); done={report.done}"
    )
    before = fake.count()
    again = await check.run(NOW)
    print(
        f"next check, nothing changed: {again.pages} page, {fake.count() - before} request,"
        f" {len(again.marked)} marked (the first check read {first.orders} orders)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tickets")
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--registrations", type=int, default=300)
    parser.add_argument("--changed", type=int, default=5_000)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.registrations, args.changed))
