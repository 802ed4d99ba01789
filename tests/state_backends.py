"""The state tests over both backends: `state_backend` gives a test a fresh state database,
once as a SQLite file and once on PostgreSQL (imported by tests/conftest.py).

PostgreSQL is the server CONFBOT_TEST_POSTGRES names (postgresql://user:password@host/db;
.ci/run starts one). Each test gets a schema of its own there (t_<random>, the search_path
of its address through `options`), so tests never see each other's rows and need no
database of their own. After the test its schema is dropped, or, when the bot migrated it
and the test left its structure as it was, emptied and kept for another test; a
`state_backend` test whose first act is `open()` is handed a kept one instead of migrating
its own (tests/postgres_schemas.py: its rows, sequences and name are as a new one's).
`postgres_backend`, for tests of the state's own opening and migrating, always starts
from an empty schema. Without CONFBOT_TEST_POSTGRES the PostgreSQL cases skip, saying so;
under CI they fail instead, since a CI run without PostgreSQL would pass without ever
testing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from bot.settings import Settings
from bot.store.dialect import Dialect
from bot.store.feature_store import FeatureStore, writes
from bot.store.migrations import postgres_migration
from bot.store.postgres_database import PostgresDatabase
from bot.store.postgres_state import VERSION_TABLE
from bot.store.state import StateStore
from tests.local_servers import state_at_version as sqlite_at_version
from tests.postgres_schemas import SchemaPool

POSTGRES_ENV = "CONFBOT_TEST_POSTGRES"
BACKENDS = [Dialect.SQLITE, Dialect.POSTGRES]


def postgres_server() -> str:
    """The address of the test PostgreSQL; skips the test without one (fails it under CI)."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is missing: {POSTGRES_ENV} is not set, and CI must run the"
                    " state tests against a real PostgreSQL", pytrace=False)  # fmt: skip
    pytest.skip(f"no PostgreSQL to test on: set {POSTGRES_ENV}=postgresql://user:password@"
                "host:port/database to run the state tests on PostgreSQL too")  # fmt: skip


def in_schema(url: str, schema: str) -> str:
    """`url` with `schema` as its search_path (through libpq's `options`). Commits do not
    wait for the disk (synchronous_commit off): what other sessions see is the same, and
    a test's state need not survive a crash of the server."""
    options = quote(f"-csearch_path={schema} -csynchronous_commit=off", safe="")
    return f"{url}{'&' if '?' in url else '?'}options={options}"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """One connection to the test PostgreSQL for the whole run, making and dropping the
    tests' schemas (a connection per test would cost more than most tests)."""
    with psycopg.connect(postgres_server(), autocommit=True) as admin:
        yield admin


def migrated_by_the_bot(schema: str) -> None:
    """The bot's own first start on the empty `schema`: connected, migrated, closed (in a
    thread of its own: the caller may be on an event loop)."""

    async def start() -> None:
        state = await StateStore.connect(in_schema(postgres_server(), schema))
        await state.close()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, start()).result()


@pytest.fixture(scope="session")
def postgres_schemas(
    postgres_admin: psycopg.Connection[tuple[object, ...]],
) -> Iterator[SchemaPool]:
    """This process's schemas on the test PostgreSQL: fresh ones, and migrated ones kept
    for reuse (tests/postgres_schemas.py), dropped at the end."""
    schemas = SchemaPool(postgres_admin, migrated_by_the_bot)
    try:
        yield schemas
    finally:
        schemas.close()


@contextmanager
def fresh_schema(schemas: SchemaPool) -> Iterator[str]:
    """A new, empty schema on the test PostgreSQL for the block: its name. After it, it is
    dropped with everything in it, or (migrated, its structure unchanged) emptied and kept."""
    schema = schemas.fresh()
    try:
        yield schema
    finally:
        schemas.give_back(schema)


@dataclass(frozen=True)
class StateBackend:
    """Where a test's state database is: a SQLite file, or a PostgreSQL schema of its own."""

    dialect: Dialect
    path: Path  # the SQLite file (also where settings put the sources' copies)
    url: str | None = None  # the PostgreSQL address, search_path the test's schema
    schema: str | None = None  # the test's schema, on PostgreSQL
    kept: SchemaPool | None = None  # where the first open may take a migrated schema from

    async def open(self) -> StateStore:
        """The state database, as the bot opens it (checked, migrated). On PostgreSQL, the
        first open of a schema still empty may find it migrated already: a kept schema took
        its place (SchemaPool.hand_in), as if a first start had just run."""
        if self.url is None:
            return await StateStore.open(self.path)
        if self.kept is not None and self.schema is not None:
            self.kept.hand_in(self.schema)
        return await StateStore.connect(self.url)

    async def open_to_read(self) -> StateStore:
        """As `python -m bot versions` opens it, beside a running bot."""
        if self.url is None:
            return await StateStore.open_to_read(self.path)
        return await StateStore.connect_to_read(self.url)

    def settings(self, settings: Settings) -> Settings:
        """`settings` keeping the state here."""
        return dataclasses.replace(settings, state_db=self.path, state_url=self.url)

    def env(self) -> dict[str, str]:
        """The environment variables that keep the state here (for `python -m bot`)."""
        if self.url is None:
            return {"CONFBOT_STATE_DB": str(self.path)}
        return {"CONFBOT_STATE_URL": self.url, "CONFBOT_STATE_DB": str(self.path)}


