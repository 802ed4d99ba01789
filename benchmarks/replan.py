"""What a scheduler's re-plan costs at FOSDEM's size, against the way it was made before,
on SQLite and on PostgreSQL, in one run.

    python -m benchmarks.replan [--state-url postgresql://user:password@host:port/db]
                                [--talks 1000] [--servers 3] [--reminders 5000] [--rounds 7]

Every pass of every scheduler (at least every CONFBOT_LEDGER_CHECK seconds in a cluster,
and on every wake) makes the conference's plan again and syncs it into the ledger
(LedgerStore.sync_plan). The plan here is generated: `--talks` talks, one a minute
apart, each told in its room's channel by `--servers` servers (a 'room' delivery each),
and `--reminders` people's reminders of talks picked at random (seeded), ten minutes
before: 8,000 rows by default, all pending (the conference about to begin). Two
conferences with that plan share one state database: one synced the old way (an INSERT
... ON CONFLICT DO UPDATE of every planned row, then a read of the pending rows to
cancel the stale ones; kept below as `UpsertEverything`), one the new way (read the
rows once, write only what differs). Each round times, in another order each round:

1. a re-plan with nothing changed (what nearly every pass is);
2. a re-plan with one talk moved by five minutes (its servers' lines and its reminders
   move), then the talk back (not timed).

Reported per backend: the median time of each (and its range over the rounds), the
median of each round's ratio old / new, the rows each writes a pass (rows whose
`updated_ts` is the pass's time), and on PostgreSQL the ids each draws from the
deliveries' identity sequence a pass (each row an INSERT ... ON CONFLICT updates, or
leaves alone, still draws one, and each updated row leaves a dead version for VACUUM).
The first sync of the plan into an empty ledger (every row inserted) is timed once for
each. The PostgreSQL state is at `--state-url` (CONFBOT_TEST_POSTGRES when not given;
without either, SQLite alone), in a schema of its own dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from benchmarks.cluster import own_schema
from bot.kinds import DeliveryKind
from bot.store.feature_store import writes
from bot.store.ledger_store import EVERYTHING, LedgerStore, Planned, Scope
from bot.store.state import StateStore

OLD, NEW = "old", "new"  # the two conferences, and the two ways
START = 1_767_254_400  # the first talk's start (any instant does)
MOVE = 300  # seconds a moved talk moves


class UpsertEverything(LedgerStore):
    """sync_plan as it was before it wrote only what differs: every planned row of the
    scope upserted (its due time, target and updated_ts rewritten if pending or
    cancelled), then the pending rows of the scope read, and those not planned cancelled."""

    @writes
    async def sync_plan(
        self, conference: str, planned: Sequence[Planned], now_ts: int, scope: Scope = EVERYTHING
    ) -> None:
        mine = [p for p in planned if scope.holds(p.kind, p.owner)]
        await self._db.executemany(
            "INSERT INTO deliveries (conference, kind, owner, item_ref, arming, target, due_ts,"
            " updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (conference, kind, owner, item_ref, arming)"
            " DO UPDATE SET due_ts = excluded.due_ts, target = excluded.target,"
            " updated_ts = excluded.updated_ts,"
            " state = CASE WHEN deliveries.state = 'cancelled' THEN 'pending'"
            " ELSE deliveries.state END WHERE deliveries.state IN ('pending', 'cancelled')",
            [(conference, p.kind, p.owner, p.item_ref, p.arming, p.target, p.due_ts, now_ts)
             for p in mine],
        )  # fmt: skip
        wanted = {(p.kind, p.owner, p.item_ref, p.arming) for p in mine}
        where, params = scope.sql()
        rows = await self._db.execute_fetchall(
            "SELECT id, kind, owner, item_ref, arming FROM deliveries WHERE state = 'pending'"
            f" AND conference = ? AND {where}",
            [conference, *params],
        )
        stale = [(now_ts, row[0]) for row in rows if tuple(row[1:]) not in wanted]
        await self._db.executemany(
            "UPDATE deliveries SET state = 'cancelled', updated_ts = ?, lease_until = NULL"
            " WHERE id = ? AND state = 'pending'",
            stale,
        )


def fosdem_plan(
    talks: int, servers: int, reminders: int, moved: int | None = None
) -> list[Planned]:
    """The generated plan (see the module's docstring); talk `moved` starts MOVE later."""
    starts = [START + 60 * n + (MOVE if n == moved else 0) for n in range(talks)]
    planned = [Planned(DeliveryKind.ROOM, (1_000 + s) << 22, f"p:{n}", 9_000 + s, starts[n])
               for n in range(talks) for s in range(servers)]  # fmt: skip
    pick = random.Random(24)
    for r in range(reminders):
        n = pick.randrange(talks)
        planned.append(Planned(DeliveryKind.REMINDER, r + 1, f"p:{n}", 100_000 + r,
                               starts[n] - 600, 1))  # fmt: skip
    return planned


@dataclass
class Way:
    """One way of re-planning, on its own conference of the shared state."""

    name: str
    sync: Callable[[str, Sequence[Planned], int], Awaitable[None]]
    times: dict[str, list[float]] = field(default_factory=dict)
    written: dict[str, list[int]] = field(default_factory=dict)
    drawn: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Backend:
    """A state database, and on PostgreSQL a connection to read its identity sequence."""

    name: str
    state: StateStore
    admin: psycopg.AsyncConnection[tuple[object, ...]] | None

    async def ids_drawn(self) -> int:
        if self.admin is None:
            return 0
        cursor = await self.admin.execute(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence('deliveries', 'id'))"
        )
        row = await cursor.fetchone()
        return int(str(row[0])) if row is not None and row[0] is not None else 0


