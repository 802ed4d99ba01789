"""How soon a choice made on one process of a cluster is honoured on another, and what the
periodic check of every choice costs.

A benchmark, not a timed test, against a real PostgreSQL (the URL as argument, or
CONFBOT_TEST_POSTGRES), in a schema of its own dropped after. Two registries of
conferences (bot.live.conferences), each on a state connection and a coordinator of its
own, as two processes:

- a person's pick: from /conference use's write on one to the other's mirror holding it
  (the write, the notice, and the other's read of that one person), p50 and p99;
- the periodic check (every CONFBOT_FOLLOW_CHECK seconds, and after a reconnection):
  every choice read again, with N people's picks and N/10 servers' choices kept.

    python -m benchmarks.choices [URL] [--picks 500] [--people 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import time

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from bot.live.conferences import Conferences
from bot.store.pg_coordination import PostgresCoordinator
from bot.store.state import StateStore


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def process(url: str) -> tuple[Conferences, PostgresCoordinator]:
    """One process's registry, listening for the other's choices."""
    coordinator = await PostgresCoordinator.open(url)
    conferences = Conferences(await StateStore.connect(url), coordinator)
    conferences.choices.start()
    await coordinator.listen(conferences.choices.heard)
    await asyncio.wait_for(coordinator.listening.wait(), 10)
    return conferences, coordinator


async def picks(here: Conferences, there: Conferences, n: int) -> None:
    read = asyncio.Event()
    reload_person = there.choices.reload_person

    async def told(user_id: int) -> None:
        await reload_person(user_id)
        read.set()

    there.choices.reload_person = told  # type: ignore[method-assign]
    took = []
    for i in range(n):
        key = ("osdi24", "fixcon")[i % 2]
        read.clear()
        start = time.perf_counter()
        await here.use(7, key)
        await asyncio.wait_for(read.wait(), 10)
        took.append((time.perf_counter() - start) * 1000)
        assert there.choices.people.get(7) == key
    print(f"a pick, written on one process to honoured on the other: p50"
          f" {statistics.median(took):.2f} ms, p99 {percentile(took, 0.99):.2f} ms"
          f" ({n} picks)")  # fmt: skip


async def check(conferences: Conferences, people: int) -> None:
    state = conferences.state
    for user in range(people):  # one write per pick, as people make them
        await state.conferences.use(1000 + user, ("osdi24", "fixcon")[user % 2])
    for guild in range(people // 10):
        await state.conferences.offer(guild, ["osdi24", "fixcon"], "fixcon", 0)
    took = []
    for _ in range(20):
        start = time.perf_counter()
        await conferences.choices.load()
        took.append((time.perf_counter() - start) * 1000)
    print(f"the periodic check, every choice read again ({people} people, {people // 10}"
          f" servers): p50 {statistics.median(took):.1f} ms")  # fmt: skip


async def main(url: str, n_picks: int, people: int) -> None:
    schema = f"bench_{secrets.token_hex(6)}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        inside = make_conninfo(url, options=f"-c search_path={schema}")
        made = []
        try:
            for _ in range(2):
                made.append(await process(inside))
            (here, _), (there, _) = made
            await picks(here, there, n_picks)
            await check(there, people)
        finally:
            for conferences, coordinator in made:
                await conferences.choices.stop()
                await coordinator.close()
                await conferences.state.close()
            await admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("CONFBOT_TEST_POSTGRES"))
    parser.add_argument("--picks", type=int, default=500)
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    if not args.url:
        parser.error("give a PostgreSQL URL, or set CONFBOT_TEST_POSTGRES")
    asyncio.run(main(args.url, args.picks, args.people))
