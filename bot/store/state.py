"""The state database: one connection and one migration history, which every feature's
store reads and writes through (reminders, announcements, the delivery ledger, ...).

It lives apart from the program database because that one is rebuilt wholesale whenever
the program changes; state must survive that, and restarts, and crashes. By default it is
a SQLite file beside one process (bot.store.sqlite_state); a cluster of processes keeps it
on a PostgreSQL server they share (bot.store.postgres_state).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

from bot.store.announcements_store import AnnouncementStore
from bot.store.conferences_store import ConferenceStore
from bot.store.database import Database
from bot.store.dialect import Dialect
from bot.store.events_store import EventStore
from bot.store.feature_store import SharedConnection
from bot.store.ledger_store import LedgerStore
from bot.store.lock import StateLock
from bot.store.members_store import MemberStore
from bot.store.migrations import MIGRATIONS, STATE_VERSION
from bot.store.qa_store import QAStore
from bot.store.reminders_store import ReminderStore
from bot.store.sqlite_state import open_sqlite, open_sqlite_to_read
from bot.store.streams_store import StreamStore
from bot.store.tickets_store import TicketStore
from bot.store.versions_store import VersionStore

__all__ = ["MIGRATIONS", "STATE_VERSION", "StateStore"]


class StateStore:
    """One connection for the bot's lifetime, opened, checked and migrated by
    bot.store.sqlite_state or bot.store.postgres_state, and one store per feature over it
    (`state.reminders`, `state.ledger`, ...); every write commits before it returns, and
    writes go one at a time (see bot.store.feature_store.writes)."""

    def __init__(self, db: Database, lock: StateLock | None = None) -> None:
        self._db = db
        self.path = db.where
        self.dialect: Dialect = db.dialect  # SQLite: one process (bot.store.coordination)
        self.closed = False
        self._lock = lock
        shared = SharedConnection(db)
        self._writing = shared.writing  # what every feature store's writes take turns on
        self.reminders = ReminderStore(shared)
        self.announcements = AnnouncementStore(shared)
        self.streams = StreamStore(shared)
        self.qa = QAStore(shared)
        self.versions = VersionStore(shared)
        self.ledger = LedgerStore(shared)
        self.events = EventStore(shared)
        self.conferences = ConferenceStore(shared)
        self.members = MemberStore(shared)
        self.tickets = TicketStore(shared)

    @classmethod
    async def open(cls, path: Path) -> Self:
        """Open, check, migrate and prove writable, or raise StoreUnavailable: a state
        file the bot cannot use must stop the start, not the first /remind an hour later.
        This process's alone until closed; StateHeld while another holds it (see
        bot.store.lock): two bots on one file would each record and send everything."""
        db, lock = await open_sqlite(path)
        return cls(db, lock)

    @classmethod
    async def open_to_read(cls, path: Path) -> Self:
        """For commands that only read (`versions`, `diff`, `status`), which an operator
        runs beside the bot: with no bot on it, as open; while a bot holds it, read-only
        beside that bot, never migrating or writing under it (see open_sqlite_to_read)."""
        db, lock = await open_sqlite_to_read(path)
        return cls(db, lock)

    @classmethod
    async def connect(cls, url: str, readers: int | None = None) -> Self:
        """The state on a PostgreSQL server (postgresql://...): connected, checked,
        migrated and proven writable, or StoreUnavailable in one sentence that names the
        server without its password. Several processes may share it. Writes take turns on
        one connection; reads outside a write have `readers` connections of their own
        (CONFBOT_STATE_READ_CONNECTIONS; None: bot.store.postgres_database.READERS).
        psycopg is imported here, not with this module: a process on a SQLite state
        (most, and every command an operator runs beside one) never needs it, and it
        was a sixth of `python -m bot`'s imports."""
        from bot.store.postgres_state import open_postgres

        return cls(await (open_postgres(url) if readers is None else open_postgres(url, readers)))

    @classmethod
    async def connect_to_read(cls, url: str) -> Self:
        """For commands that only read, beside the running bots: never migrating nor
        writing (see open_postgres_to_read; psycopg imported here, as in connect)."""
        from bot.store.postgres_state import open_postgres_to_read

        return cls(await open_postgres_to_read(url))

    @property
    def reachable(self) -> bool:
        """Whether the state database answered its last use (a server may be out of reach
        for a while: see bot.store.postgres_database)."""
        return self._db.reachable

    async def close(self) -> None:
        try:
            await self._db.close()
            self.closed = True
        finally:
            if self._lock is not None:
                self._lock.release()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def version(self) -> int:
        """The state schema version the database is at."""
        if self.dialect is Dialect.SQLITE:
            query = "PRAGMA user_version"
        else:  # a connection to PostgreSQL is open: psycopg is imported already
            from bot.store.postgres_state import VERSION_TABLE

            query = f"SELECT version FROM {VERSION_TABLE}"
        (version,) = next(iter(await self._db.execute_fetchall(query)))
        return int(version)