async def timed(backend: Backend, way: Way, what: str, planned: list[Planned], now: int) -> None:
    """One sync of `planned` the way `way` does, timed, with the rows it wrote and the
    ids it drew."""
    drawn = await backend.ids_drawn()
    began = time.perf_counter()
    await way.sync(way.name, planned, now)
    took = time.perf_counter() - began
    rows = await backend.state.ledger.deliveries(conference=way.name)
    way.times.setdefault(what, []).append(took * 1000)
    way.written.setdefault(what, []).append(sum(1 for d in rows if d.updated_ts == now))
    way.drawn.setdefault(what, []).append(await backend.ids_drawn() - drawn)


async def measure(backend: Backend, args: argparse.Namespace) -> list[str]:
    base = fosdem_plan(args.talks, args.servers, args.reminders)
    old_ledger = UpsertEverything(backend.state.ledger._shared)  # the same connection
    ways = [Way(OLD, old_ledger.sync_plan), Way(NEW, backend.state.ledger.sync_plan)]
    now = 1_000
    for way in ways:
        await timed(backend, way, "first", base, now)
    for r in range(args.rounds):
        moved = fosdem_plan(args.talks, args.servers, args.reminders, moved=r)
        for way in ways if r % 2 == 0 else ways[::-1]:
            now += 10
            await timed(backend, way, "unchanged", base, now)
            now += 10
            await timed(backend, way, "moved", moved, now)
            now += 10
            await way.sync(way.name, base, now)
    old, new = ways
    lines = [f"  {backend.name}: {len(base):,} planned rows, {args.rounds} rounds"]
    for what, label in (("unchanged", "nothing changed"), ("moved", "one talk moved")):
        ratios = [o / n for o, n in zip(old.times[what], new.times[what], strict=True)]
        ratio = statistics.median(ratios)
        lines.append(f"    re-plan, {label}: old {_spread(old.times[what])}, new"
                     f" {_spread(new.times[what])}, old/new {ratio:.1f}x")  # fmt: skip
        lines.append(f"      rows written a pass: old {_counts(old.written[what])}, new"
                     f" {_counts(new.written[what])}" + _ids(backend, old, new, what))  # fmt: skip
    lines.append(f"    first sync into an empty ledger (once): old {old.times['first'][0]:.0f} ms,"
                 f" new {new.times['first'][0]:.0f} ms")  # fmt: skip
    return lines


def _spread(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} ms ({min(times):.1f}-{max(times):.1f})"


def _counts(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def _ids(backend: Backend, old: Way, new: Way, what: str) -> str:
    if backend.admin is None:
        return ""
    return f"; ids drawn a pass: old {_counts(old.drawn[what])}, new {_counts(new.drawn[what])}"


@asynccontextmanager
async def backends(root: Path, server: str | None) -> AsyncIterator[list[Backend]]:
    """A fresh SQLite state, and one on PostgreSQL in a schema of its own if `server`."""
    sqlite = Backend("SQLite", await StateStore.open(root / "state.db"), None)
    try:
        if server is None:
            yield [sqlite]
            return
        async with own_schema(server) as url:
            state = await StateStore.connect(url)
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
                    yield [sqlite, Backend("PostgreSQL", state, admin)]
            finally:
                await state.close()
    finally:
        await sqlite.state.close()


async def main(args: argparse.Namespace) -> None:
    server = args.state_url or os.environ.get("CONFBOT_TEST_POSTGRES") or None
    load = os.getloadavg()[0]
    print(f"re-plan of {args.talks:,} talks x {args.servers} servers + {args.reminders:,}"
          f" reminders · {platform.machine()} · {os.cpu_count()} cores · Python"
          f" {sys.version.split()[0]} · load average (1 min) {load:.1f}")  # fmt: skip
    if server is None:
        print("  (no PostgreSQL: give --state-url or set CONFBOT_TEST_POSTGRES to measure it too)")
    with tempfile.TemporaryDirectory() as tmp:
        async with backends(Path(tmp), server) as found:
            for backend in found:
                for line in await measure(backend, args):
                    print(line)
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replan")
    parser.add_argument("--state-url", help="a PostgreSQL server (a schema of its own)")
    parser.add_argument("--talks", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--reminders", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    asyncio.run(main(parser.parse_args()))
