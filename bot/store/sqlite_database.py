"""The state database in a SQLite file: aiosqlite's one connection, as the bot always used
it. sqlite3 opens a transaction before the first statement that writes, so a write's
transaction is only its commit at the end, or its rollback when it fails.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store.connection import WriteFailure, write_failure
from bot.store.database import Database, Done, Params, Row
from bot.store.dialect import Dialect

log = logging.getLogger(__name__)


class SqliteDatabase(Database):
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.connection = db  # aiosqlite's, for what only SQLite has (a test's PRAGMAs)
        self.path = path
        self.where = path
        self.dialect = Dialect.SQLITE

    async def execute(self, sql: str, params: Params = ()) -> Done:
        cursor = await self.connection.execute(sql, params)
        return Done(cursor.rowcount)

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return [tuple(row) for row in await self.connection.execute_fetchall(sql, params)]

    async def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> None:
        await self.connection.executemany(sql, seq_of_params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        try:
            yield
            await self.connection.commit()
        except BaseException:
            await self._roll_back()
            raise

    async def _roll_back(self) -> None:
        """Undo a failed write. SQLite may have undone it already (a full disk does);
        a rollback that fails too must not hide why the write failed."""
        try:
            await self.connection.rollback()
        except sqlite3.Error as exc:
            log.warning("state database %s: rollback after a failed write: %s", self.path, exc)

    def write_failure(self, exc: BaseException) -> WriteFailure | None:
        return write_failure(exc)

    async def close(self) -> None:
        await self.connection.close()
