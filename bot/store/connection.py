"""What both stores share: one aiosqlite connection, closed by `close()` or `async with`,
and one error for a database file that cannot be used."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite


class StoreUnavailable(Exception):
    """A database cannot be opened, read or written. The message names the file (or the
    server's address, without its password) and the reason in words; the caller adds
    which setting points at it."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class WriteFailure(StrEnum):
    """Why the disk or the file refused a write that was otherwise fine: the operator's
    to fix, not the person's, and not a bug in the bot."""

    DISK_FULL = "the disk is full"
    READ_ONLY = "the database is read-only"
    LOCKED = "the database is locked by another program"
    DISK_ERROR = "the disk could not write it"
    UNREACHABLE = "the database server cannot be reached"  # PostgreSQL: gone or restarting


class WriteFailed(Exception):
    """A write the disk, the file or the server refused, undone whole: nothing of it was
    kept."""

    def __init__(self, path: Path | str, failure: WriteFailure, detail: str) -> None:
        super().__init__(f"{path}: {failure} ({detail})")
        self.path = path
        self.failure = failure


class StateUnreachable(Exception):
    """A read the state database's server could not answer: it is gone, restarting, or
    takes no more clients. Nothing was read. Not a bug, and nobody's doing but the
    server's: what depends on the state is left out or waits until it answers again (the
    database logs the outage once, as it begins and as it ends)."""

    def __init__(self, path: Path | str, detail: str) -> None:
        super().__init__(f"{path}: {WriteFailure.UNREACHABLE} ({detail})")
        self.path = path


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` is the state database's server being out of reach, for a read or a
    write: expected while it restarts, logged by the database once an outage, so those
    who meet it (a loop, a command) need not log it again, nor with a traceback."""
    if isinstance(exc, StateUnreachable):
        return True
    return isinstance(exc, WriteFailed) and exc.failure is WriteFailure.UNREACHABLE


# SQLite's primary result codes (the low byte of an extended one): sqlite3 names them only
# from Python 3.11.4 on, and on the error only as a number.
_SQLITE_FAILURES = {
    13: WriteFailure.DISK_FULL,  # SQLITE_FULL, also a full max_page_count
    8: WriteFailure.READ_ONLY,  # SQLITE_READONLY
    3: WriteFailure.READ_ONLY,  # SQLITE_PERM
    5: WriteFailure.LOCKED,  # SQLITE_BUSY: another process kept it past the timeout
    6: WriteFailure.LOCKED,  # SQLITE_LOCKED
    10: WriteFailure.DISK_ERROR,  # SQLITE_IOERR
    14: WriteFailure.DISK_ERROR,  # SQLITE_CANTOPEN: a journal could not be made
}
_OS_FAILURES = {
    errno.ENOSPC: WriteFailure.DISK_FULL,
    errno.EDQUOT: WriteFailure.DISK_FULL,
    errno.EROFS: WriteFailure.READ_ONLY,
    errno.EACCES: WriteFailure.READ_ONLY,
    errno.EPERM: WriteFailure.READ_ONLY,
    errno.EIO: WriteFailure.DISK_ERROR,
}


def write_failure(exc: BaseException) -> WriteFailure | None:
    """What refused a write, when it was the disk or the file; None for anything else
    (a bug: a wrong statement, a closed connection), which must stay an error."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return None if code is None else _SQLITE_FAILURES.get(code & 0xFF)
    if isinstance(exc, OSError) and exc.errno is not None:
        return _OS_FAILURES.get(exc.errno)
    return None


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
    path: Path, prepare: Callable[[aiosqlite.Connection], Awaitable[None]], read_only: bool = False
) -> aiosqlite.Connection:
    """Open a connection and run `prepare` on it; on any failure the connection is closed
    (its thread would otherwise keep the process alive) and StoreUnavailable raised.
    `read_only`: opened as a URI with mode=ro, the path percent-encoded (as_uri), so a
    folder named 'a#b' or 'a%20b' is that folder, not another file or none."""
    try:
        if read_only:
            db = await aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        else:
            db = await aiosqlite.connect(path)
    except (sqlite3.Error, OSError) as exc:
        raise StoreUnavailable(path, describe(exc)) from exc
    try:
        await prepare(db)
    except BaseException as exc:
        await db.close()
        if isinstance(exc, sqlite3.Error | OSError):
            raise StoreUnavailable(path, describe(exc)) from exc
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
