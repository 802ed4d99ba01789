"""The state database as every feature store sees it (`self._db`): statements with `?`
placeholders, rows back as tuples, and writes made whole by a transaction. Two kinds stand
behind it: a SQLite file beside one process (bot.store.sqlite_database, the default) and
a PostgreSQL server a cluster of processes shares (bot.store.postgres_database).

The stores' SQL is written once for both (see bot/store/dialect.py for the few clauses
that differ); what differs in talking to each lives behind this one small interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.store.connection import WriteFailure
from bot.store.dialect import Dialect

Row = tuple[Any, ...]
Params = Sequence[Any]


@dataclass(frozen=True, slots=True)
class Done:
    """What a statement run for its effect reports: how many rows it changed."""

    rowcount: int


class Database(ABC):
    """One connection to the state database, shared by every feature store."""

    dialect: Dialect
    # What a message names it by: the file, or the server's address without its password.
    where: Path | str

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> Done:
        """Run one statement for its effect."""

    @abstractmethod
    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one statement and return every row it gives."""

    @abstractmethod
    async def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> None:
        """Run one statement once for each set of parameters."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """A write, whole: committed when the block ends, rolled back if it raises. Only
        bot.store.feature_store.writes opens one (writes go one at a time)."""

    @abstractmethod
    def write_failure(self, exc: BaseException) -> WriteFailure | None:
        """What refused a write when it was the disk, the file or the server (the
        operator's to fix); None for anything else, a bug, which must stay an error."""

    @property
    def reachable(self) -> bool:
        """Whether the database answered its last use: a server may be out of reach for
        a while (/status says so); a file beside the process always answers."""
        return True

    @abstractmethod
    async def close(self) -> None:
        """Close the connection; the database is not used again."""
