"""What both stores share: one aiosqlite connection, closed by `close()` or `async with`,
and one error for a database file that cannot be used."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite


class StoreUnavailable(Exception):
    """A database file cannot be opened, read or written. The message names the file and
    the reason in words; the caller adds which setting points at it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def describe(exc: BaseException) -> str:
    """What went wrong with a database file, as a person would say it."""
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__} ({type(exc).__name__})"
    text = str(exc)
    if "readonly" in text:
        return "it is read-only; the bot must be able to write it"
    if "not a database" in text or "malformed" in text:
        return "it is not a confbot database (damaged or another kind of file)"
    if "unable to open" in text:
        return "it cannot be opened (is its folder writable?)"
    return text


async def connect(
    path: Path | str, prepare: Callable[[aiosqlite.Connection], Awaitable[None]], uri: bool = False
) -> aiosqlite.Connection:
    """Open a connection and run `prepare` on it; on any failure the connection is closed
    (its thread would otherwise keep the process alive) and StoreUnavailable raised."""
    shown = Path(str(path).removeprefix("file:").split("?")[0])
    try:
        db = await aiosqlite.connect(path, uri=uri)
    except (sqlite3.Error, OSError) as exc:
        raise StoreUnavailable(shown, describe(exc)) from exc
    try:
        await prepare(db)
    except BaseException as exc:
        await db.close()
        if isinstance(exc, sqlite3.Error | OSError):
            raise StoreUnavailable(shown, describe(exc)) from exc
        raise
    return db


class Connected:
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self.closed = False

    async def close(self) -> None:
        await self._db.close()
        self.closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
