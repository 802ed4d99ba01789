"""The state database: one file, one connection and one migration history, which every
feature's store reads and writes through (reminders, announcements, the delivery ledger, ...).

It lives in its own file because the program database is rebuilt wholesale whenever the
program changes; state must survive that, and restarts, and crashes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Self

import aiosqlite

from bot.store.announcements_store import AnnouncementStore
from bot.store.conferences_store import ConferenceStore
from bot.store.connection import Connected, StoreUnavailable, connect, describe
from bot.store.dialect import Dialect
from bot.store.events_store import EventStore
from bot.store.feature_store import SharedConnection
from bot.store.ledger_store import LedgerStore
from bot.store.lock import StateHeld, StateLock
from bot.store.members_store import MemberStore
from bot.store.qa_store import QAStore
from bot.store.reminders_store import ReminderStore
from bot.store.streams_store import StreamStore
from bot.store.tickets_store import TicketStore
from bot.store.versions_store import VersionStore

log = logging.getLogger(__name__)

_SCHEMA = resources.files("bot.store").joinpath("state_schema.sql").read_text(encoding="utf-8")
MIGRATIONS = [m.strip() for m in re.split(r"^-- migration \d+\s*$", _SCHEMA, flags=re.M)[1:]]
STATE_VERSION = len(MIGRATIONS)

_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


@functools.cache
def _schema_at(version: int) -> dict[str, frozenset[str]]:
    """Table -> columns, as the migrations up to `version` make them (built in memory
    from the migrations themselves, so it can never disagree with them)."""
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.executescript("\n".join(MIGRATIONS[:version]))
        tables = [row[0] for row in db.execute(_TABLES)]
        return {t: frozenset(row[1] for row in db.execute(f"PRAGMA table_info({t})"))
                for t in tables}  # fmt: skip


async def _check_schema(db: aiosqlite.Connection, path: Path, version: int) -> None:
    """Every table and column the schema at `version` has must be there: a table dropped
    by hand or a half-restored file would otherwise pass every check here and fail later,
    in a scheduler or a command, with a traceback. Tables of the operator's own are let be."""
    tables = {row[0] for row in await db.execute_fetchall(_TABLES)}
    if version == 0:
        if tables:  # never write confbot's tables into another program's database
            raise StoreUnavailable(
                path, "it is not a confbot state database (it holds other tables); give"
                " CONFBOT_STATE_DB a file of its own"
            )  # fmt: skip
        return
    missing = []
    for table, columns in _schema_at(version).items():
        if table not in tables:
            missing.append(f"the table {table}")
            continue
        have = {row[1] for row in await db.execute_fetchall(f"PRAGMA table_info({table})")}
        missing += [f"the column {table}.{column}" for column in sorted(columns - have)]
    if missing:
        listed = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if missing[3:] else "")
        raise StoreUnavailable(
            path, f"it lacks what state schema {version} needs ({listed}); restore it from a"
            " backup, or move it aside and the bot starts an empty one"
        )  # fmt: skip


async def _checked(db: aiosqlite.Connection, path: Path) -> int:
    """The file's state schema version, once the file is shown whole and holding every
    table and column of that version; else StoreUnavailable."""
    # A truncated file can keep a valid first page and fail only on the first /remind;
    # the state database is small, so checking it whole at start costs little.
    problems = [row[0] for row in await db.execute_fetchall("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise StoreUnavailable(path, f"it is damaged ({problems[0]}); restore it or move it away")
    (version,) = next(iter(await db.execute_fetchall("PRAGMA user_version")))
    if version > STATE_VERSION:
        raise StoreUnavailable(
            path, f"it was written by a newer confbot (state schema {version}); upgrade confbot"
        )
    # Checked before migrating: a migration on a damaged file would fail half-way with
    # SQLite's words ("no such table") instead of ours.
    await _check_schema(db, path, version)
    return int(version)


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
    version = await _checked(db, path)
    for number in range(version, STATE_VERSION):
        await db.executescript(
            f"BEGIN; {MIGRATIONS[number]}\nPRAGMA user_version = {number + 1}; COMMIT;"
        )
        log.info("state database %s migrated to version %d", path, number + 1)
    # A real write, even when there was nothing to migrate: it fails now on a read-only
    # file or folder (as root, file modes alone do not make it read-only; a mount does).
    await db.execute(f"PRAGMA user_version = {STATE_VERSION}")


def _usable(path: Path) -> None:
    """Refuse, in words, a path SQLite would fail on with its own (or hang on)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnavailable(path, f"its folder cannot be created: {describe(exc)}") from exc
    if path.is_dir():
        raise StoreUnavailable(path, "it is a folder; give a file path")
    if path.exists() and not path.is_file():  # a FIFO would hang the start
        raise StoreUnavailable(path, "it is not a regular file")
    try:
        path.open("rb").close()
    except FileNotFoundError:
        pass  # a first start: SQLite makes it
    except PermissionError as exc:
        # SQLite would call it "unable to open" and send the operator to the folder.
        raise StoreUnavailable(
            path, f"it cannot be read ({exc.strerror}); give the bot's user read and"
            " write access to it"
        ) from exc  # fmt: skip


class StateStore(Connected):
    """One connection for the bot's lifetime, opened, checked and migrated here, and one
    store per feature over it (`state.reminders`, `state.ledger`, ...); every write commits
    before it returns, and writes go one at a time (see bot.store.feature_store.writes)."""

    def __init__(self, db: aiosqlite.Connection, path: Path, lock: StateLock | None = None) -> None:
        super().__init__(db, path)
        self._lock = lock
        shared = SharedConnection(db, path)
        self.dialect: Dialect = shared.dialect  # SQLite: one process (bot.store.coordination)
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
        _usable(path)
        lock = StateLock.take(path)

        async def prepare(db: aiosqlite.Connection) -> None:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = FULL")  # a 'sent' mark must survive a crash
            await _migrate(db, path)

        try:
            return cls(await connect(path, prepare), path, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    async def open_to_read(cls, path: Path) -> Self:
        """For commands that only read (`versions`, `diff`), which an operator runs beside
        the bot: with no bot on it, as open; while a bot holds it, read-only beside that
        bot (SQLite's WAL lets it read while the bot writes), never migrating or writing
        under it, and refused in one sentence if that bot keeps another schema."""
        try:
            return await cls.open(path)
        except StateHeld:
            pass

        async def prepare(db: aiosqlite.Connection) -> None:
            version = await _checked(db, path)
            if version != STATE_VERSION:
                raise StoreUnavailable(
                    path, f"the confbot running on it keeps state schema {version}, this one"
                    f" {STATE_VERSION}; run this command with the running bot's confbot"
                )  # fmt: skip

        return cls(await connect(path, prepare, read_only=True), path)

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            if self._lock is not None:
                self._lock.release()

    async def version(self) -> int:
        (version,) = next(iter(await self._db.execute_fetchall("PRAGMA user_version")))
        return int(version)
