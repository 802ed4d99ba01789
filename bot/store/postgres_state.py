"""Opening the state database on a PostgreSQL server: connected, checked and migrated in
place, in the connection's current schema (the first of its search_path), so one database
can hold several confbots' states, each in a schema of its own.

The version is kept in a table of its own (PostgreSQL has no user_version). The migrations
a start finds missing are applied in one transaction, which holds an advisory lock on the
schema: processes starting at once take turns, and each reads the version under the lock,
so none migrates what another already has; and since PostgreSQL's DDL is transactional, the
state is at the old version or the new one, never between (other processes may be reading
it all along).
"""

from __future__ import annotations

import logging

import psycopg

from bot.store.connection import StoreUnavailable
from bot.store.migrations import STATE_VERSION, lacking, missing_from, postgres_migration
from bot.store.postgres_address import redacted, scrubbed
from bot.store.postgres_database import (
    READERS,
    Connection,
    PostgresDatabase,
    connect,
    open_readers,
)
from bot.store.postgres_refusals import connect_failure

log = logging.getLogger(__name__)

VERSION_TABLE = "confbot_state_version"
# The advisory lock migrations take turns on: this key and the database's and schema's
# (two int4 keys: a space apart from the one-bigint keys other locks of the bot may use).
MIGRATION_LOCK = 0x636F6E66  # 'conf'
_TAKE_TURNS = (
    "SELECT pg_advisory_xact_lock(%s, hashtext(current_database() || '.' || current_schema()))"
)
_REMEDY = "restore it from a backup, or give the bot an empty database (or schema)"
# The catalog, not information_schema: the same answer, in a millisecond instead of twenty.
_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
)
_COLUMNS = (
    "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
    " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
)
_READ_ONLY = "SET default_transaction_read_only = on"


async def open_postgres(url: str, readers: int = READERS) -> PostgresDatabase:
    """Connect, check, migrate and prove writable, or raise StoreUnavailable naming the
    server (never the password) and the reason in words. `readers`: the connections kept
    for the reads outside a write, made in the background once the state is ready (0:
    the reads take their turn on the writing connection)."""
    where = redacted(url)
    conn = await connected(url, where)
    try:
        await _migrate(conn, where, url)
        pool = await open_readers(url, readers) if readers else None
    except BaseException:
        await conn.close()
        raise
    return PostgresDatabase(conn, url, where, readers=pool)


async def open_postgres_to_read(url: str) -> PostgresDatabase:
    """For commands that only read, beside running bots: never migrating or writing (the
    session is read-only), and refused in one sentence if the state is of another schema
    version than this confbot's, or holds none yet (no bot has started on it). One
    connection: a command's few reads take turns on it."""
    where = redacted(url)
    conn = await connected(url, where)
    try:
        await conn.execute(_READ_ONLY)
        version = await checked(conn, where, url)
        if version == 0:  # an operator's first look, before any bot started on it
            raise StoreUnavailable(
                where, "it holds no confbot state yet; start a bot on it first (its first"
                " start creates the tables), or check that this is the address the bots use"
            )  # fmt: skip
        if version != STATE_VERSION:
            raise StoreUnavailable(
                where, f"it keeps state schema {version}, this confbot {STATE_VERSION}; run"
                " this command with the confbot of the bots running on it (a bot migrates"
                " it at start)"
            )  # fmt: skip
    except BaseException:
        await conn.close()
        raise
    return PostgresDatabase(conn, url, where, setup=(_READ_ONLY,))


async def connected(url: str, where: str) -> Connection:
    """A connection as the stores use it, or StoreUnavailable saying why not in words."""
    try:
        return await connect(url)
    except psycopg.Error as exc:
        raise StoreUnavailable(where, connect_failure(exc, url)) from None


def refusal(exc: psycopg.Error, where: str, url: str) -> StoreUnavailable:
    """A statement at start (or of a copy into it) that the server refused, in words."""
    said = scrubbed(str(exc).strip().splitlines()[0] if str(exc).strip() else "", url)
    if exc.sqlstate == "25006":
        return StoreUnavailable(where, "it is read-only; the bot must be able to write it")
    if exc.sqlstate == "42501":
        return StoreUnavailable(where, f"the bot's user may not change it ({said})")
    if exc.sqlstate == "53100":
        return StoreUnavailable(where, "the server's disk is full")
    return StoreUnavailable(where, f"the server refused to set it up ({said})")


