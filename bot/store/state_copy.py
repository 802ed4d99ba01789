"""Copying a SQLite state into PostgreSQL (`python -m bot migrate-state SQLITE_FILE`), so a
conference running on one machine moves to a server without losing a reminder or sending
one twice.

Both sides are brought to this confbot's schema first: the file is opened as a start
opens it (checked whole, migrated in place, held by this process's lock so no bot starts
on it meanwhile), and the server is migrated inside the copy's own transaction. Each table
is then copied column for column, ids included, by COPY. The tables and columns are the
migration history's (bot.store.migrations.schema_at), so a table a later migration adds is
copied with nothing changed here; they go in the order their foreign keys need.

What the stopped bot left between 'sending' and 'sent' is marked lost first, in the file,
exactly as that bot's next start would have (LedgerStore.recover_interrupted, the process
alone): it may have gone out, so it is never sent again.

The server is refused unless it holds no state rows: a copy never merges into a state in
use. The whole copy, the server's migration and its identity sequences included, is one
PostgreSQL transaction, under the lock migrations take turns on: on any failure nothing
of it is kept, and no bot starting meanwhile sees half a state.
"""

from __future__ import annotations

import graphlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
import psycopg

from bot.store.connection import StoreUnavailable, describe
from bot.store.ledger_store import Delivery
from bot.store.lock import StateHeld
from bot.store.migrations import STATE_VERSION, schema_at
from bot.store.postgres_address import redacted, scrubbed
from bot.store.postgres_database import Connection
from bot.store.postgres_state import (
    checked,
    connected,
    migrate_from,
    refusal,
    resync_identities,
    tables_of,
    take_turn,
)
from bot.store.sqlite_state import open_sqlite
from bot.store.state import StateStore

BATCH = 500  # rows read from the file at a time (a version's archive can be megabytes)


class CopyFailed(StoreUnavailable):
    """The copy failed on its way; the server's transaction was rolled back."""


@dataclass(frozen=True, slots=True)
class TableCopied:
    table: str
    in_file: int  # rows the file holds
    on_server: int  # rows the server holds after the copy, counted in its transaction


@dataclass(frozen=True, slots=True)
class StateCopied:
    source: Path
    target: str  # the server's address, without its password
    version: int  # the state schema both sides are at
    tables: tuple[TableCopied, ...]  # in the order copied
    lost: tuple[Delivery, ...]  # marked lost in the file before the copy


async def copy_state(source: Path, url: str, now_ts: int) -> StateCopied:
    """Copy the SQLite state in `source` into the empty PostgreSQL state at `url`, or
    raise StoreUnavailable naming the file or the server (never the password) and why, in
    words: CopyFailed when it failed midway, nothing of it kept on the server."""
    where = redacted(url)
    conn = await connected(url, where)
    try:
        # A first look, before the file is touched: the common refusals change nothing.
        await _refuse_unless_empty(conn, where, url, await checked(conn, where, url))
        state, file = await _opened(source)
        try:
            lost = await _recover(state, now_ts)
            tables = await _copy(file, conn, where, url)
        finally:
            await state.close()
    finally:
        await conn.close()
    return StateCopied(source, where, STATE_VERSION, tables, lost)


async def _opened(source: Path) -> tuple[StateStore, aiosqlite.Connection]:
    """The file as a start opens it (checked, migrated, locked), refused unless it already
    holds a confbot state, and while a bot runs on it; with its connection, to read the
    tables as they are."""
    try:
        db, lock = await open_sqlite(source, existing=True)
    except StateHeld as held:
        who = f"a confbot (process {held.pid})" if held.pid is not None else "a confbot"
        raise StoreUnavailable(
            source, f"{who} is running on it; stop that bot first, then run migrate-state"
            " again (what it sent until it stopped is copied as sent)"
        ) from None  # fmt: skip
    return StateStore(db, lock), db.connection


async def _recover(state: StateStore, now_ts: int) -> tuple[Delivery, ...]:
    """What the stopped bot held, taken as its own next start would (alone on the file):
    'sending' rows marked lost, reserved ones freed."""
    lost: list[Delivery] = []
    for conference in await state.ledger.conferences():
        lost += await state.ledger.recover_interrupted(conference, now_ts, alone=True)
    return tuple(sorted(lost, key=lambda d: d.id))


