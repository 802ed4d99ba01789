"""How fast a cluster's processes hear of each other, and take a dead one's conferences.

A benchmark, not a timed test, against a real PostgreSQL (the URL as argument, or
CONFBOT_TEST_POSTGRES), in a schema of its own dropped after. Two coordinators, as two
processes:

- a notice: from one's announce to the other's handler (what a new version waits before
  the other processes start loading it), p50 and p99;
- a tick: one try to lead (or confirm leading) each of N conferences, the work each
  process does every CONFBOT_LEAD_RETRY seconds;
- a take-over: the leader of N conferences is killed (its session terminated), and the
  other takes them all at its next try; the time from the kill to the last one taken
  (the wait for that next try, up to CONFBOT_LEAD_RETRY, comes on top).

    python -m benchmarks.coordination [URL] [--notices 500] [--conferences 100]
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

from bot.store.coordination import Notice
from bot.store.pg_coordination import PostgresCoordinator


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def notices(sender: PostgresCoordinator, receiver: PostgresCoordinator, n: int) -> None:
    heard: asyncio.Queue[Notice] = asyncio.Queue()
    await receiver.listen(heard.put_nowait)
    await asyncio.wait_for(receiver.listening.wait(), 10)
    took = []
    for i in range(n):
        start = time.perf_counter()
        await sender.announce("osdi24", f"{i:064d}")
        notice = await asyncio.wait_for(heard.get(), 10)
        took.append((time.perf_counter() - start) * 1000)
        assert notice.fingerprint == f"{i:064d}"
    print(f"notice, announce to handler: p50 {statistics.median(took):.2f} ms,"
          f" p99 {percentile(took, 0.99):.2f} ms ({n} notices)")  # fmt: skip


async def takeover(
    admin: psycopg.AsyncConnection[tuple[object, ...]], leader: PostgresCoordinator,
    other: PostgresCoordinator, n: int,
) -> None:  # fmt: skip
    keys = [f"conf{i}" for i in range(n)]
    start = time.perf_counter()
    assert all([await leader.try_lead(k) for k in keys])
    first = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    assert all([await leader.try_lead(k) for k in keys])
    confirm = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    assert not any([await other.try_lead(k) for k in keys])
    refused = (time.perf_counter() - start) * 1000
    print(f"a tick over {n} conferences: taking them {first:.1f} ms, confirming them"
          f" {confirm:.1f} ms, refused them {refused:.1f} ms")  # fmt: skip
    start = time.perf_counter()
    await admin.execute("SELECT pg_terminate_backend(%s, 5000)", (leader.backend_pid,))
    taken = [await other.try_lead(k) for k in keys]
    took = (time.perf_counter() - start) * 1000
    assert all(taken)
    print(
        f"take-over of {n} conferences, from the kill to the last taken: {took:.1f} ms"
        " (plus the wait for the next try, up to CONFBOT_LEAD_RETRY)"
    )


async def main(url: str, n_notices: int, n_conferences: int) -> None:
    schema = f"confbot_bench_{secrets.token_hex(4)}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            own = make_conninfo(url, options=f"-c search_path={schema}")
            first = await PostgresCoordinator.open(own)
            second = await PostgresCoordinator.open(own)
            try:
                await notices(first, second, n_notices)
                await takeover(admin, first, second, n_conferences)
            finally:
                await first.close()
                await second.close()
        finally:
            await admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("CONFBOT_TEST_POSTGRES"))
    parser.add_argument("--notices", type=int, default=500)
    parser.add_argument("--conferences", type=int, default=100)
    args = parser.parse_args()
    if not args.url:
        parser.error("give a PostgreSQL URL (or set CONFBOT_TEST_POSTGRES)")
    asyncio.run(main(args.url, args.notices, args.conferences))