async def _schema(conn: Connection, where: str) -> str:
    cursor = await conn.execute("SELECT current_schema()")
    row = await cursor.fetchone()
    if row is None or row[0] is None:
        raise StoreUnavailable(
            where, "its search_path names no schema that exists; create the schema, or name"
            " one that does"
        )  # fmt: skip
    return str(row[0])


async def tables_of(conn: Connection) -> set[str]:
    """The tables in the connection's current schema."""
    cursor = await conn.execute(_TABLES)
    return {str(name) for (name,) in await cursor.fetchall()}


async def _version(conn: Connection, tables: set[str]) -> int:
    if VERSION_TABLE not in tables:
        return 0
    cursor = await conn.execute(f"SELECT version FROM {VERSION_TABLE}")
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def checked(conn: Connection, where: str, url: str) -> int:
    """The state schema version, once every table and column of that version is shown
    to be there; a database of another program's, or of a newer confbot, is refused."""
    try:
        await _schema(conn, where)
        tables = await tables_of(conn)
        version = await _version(conn, tables)
        if version > STATE_VERSION:
            raise StoreUnavailable(
                where, f"it was written by a newer confbot (state schema {version}); upgrade"
                " confbot"
            )  # fmt: skip
        if version == 0:
            if tables - {VERSION_TABLE}:  # never write confbot's tables among another's
                raise StoreUnavailable(
                    where, "it is not a confbot state database (its schema holds other"
                    " tables); give the bot a database or a schema of its own"
                )  # fmt: skip
            return 0
        have: dict[str, set[str]] = {table: set() for table in tables}
        cursor = await conn.execute(_COLUMNS)
        for table, column in await cursor.fetchall():
            have.setdefault(str(table), set()).add(str(column))
        have = {table: columns for table, columns in have.items() if table in tables}
        missing = missing_from(version, have)
        if missing:
            raise StoreUnavailable(where, lacking(version, missing, _REMEDY))
        return version
    except psycopg.Error as exc:
        raise refusal(exc, where, url) from exc


_IDENTITIES = (
    "SELECT c.relname, a.attname, pg_get_serial_sequence(quote_ident(n.nspname) || '.'"
    " || quote_ident(c.relname), a.attname) FROM pg_attribute a"
    " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND a.attidentity <> '' AND NOT a.attisdropped"
)


async def resync_identities(conn: Connection) -> None:
    """Move each identity column's sequence past the largest id its table holds. Rows
    copied with their ids (a migration rebuilding a table, a state copied from SQLite)
    leave the sequence behind them, and the next insert would take an id already used.
    Never moves a sequence back, so it is safe while other processes insert."""
    cursor = await conn.execute(_IDENTITIES)
    statements = [
        f'SELECT setval(\'{sequence}\', m) FROM (SELECT max("{column}") AS m FROM "{table}") t,'
        f" {sequence} s WHERE m > s.last_value OR (m = s.last_value AND NOT s.is_called)"
        for table, column, sequence in await cursor.fetchall()
    ]
    if statements:
        await conn.execute("; ".join(statements))


async def take_turn(conn: Connection, where: str, url: str) -> int:
    """Inside a transaction: wait for the schema's migration lock (held until the
    transaction ends, so no other process migrates or copies meanwhile), then the state
    schema version, checked (see checked)."""
    await _schema(conn, where)
    await conn.execute(_TAKE_TURNS, (MIGRATION_LOCK,))
    return await checked(conn, where, url)


async def migrate_from(conn: Connection, version: int) -> None:
    """Inside the transaction of take_turn: apply the migrations missing since `version`,
    and write the version even when none was (it fails now on a read-only server, not
    at the first /remind). psycopg's errors are the caller's."""
    if version == 0:
        await conn.execute(f"CREATE TABLE {VERSION_TABLE} (version BIGINT NOT NULL)")
        await conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (0)")
    for number in range(version, STATE_VERSION):
        await conn.execute(postgres_migration(number))
    await resync_identities(conn)
    await conn.execute(f"UPDATE {VERSION_TABLE} SET version = %s", (STATE_VERSION,))


async def _migrate(conn: Connection, where: str, url: str) -> None:
    """Check and apply the migrations missing, in one transaction."""
    try:
        async with conn.transaction():
            version = await take_turn(conn, where, url)
            await migrate_from(conn, version)
    except psycopg.Error as exc:
        raise refusal(exc, where, url) from exc
    if version < STATE_VERSION:
        log.info("state database %s migrated from version %d to %d", where, version,
                 STATE_VERSION)  # fmt: skip
