"""Claims a second and claim latency of the delivery ledger: SQLite against PostgreSQL, one
process and two, each against the plainest claim loop on the same backend in the same run.

    python -m benchmarks.claims [URL] [--count 2000] [--batch 50] [--rounds 3]

URL is a PostgreSQL server to run on as it is (or CONFBOT_TEST_POSTGRES); without one, a
private throwaway server is started with durability on (fsync, synchronous_commit), like
for like with the SQLite state's synchronous=FULL (see benchmarks/cluster_rig.py). Each
run gets a fresh state: `--count` people's reminders due at one moment (DMs, which any
process of a cluster may send), planned into the ledger by the scheduler's own re-plan.
Three ways of working through them, each in fresh worker processes (one, or two sharing
the state, each with its own process name and half of the shards, told to go at once;
SQLite is one process's alone, so it runs with one):

- plain: the plainest exactly-once loop, two statements a delivery, each its own
  transaction: claim the first pending due row (`UPDATE ... SET state = 'sending' WHERE
  id = (SELECT ... LIMIT 1 [FOR UPDATE SKIP LOCKED])`), then mark it sent. No lease, no
  owner, no still-wanted check, no batch.
- ledger: the ledger's claim path as the scheduler calls it (bot/delivery/scheduler.py,
  step and _deliver): reserve a batch (`--batch`) under this process's lease, then for
  each row claim it (its lease, its owner, its kind's still-wanted rule, in one
  statement) and settle it sent. The send is nothing.
- scheduler: the real Scheduler.step loop with a sender that sends nothing: the above,
  plus each reminder's message made and its reminder settled done.

A claim's latency is the time to hold a delivery to send: the claim statement, plus, for
the first of a batch, the reserve it waited for. Claims a second: deliveries settled over
the wall time from the go to the last worker's end. After every run the benchmark checks
that every delivery was sent exactly once (by what the workers sent) and is settled
'sent' in the ledger, and stops if not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cluster_rig import (
    Json,
    NullSender,
    Postgres,
    StateAt,
    bundled_service,
    check_exactly_once,
    due_moment,
    ledger_rows,
    percentile,
    ready_and_wait,
    report,
    run_workers,
    seed,
)
from bot.clock import FixedClock
from bot.cluster import Slice, process_name
from bot.delivery import registry
from bot.delivery.scheduler import LEASE, Scheduler
from bot.kinds import DeliveryState
from bot.service import ProgramService
from bot.store.dialect import Dialect
from bot.store.feature_store import FeatureStore, SharedConnection, writes
from bot.store.ledger_store import Scope
from bot.store.state import StateStore

PATHS = ("plain", "ledger", "scheduler")
SENDING, SENT = DeliveryState.SENDING, DeliveryState.SENT


class PlainQueue(FeatureStore):
    """The plainest exactly-once claim loop over the same deliveries table (see the
    module's docstring), through the same connection and write wrapper as the ledger."""

    @writes
    async def claim_next(self, conference: str, due_by: int) -> int | None:
        rows = list(
            await self._db.execute_fetchall(
                "UPDATE deliveries SET state = 'sending', attempts = attempts + 1,"
                " updated_ts = ? WHERE state = 'pending' AND id = (SELECT id FROM deliveries"
                " WHERE conference = ? AND state = 'pending' AND due_ts <= ?"
                f" ORDER BY due_ts, id LIMIT 1{self._shared.dialect.skip_locked}) RETURNING id",
                (due_by, conference, due_by),
            )
        )
        return int(rows[0][0]) if rows else None

    @writes
    async def sent(self, delivery_id: int, now_ts: int) -> bool:
        cursor = await self._db.execute(
            "UPDATE deliveries SET state = 'sent', updated_ts = ? WHERE id = ?"
            " AND state = 'sending'",
            (now_ts, delivery_id),
        )
        return cursor.rowcount == 1


Sent = tuple[list[int], list[float]]  # what was sent (delivery ids or users), latencies in ms


async def plain_loop(shared: SharedConnection, conference: str, now_ts: int) -> Sent:
    queue = PlainQueue(shared)
    sent: list[int] = []
    latency: list[float] = []
    while True:
        began = time.perf_counter()
        delivery_id = await queue.claim_next(conference, now_ts)
        latency.append((time.perf_counter() - began) * 1000)
        if delivery_id is None:
            latency.pop()  # the look that found nothing is no claim
            return sent, latency
        sent.append(delivery_id)  # the send: nothing
        assert await queue.sent(delivery_id, now_ts)


async def ledger_loop(
    state: StateStore, conference: str, scope: Scope, process: str, now_ts: int, batch: int
) -> Sent:
    """Reserve, claim and settle as Scheduler.step and _deliver call them."""
    sent: list[int] = []
    latency: list[float] = []
    until = now_ts + LEASE
    while True:
        began = time.perf_counter()
        due = await state.ledger.reserve(conference, scope, process, now_ts, now_ts, until,
                                         batch)  # fmt: skip
        waited = time.perf_counter() - began
        if not due:
            return sent, latency
        for delivery in due:
            began = time.perf_counter()
            wanted = registry.kind_for(delivery.kind).wanted
            claimed = await state.ledger.claim(delivery.id, now_ts, wanted, process, until)
            latency.append((waited + time.perf_counter() - began) * 1000)
            waited = 0.0
            if not claimed:
                continue
            sent.append(delivery.id)  # the send: nothing
            assert await state.ledger.settle(delivery.id, SENDING, SENT, now_ts)


def _service_of(service: ProgramService) -> ProgramService:
    return service


async def scheduler_loop(
    state: StateStore, service: ProgramService, process: str, shards: Slice, batch: int
) -> Sent:
    sender = NullSender()
    scheduler = Scheduler(state, lambda: _service_of(service), FixedClock(due_moment(service)),
                          sender, batch=batch, process=process, shards=shards,
                          plans_people=lambda: False)  # fmt: skip
    while await scheduler.step():
        pass
    return sender.dms, []


async def server_cpu(shared: SharedConnection) -> float:
    """CPU seconds the PostgreSQL backend serving this process has used so far (read from
    /proc: the server is on this machine); 0 on SQLite, whose work is in this process."""
    if shared.dialect is not Dialect.POSTGRES:
        return 0.0
    rows = list(await shared.db.execute_fetchall("SELECT pg_backend_pid()"))
    fields = Path(f"/proc/{rows[0][0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


async def worker(job: Json) -> Json:
    """One process's part of a run: its loop over the due deliveries, once told to go."""
    where = StateAt.from_json(job["state"])
    service = bundled_service()
    now_ts = int(due_moment(service).timestamp())
    shards = Slice(job["shards"], frozenset({job["shard"]}))
    process = process_name()
    conference = service.conference.key
    state, shared = await where.open()
    try:
        await ready_and_wait()
        started = time.monotonic()
        cpu = time.process_time()
        server = await server_cpu(shared)
        if job["path"] == "plain":
            sent, latency = await plain_loop(shared, conference, now_ts)
        elif job["path"] == "ledger":
            scope = Scope(registry.SERVER_KINDS, shards, people=True)
            sent, latency = await ledger_loop(state, conference, scope, process, now_ts,
                                              job["batch"])  # fmt: skip
        else:
            sent, latency = await scheduler_loop(state, service, process, shards, job["batch"])
        ended = time.monotonic()
        cpu = time.process_time() - cpu
        server = await server_cpu(shared) - server
    finally:
        await state.close()
    return {
        "sent": sent,
        "latency_ms": latency,
        "start": started,
        "end": ended,
        "cpu": cpu + server,
    }


# -- the runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One run of one way, on one backend, with one or two processes."""

    backend: str
    processes: int
    path: str
    settled: int
    seconds: float
    latency_ms: list[float]
    shares: list[int]  # deliveries each process sent
    cpu_s: float  # CPU time of the workers and of the PostgreSQL backends serving them

    @property
    def per_second(self) -> float:
        return self.settled / self.seconds

    @property
    def config(self) -> tuple[str, int, str]:
        return self.backend, self.processes, self.path


def one_run(
    where: StateAt, service: ProgramService, path: str, processes: int, count: int,
    batch: int, postgres: Postgres | None,
) -> Measured:  # fmt: skip
    asyncio.run(seed(where, service, count))
    if postgres is not None:
        postgres.analyze(where)
    jobs = [{"state": where.to_json(), "path": path, "shard": i, "shards": processes,
             "batch": batch} for i in range(processes)]  # fmt: skip
    results = run_workers("benchmarks.claims", jobs, timeout=120 + count * 0.1)
    rows = asyncio.run(ledger_rows(where))
    ids = [row[0] for row in rows]
    sent = [d for r in results for d in r["sent"]]
    if path == "scheduler":  # the sender saw users: each delivery's target
        by_user = {target: delivery_id for delivery_id, target, _ in rows}
        sent = [by_user.get(user, -user) for user in sent]
    backend = "SQLite" if where.url is None else "PostgreSQL"
    what = f"{backend}, {processes} process(es), {path}"
    check_exactly_once(sent, ids, what)
    unsettled = [row for row in rows if row[2] != SENT]
    assert not unsettled, f"{what}: {len(unsettled)} not settled sent, e.g. {unsettled[:3]}"
    start = min(r["start"] for r in results)
    end = max(r["end"] for r in results)
    return Measured(backend, processes, path, len(sent), end - start,
                    [x for r in results for x in r["latency_ms"]],
                    [len(r["sent"]) for r in results], sum(r["cpu"] for r in results))  # fmt: skip


@dataclass(frozen=True)
class Summary:
    """The rounds of one way, backend and number of processes, together."""

    runs: list[Measured]

    @property
    def per_second(self) -> float:
        return statistics.median(m.per_second for m in self.runs)

    @property
    def latency_ms(self) -> list[float]:
        return [x for m in self.runs for x in m.latency_ms]

    @property
    def cpu_ms(self) -> float:
        """CPU per delivery, the workers' and their PostgreSQL backends' (the median of the
        rounds'): what a claim costs, whatever else the machine is doing."""
        return statistics.median(m.cpu_s * 1000 / m.settled for m in self.runs)

    def rate(self) -> str:
        rates = sorted(m.per_second for m in self.runs)
        spread = f" ({rates[0]:.0f}-{rates[-1]:.0f})" if len(rates) > 1 else ""
        return f"{self.per_second:.0f}{spread}"


def table(summaries: Sequence[Summary]) -> list[str]:
    lines = [f"  {'backend':<11} {'procs':>5}  {'path':<10} {'claims/s (range)':>17}"
             f" {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7}   {'vs plain: claims/s, p99, CPU':>28}"
             "   split"]  # fmt: skip
    plain: dict[tuple[str, int], Summary] = {}
    for s in summaries:
        backend, processes, path = s.runs[0].config
        if path == "plain":
            plain[backend, processes] = s
        base = plain.get((backend, processes))
        latency = s.latency_ms
        p99 = percentile(latency, 0.99) if latency else float("nan")
        lat = f"{percentile(latency, 0.5):>7.2f} {p99:>7.2f}" if latency else f"{'-':>7} {'-':>7}"
        versus = ""
        if base is not None and s is not base:
            p99_ratio = f"{p99 / percentile(base.latency_ms, 0.99):.2f}x" if latency else "-"
            versus = (f"{s.per_second / base.per_second:.2f}x, {p99_ratio},"
                      f" {s.cpu_ms / base.cpu_ms:.2f}x")  # fmt: skip
        shares = [sum(m.shares[i] for m in s.runs) for i in range(processes)]
        split = " / ".join(f"{n:,}" for n in shares) if processes > 1 else ""
        lines.append(f"  {backend:<11} {processes:>5}  {path:<10} {s.rate():>17} {lat}"
                     f" {s.cpu_ms:>7.2f}   {versus:>28}   {split}")  # fmt: skip
    return lines


CONFIGS = ((Dialect.SQLITE, 1), (Dialect.POSTGRES, 1), (Dialect.POSTGRES, 2))


def main(url: str | None, count: int, batch: int, rounds: int) -> None:
    load = os.getloadavg()[0]
    print(f"claims benchmark · {platform.machine()} · {os.cpu_count()} cores"
          f" · Python {platform.python_version()} · load {load:.1f} at the start")  # fmt: skip
    service = bundled_service()
    runs: dict[tuple[str, int, str], list[Measured]] = {}
    with tempfile.TemporaryDirectory(prefix="confbot-claims-") as tmp, Postgres(url) as pg:
        folder = Path(tmp)
        print(f"{count:,} reminders (DMs) due at one moment, batches of {batch}, {rounds}"
              f" round(s) taken turn about; SQLite {sqlite3.sqlite_version} WAL,"
              f" synchronous=FULL, in {tmp}; {pg.describe()}")  # fmt: skip
        for round_ in range(rounds):
            for backend, processes in CONFIGS:
                for path in PATHS:
                    if backend is Dialect.SQLITE:
                        where = StateAt(str(folder / f"sqlite-{path}-{round_}.db"))
                        m = one_run(where, service, path, processes, count, batch, None)
                    else:
                        with pg.fresh(folder) as where:
                            m = one_run(where, service, path, processes, count, batch, pg)
                    runs.setdefault(m.config, []).append(m)
                    print(f"  round {round_ + 1}: {m.backend} x{processes} {path}:"
                          f" {m.per_second:.0f}/s, checked", file=sys.stderr)  # fmt: skip
    print(f"load {os.getloadavg()[0]:.1f} at the end; claims/s: the median of the rounds;"
          " p50/p99: a claim's latency over all rounds; CPU ms: a delivery's CPU, the"
          " workers' and their PostgreSQL backends' (not the WAL writer's), the median of"
          " the rounds")  # fmt: skip
    for line in table([Summary(r) for r in runs.values()]):
        print(line)
    print(f"every run: each of the {count:,} deliveries sent once and settled 'sent' (checked)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.claims",
                                     description=__doc__.split("\n")[0])  # fmt: skip
    parser.add_argument(
        "url",
        nargs="?",
        default=os.environ.get("CONFBOT_TEST_POSTGRES"),
        help="a PostgreSQL server to use as it is (default: a private one)",
    )
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        import json

        report(asyncio.run(worker(json.loads(args.worker))))
    else:
        main(args.url, args.count, args.batch, args.rounds)
