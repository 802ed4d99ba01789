"""What the cluster benchmarks (benchmarks.claims, benchmarks.cluster_deliveries) share.

- The state of one run, fresh each time: a SQLite file, or a schema of its own on a
  PostgreSQL server, dropped after. The server is the one at a URL, used as it is, or (no
  URL) a private throwaway one (tests/postgres_server.py) with durability turned back
  on, as a production server has it: SQLite's state is written with synchronous=FULL, so
  both then put every commit on disk before it returns, like for like.
- N reminders of N people for one talk, all due at one moment, planned into the ledger by
  the real scheduler (its re-plan, as the bot makes it).
- Worker processes, real OS processes each with its own process name and slice of the
  shards, started together: each says it is ready, and all are told to go at once.
- What a delivery benchmark checks and reports: every delivery settled exactly once, the
  busiest second of a list of moments, percentiles.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql

from bot.clock import FixedClock
from bot.delivery.scheduler import Scheduler
from bot.importer.merge import read_program
from bot.kinds import DeliveryKind
from bot.render.cards import Card
from bot.service import ProgramService
from bot.settings import BUNDLED_PROGRAM, PROJECT_ROOT
from bot.store.dialect import Dialect
from bot.store.feature_store import FeatureStore, SharedConnection, writes
from bot.store.postgres_state import open_postgres
from bot.store.sqlite_state import open_sqlite
from bot.store.state import StateStore

KEYNOTE = "xiang"  # a talk of the bundled OSDI '24 program
MINUTES_BEFORE = 10
FIRST_USER = 10_000
# Seconds a worker may take to start (imports, connecting) before the run gives up on it.
READY_TIMEOUT = 120
Json = dict[str, Any]


def bundled_service() -> ProgramService:
    return ProgramService(read_program(BUNDLED_PROGRAM).program)


def due_moment(service: ProgramService) -> datetime:
    """When every seeded reminder is due: MINUTES_BEFORE before the keynote starts."""
    return service.talks[KEYNOTE].slot.start - timedelta(minutes=MINUTES_BEFORE)


# -- where a run's state is ----------------------------------------------------------------


@dataclass(frozen=True)
class StateAt:
    """One run's state: the SQLite file `path`, or the PostgreSQL `url` (whose search_path
    is the run's own schema)."""

    path: str
    url: str | None = None
    schema: str | None = None  # the PostgreSQL schema `url` names

    @property
    def dialect(self) -> Dialect:
        return Dialect.SQLITE if self.url is None else Dialect.POSTGRES

    async def open(self) -> tuple[StateStore, SharedConnection]:
        """The state as the bot opens it (checked, migrated), and its connection, for the
        benchmark's own statements (the plain claim loop, the seeding)."""
        if self.url is None:
            db, lock = await open_sqlite(Path(self.path))
            return StateStore(db, lock), SharedConnection(db)
        pg = await open_postgres(self.url)
        return StateStore(pg), SharedConnection(pg)

    def to_json(self) -> Json:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StateAt:
        return cls(str(data["path"]), data.get("url"), data.get("schema"))


