"""What every feature store of the state database shares: the one connection, the lock its
writes take turns on, and the wrapper that makes a write whole (see `writes`).

The state database is one file with one migration history (bot.store.state); each feature
(reminders, announcements, the ledger, ...) reads and writes its own tables through a small
store of its own over that one connection, so a feature's SQL has one obvious place.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite

from bot.store.connection import WriteFailed, write_failure
from bot.store.dialect import Dialect

log = logging.getLogger(__name__)


class SharedConnection:
    """The state database's one connection, shared by every feature store, and the lock
    that makes their writes go one at a time."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        self.writing = asyncio.Lock()
        self.dialect = Dialect.SQLITE  # what the few statements that differ ask

    async def roll_back(self) -> None:
        """Undo a failed write. SQLite may have undone it already (a full disk does);
        a rollback that fails too must not hide why the write failed."""
        try:
            await self.db.rollback()
        except sqlite3.Error as exc:
            log.warning("state database %s: rollback after a failed write: %s", self.path, exc)


class FeatureStore:
    """One feature's tables in the state database, over the connection all features share."""

    def __init__(self, shared: SharedConnection) -> None:
        self._shared = shared
        self._db = shared.db


S = TypeVar("S", bound=FeatureStore)
P = ParamSpec("P")
T = TypeVar("T")


def writes(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """A write, whole: one at a time on the connection every conference and every feature
    shares (so two never interleave, nor does one commit the other half-way), committed at
    its end, and rolled back if it fails (so the next write does not commit what it left)."""

    @functools.wraps(method)
    async def whole(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        shared = self._shared
        async with shared.writing:
            try:
                return await method(self, *args, **kwargs)
            except BaseException as exc:
                await shared.roll_back()
                failure = write_failure(exc)
                if failure is None:
                    raise
                # The disk or the file said no (full, read-only, locked): not a bug, and
                # the operator's to fix; the adapters say so in words (see WriteFailed).
                raise WriteFailed(shared.path, failure, str(exc)) from exc

    return whole
