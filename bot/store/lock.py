"""One bot per state database: an OS lock on a file beside it, held while it is open.

Two processes on one state database would each follow the program and each record every
version's changes (every notice told twice), and each deliver the ledger's due rows. A
server database is what sharing state between processes needs; SQLite state is one
process's. flock() is the kernel's: it goes with the process however it ends, kill -9
included, so no stale lock is ever left to clear by hand. The lock file itself stays
(removing it would let a third process lock a new file while a second holds the old one).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from bot.store.connection import StoreUnavailable, describe


def lock_path(database: Path) -> Path:
    return database.with_name(f"{database.name}.lock")


class StateHeld(StoreUnavailable):
    """Another process holds the state database (see StateLock.take); `pid` is that
    process's id when it wrote one (for a command's own sentence about it)."""

    def __init__(self, path: Path, reason: str, pid: int | None = None) -> None:
        super().__init__(path, reason)
        self.pid = pid


class StateLock:
    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def take(cls, database: Path) -> StateLock:
        """Lock the database for this process, or raise StateHeld saying another
        confbot (by process id, when it wrote one) holds it. Never waits."""
        path = lock_path(database)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if not path.is_file():
                raise StoreUnavailable(
                    database, f"its lock file {path.name} cannot be made: {describe(exc)}"
                ) from exc
            # A read-only folder with the lock file in it: a read-only descriptor locks
            # as well (and the database's own check then says it is read-only).
            fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _holder(fd)
            os.close(fd)
            holder = f" (process {pid})" if pid is not None else ""
            raise StateHeld(
                database,
                f"another confbot{holder} is running on it; stop that one first, or give"
                " this one its own state database",
                pid,
            ) from None
        except BaseException:
            os.close(fd)
            raise
        with contextlib.suppress(OSError):  # who holds it, for the next one's sentence
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd, path)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor releases the lock
            self._fd = None


def _holder(fd: int) -> int | None:
    """The process id the holder wrote in the lock file, if it could."""
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode().strip())
    return None