def with_schema(url: str, schema: str) -> str:
    """`url` with `schema` as its search_path (libpq's `options`); nothing else changed,
    so the server's durability is what it is."""
    options = quote(f"-csearch_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}options={options}"


class Postgres:
    """The PostgreSQL server of a benchmark: the one at `url` as it is, or (None) a private
    throwaway one with durability on (see the module's docstring). `fresh()` gives each
    run a schema of its own."""

    def __init__(self, url: str | None) -> None:
        self._given = url
        self._stack = contextlib.ExitStack()
        self.url = ""
        self.admin: psycopg.Connection[tuple[Any, ...]] | None = None

    def __enter__(self) -> Postgres:
        if self._given is None:
            from tests.postgres_server import PostgresServer

            server = self._stack.enter_context(PostgresServer())
            self.url = server.url
        else:
            self.url = self._given
        self.admin = self._stack.enter_context(psycopg.connect(self.url, autocommit=True))
        if self._given is None:
            self._durable(self.admin)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @staticmethod
    def _durable(admin: psycopg.Connection[tuple[Any, ...]]) -> None:
        """Durability back on, on the private server only (the test harness turns it off):
        every commit waits for the disk, as on SQLite with synchronous=FULL."""
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            admin.execute(sql.SQL("ALTER SYSTEM SET {} = on").format(sql.Identifier(name)))
        admin.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = admin.execute("SELECT current_setting('fsync')").fetchone()
            if row is not None and row[0] == "on":
                return
            time.sleep(0.05)
        raise RuntimeError("the private PostgreSQL did not turn fsync on")

    def describe(self) -> str:
        """The server's version and durability, as it runs the benchmark."""
        assert self.admin is not None
        shown = {}
        for name in ("server_version", "fsync", "synchronous_commit"):
            row = self.admin.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            shown[name] = row[0] if row else "?"
        whose = "a private server" if self._given is None else "the server given"
        version = shown["server_version"].split()[0]
        return (f"PostgreSQL {version} on 127.0.0.1 ({whose}): fsync {shown['fsync']},"
                f" synchronous_commit {shown['synchronous_commit']}")  # fmt: skip

    @contextlib.contextmanager
    def fresh(self, folder: Path) -> Iterator[StateAt]:
        """A new, empty schema for one run, dropped after with everything in it."""
        assert self.admin is not None
        schema = f"bench_{secrets.token_hex(6)}"
        self.admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            yield StateAt(str(folder / f"{schema}.db"), with_schema(self.url, schema), schema)
        finally:
            self.admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

    def analyze(self, where: StateAt) -> None:
        """Planner statistics for the seeded tables (what autovacuum does within a minute
        of a bulk insert; the reminders of a real burst are planted days before)."""
        assert self.admin is not None and where.schema is not None
        for table in ("reminders", "deliveries"):
            self.admin.execute(sql.SQL("ANALYZE {}.{}").format(sql.Identifier(where.schema),
                                                               sql.Identifier(table)))  # fmt: skip


# -- the burst -----------------------------------------------------------------------------


class _Seeding(FeatureStore):
    """Many people's reminders in one write (through /remind they come one at a time,
    over days; the benchmark measures their delivery, not their making)."""

    @writes
    async def remind(
        self, conference: str, users: Sequence[int], item_ref: str, now_ts: int
    ) -> None:
        await self._db.executemany(
            "INSERT INTO reminders (conference, user_id, item_ref, minutes_before, created_ts)"
            " VALUES (?, ?, ?, ?, ?)",
            [(conference, user, item_ref, MINUTES_BEFORE, now_ts) for user in users],
        )


class NullSender:
    """A Sender that sends nothing and remembers to whom each DM would have gone."""

    def __init__(self) -> None:
        self.dms: list[int] = []

    async def send_dm(self, user_id: int, card: Card) -> None:
        self.dms.append(user_id)

    async def post(self, channel_id: int, cards: Sequence[Card], text: str | None = None) -> None:
        pass

    async def open_thread(
        self, forum_id: int, name: str, card: Card, tags: Sequence[str]
    ) -> tuple[int, int]:
        return 0, 0

    async def edit_first_message(self, thread_id: int, message_id: int, card: Card) -> None:
        pass

    async def rename_thread(self, thread_id: int, name: str) -> None:
        pass

    async def close_thread(self, thread_id: int, note: str | None = None) -> None:
        pass

    async def reopen_thread(self, thread_id: int) -> None:
        pass


async def seed(where: StateAt, service: ProgramService, count: int) -> None:
    """`count` people's reminders for the keynote, all due at one moment, and their
    deliveries planned into the ledger by the scheduler's own re-plan."""
    state, shared = await where.open()
    try:
        moment = due_moment(service)
        users = range(FIRST_USER, FIRST_USER + count)
        await _Seeding(shared).remind(service.conference.key, users, f"p:{KEYNOTE}",
                                      int(moment.timestamp()) - 86_400)  # fmt: skip
        planner = Scheduler(state, lambda: service, FixedClock(moment), NullSender())
        await planner.replan()
    finally:
        await state.close()


async def ledger_rows(where: StateAt) -> list[tuple[int, int, str]]:
    """(id, target, state) of every reminder delivery, read after a run."""
    state, _ = await where.open()
    try:
        rows = await state.ledger.deliveries(kind=DeliveryKind.REMINDER)
        return [(d.id, d.target, str(d.state)) for d in rows]
    finally:
        await state.close()


def check_exactly_once(sent: Sequence[int], expected: Sequence[int], what: str) -> None:
    """Every one of `expected` is in `sent` exactly once, and nothing else is: else an
    AssertionError naming the first few wrong."""
    counts = Counter(sent)
    twice = sorted(k for k, n in counts.items() if n > 1)
    missing = sorted(set(expected) - set(counts))
    stray = sorted(set(counts) - set(expected))
    assert not twice, f"{what}: {len(twice)} sent more than once, e.g. {twice[:5]}"
    assert not missing, f"{what}: {len(missing)} never sent, e.g. {missing[:5]}"
    assert not stray, f"{what}: {len(stray)} sent that were not planned, e.g. {stray[:5]}"


# -- worker processes ----------------------------------------------------------------------


def run_workers(module: str, jobs: Sequence[Json], timeout: float) -> list[Json]:
    """Start `python -m module --worker JOB` for each job, wait until every one is ready,
    tell them all to go at once, and return what each printed last (a JSON object)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", module, "--worker", json.dumps(job)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=PROJECT_ROOT,
        )
        for job in jobs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "ready":
                _, err = proc.communicate(timeout=READY_TIMEOUT)
                raise RuntimeError(f"a worker of {module} did not start: {line}{err}")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                raise RuntimeError(f"a worker of {module} failed ({proc.returncode}): {err}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def ready_and_wait() -> None:
    """A worker's side of the start: say it is ready, then wait to be told to go."""
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)


def report(result: Json) -> None:
    """A worker's answer: one JSON line, its last."""
    print(json.dumps(result), flush=True)


# -- figures -------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def busiest_second(moments: Sequence[float], window: float = 1.0) -> int:
    """The most moments within any `window` seconds ([t, t + window), from each moment:
    a window that held more would also hold more starting at its first moment)."""
    ordered = sorted(moments)
    return max((bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)),
               default=0)  # fmt: skip
