"""What every feature store of the state database shares: the one connection, the lock its
writes take turns on, and the wrapper that makes a write whole (see `writes`).

The state database has one migration history (bot.store.state); each feature (reminders,
announcements, the ledger, ...) reads and writes its own tables through a small store of
its own over that one connection, so a feature's SQL has one obvious place.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.store.connection import WriteFailed
from bot.store.database import Database
from bot.store.dialect import Dialect


class SharedConnection:
    """The state database's one connection, shared by every feature store, and the lock
    that makes their writes go one at a time."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.writing = asyncio.Lock()

    @property
    def dialect(self) -> Dialect:
        """What the few statements that differ ask (see bot.store.dialect)."""
        return self.db.dialect


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
    shares (so two never interleave, nor does one commit the other half-way), in one
    transaction committed at its end, and rolled back if it fails (so the next write does
    not commit what it left). The methods themselves never commit."""

    @functools.wraps(method)
    async def whole(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        db = self._shared.db
        async with self._shared.writing:
            try:
                async with db.transaction():
                    return await method(self, *args, **kwargs)
            except BaseException as exc:
                failure = db.write_failure(exc)
                if failure is None:
                    raise
                # The disk, the file or the server said no (full, read-only, locked, gone):
                # not a bug, and the operator's to fix; the adapters say so in words (see
                # WriteFailed).
                raise WriteFailed(db.where, failure, str(exc)) from exc

    return whole