def state_at_version(backend: StateBackend, version: int, *statements: str) -> None:
    """A state database as confbot left it at schema `version`, with rows added."""
    if backend.url is None:
        sqlite_at_version(backend.path, version, *statements)
        return
    with psycopg.connect(backend.url, autocommit=True) as db, db.transaction():
        for number in range(version):
            db.execute(postgres_migration(number))
        db.execute(f"CREATE TABLE {VERSION_TABLE} (version BIGINT NOT NULL)")
        db.execute(f"INSERT INTO {VERSION_TABLE} VALUES ({version})")
        for statement in statements:
            db.execute(statement)


def run(backend: StateBackend, *statements: str) -> list[tuple[object, ...]]:
    """Statements run on the state database from outside the bot (another program, or an
    operator's hand); the rows the last one gives."""
    if backend.url is None:
        with contextlib.closing(sqlite3.connect(backend.path)) as db, db:
            rows = [db.execute(statement).fetchall() for statement in statements]
    else:
        with psycopg.connect(backend.url, autocommit=True) as conn:
            rows = [_rows(conn.execute(statement)) for statement in statements]
    return rows[-1] if rows else []


def _rows(cursor: psycopg.Cursor[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return cursor.fetchall() if cursor.description else []


@pytest.fixture(params=BACKENDS, ids=[str(b) for b in BACKENDS])
def state_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateBackend]:
    """A fresh state database for the test, on each backend in turn (not yet opened; on
    PostgreSQL its first open may be handed a migrated schema: see StateBackend.open)."""
    path = tmp_path / "state.db"
    if request.param is Dialect.SQLITE:
        yield StateBackend(Dialect.SQLITE, path)
        return
    server = postgres_server()  # skips (or fails, under CI) without one, before connecting
    schemas: SchemaPool = request.getfixturevalue("postgres_schemas")
    with fresh_schema(schemas) as schema:
        yield StateBackend(Dialect.POSTGRES, path, in_schema(server, schema), schema, schemas)


@pytest.fixture
def postgres_backend(tmp_path: Path, postgres_schemas: SchemaPool) -> Iterator[StateBackend]:
    """A fresh state database on PostgreSQL only, for what only PostgreSQL has: always an
    empty schema, which the test's first open migrates (for tests of opening itself)."""
    with fresh_schema(postgres_schemas) as schema:
        url = in_schema(postgres_server(), schema)
        yield StateBackend(Dialect.POSTGRES, tmp_path / "state.db", url, schema)


@pytest.fixture
async def shared_state(state_backend: StateBackend) -> AsyncIterator[StateStore]:
    """One state that two schedulers with different process names share, standing for
    two processes of a cluster, on each backend: on SQLite it says the state is not this
    process's alone (what a PostgreSQL state says by itself). Tests of the ledger's leases
    (tests/test_ledger_leases.py, tests/test_ledger_outage.py)."""
    state = await state_backend.open()
    state.ledger.alone = False
    try:
        yield state
    finally:
        await state.close()


@asynccontextmanager
async def opened(backend: StateBackend) -> AsyncIterator[StateStore]:
    """The state database open for the block, closed after."""
    state = await backend.open()
    try:
        yield state
    finally:
        await state.close()


# -- the sessions of a state on PostgreSQL (tests end them, as a server restart would) --

# Seconds a test waits, at most, for what the pool does in the background: only a safety
# net, so that what never happens fails the test instead of hanging it.
SAFETY = 30.0


class _Session(FeatureStore):
    @writes
    async def pid(self) -> int:
        """A write's own statements run on the writing connection."""
        ((pid,),) = await self._db.execute_fetchall("SELECT pg_backend_pid()")
        return int(pid)


async def writing_pid(state: StateStore) -> int:
    """The server process of the state's writing connection (made again if it was lost)."""
    return await _Session(state.streams._shared).pid()


async def reading_pids(state: StateStore) -> list[int]:
    """The server processes of the state's reading connections, all held at once (so each
    is another), once the pool has made them: the pids psycopg knows, whether or not the
    server still has them."""
    db = state._db
    assert isinstance(db, PostgresDatabase) and db._readers is not None
    pool = db._readers
    held = [await pool.getconn(timeout=SAFETY) for _ in range(pool.max_size)]
    try:
        return [conn.info.backend_pid for conn in held]
    finally:
        for conn in held:
            await pool.putconn(conn)


async def terminate(pid: int) -> None:
    """End a session of the test PostgreSQL from another connection, and wait until it
    has ended."""
    async with await psycopg.AsyncConnection.connect(postgres_server(), autocommit=True) as admin:
        cursor = await admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
        assert await cursor.fetchone() == (True,)


def alive(pids: list[int]) -> list[int]:
    """Those of `pids` the test PostgreSQL has a session for, in order."""
    with psycopg.connect(postgres_server(), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
        return sorted(int(pid) for (pid,) in rows.fetchall())