async def _state_rows(conn: Connection, version: int) -> dict[str, int]:
    """Rows in each state table the server holds at `version` (those holding any)."""
    tables = sorted(set(schema_at(version)) & await tables_of(conn))
    if not tables:
        return {}
    cursor = await conn.execute(
        " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
    )
    return {str(table): int(n) for table, n in await cursor.fetchall() if n}


async def _refuse_unless_empty(conn: Connection, where: str, url: str, version: int) -> None:
    try:
        held = await _state_rows(conn, version)
    except psycopg.Error as exc:
        raise refusal(exc, where, url) from exc
    if not held:
        return
    counts = sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(f"{n} in {table}" for table, n in counts[:3])
    more = f" and {len(counts) - 3} more tables" if counts[3:] else ""
    raise StoreUnavailable(
        where, f"it already holds a confbot state ({sum(held.values())} rows: {listed}{more});"
        " migrate-state copies only into an empty one and never merges into a state in use:"
        " point CONFBOT_STATE_URL at a new, empty database or schema, then run it again"
    )  # fmt: skip


def _in_order(tables: dict[str, set[str]]) -> list[str]:
    """The tables, each after those its foreign keys refer to (table -> those)."""
    graph = {table: refers & set(tables) - {table} for table, refers in sorted(tables.items())}
    return list(graphlib.TopologicalSorter(graph).static_order())


async def _references(file: aiosqlite.Connection, tables: Sequence[str]) -> dict[str, set[str]]:
    """Each table -> the tables its foreign keys refer to."""
    return {
        table: {str(row[2]) for row in await file.execute_fetchall(
            f'PRAGMA foreign_key_list("{table}")')}
        for table in tables
    }  # fmt: skip


async def _copy(
    file: aiosqlite.Connection, conn: Connection, where: str, url: str
) -> tuple[TableCopied, ...]:
    """Every state table, in one transaction on the server; the counts checked in it."""
    schema = schema_at(STATE_VERSION)
    refers = await _references(file, list(schema))
    try:
        async with conn.transaction():
            version = await take_turn(conn, where, url)
            await _refuse_unless_empty(conn, where, url, version)  # none began meanwhile
            await migrate_from(conn, version)
            copied = [await _copied(file, conn, where, url, table, sorted(schema[table]))
                      for table in _in_order(refers)]  # fmt: skip
            await resync_identities(conn)
    except psycopg.Error as exc:  # the migration, the identities, or the commit
        refused = refusal(exc, where, url)
        raise CopyFailed(where, f"{refused.reason}; nothing was kept on the server") from exc
    return tuple(copied)


async def _copied(
    file: aiosqlite.Connection, conn: Connection, where: str, url: str, table: str,
    columns: Sequence[str],
) -> TableCopied:  # fmt: skip
    """One table, read from the file in batches and written by COPY; CopyFailed (in
    words) when either side refuses, or when the server does not then hold as many rows
    as the file."""
    names = ", ".join(f'"{column}"' for column in columns)
    try:
        ((in_file,),) = await file.execute_fetchall(f'SELECT count(*) FROM "{table}"')
        await _stream(file, conn, table, names)
        count = await conn.execute(f'SELECT count(*) FROM "{table}"')
        on_server = int((await count.fetchone() or (0,))[0])
    except psycopg.Error as exc:
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CopyFailed(
            where, f"the copy of {table} failed ({scrubbed(said, url)}); nothing was kept"
            " on the server"
        ) from exc  # fmt: skip
    except sqlite3.Error as exc:
        raise CopyFailed(
            where, f"{table} could not be read from the file ({describe(exc)}); nothing"
            " was kept on the server"
        ) from exc  # fmt: skip
    if on_server != in_file:
        raise CopyFailed(
            where, f"{table} holds {in_file} rows in the file but {on_server} on the server"
            " after the copy; nothing was kept on the server"
        )  # fmt: skip
    return TableCopied(table, int(in_file), on_server)


async def _stream(file: aiosqlite.Connection, conn: Connection, table: str, names: str) -> None:
    """The table's rows from the file into the server's, a batch at a time (COPY writes
    each value as PostgreSQL reads it: a BLOB as bytea, byte for byte)."""
    read = await file.execute(f'SELECT {names} FROM "{table}"')
    try:
        async with (
            conn.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            while batch := await read.fetchmany(BATCH):
                for row in batch:
                    await copy.write_row(tuple(row))
    finally:
        await read.close()
