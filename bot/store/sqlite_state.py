"""Opening the state database in a SQLite file: checked whole, migrated in place (the
version in PRAGMA user_version), and this process's alone while open (bot.store.lock)."""

from __future__ import annotations

import logging
from pathlib import Path

import aiosqlite

from bot.store.connection import StoreUnavailable, connect, describe
from bot.store.lock import StateHeld, StateLock
from bot.store.migrations import MIGRATIONS, STATE_VERSION, lacking, missing_from
from bot.store.sqlite_database import SqliteDatabase

log = logging.getLogger(__name__)

_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
_REMEDY = "restore it from a backup, or move it aside and the bot starts an empty one"


async def _check_schema(
    db: aiosqlite.Connection, path: Path, version: int, existing: bool = False
) -> None:
    """Every table and column the schema at `version` has must be there: a table dropped
    by hand or a half-restored file would otherwise pass every check here and fail later,
    in a scheduler or a command, with a traceback. Tables of the operator's own are let be.
    `existing`: the file must already hold a confbot state (one to copy, not to start)."""
    tables = {row[0] for row in await db.execute_fetchall(_TABLES)}
    if version == 0:
        if existing:
            held = "it holds other tables" if tables else "it is empty"
            raise StoreUnavailable(
                path, f"it is not a confbot state database ({held}); name the file a bot"
                " kept its state in (CONFBOT_STATE_DB)"
            )  # fmt: skip
        if tables:  # never write confbot's tables into another program's database
            raise StoreUnavailable(
                path, "it is not a confbot state database (it holds other tables); give"
                " CONFBOT_STATE_DB a file of its own"
            )  # fmt: skip
        return
    have: dict[str, set[str]] = {}
    for table in tables:
        have[table] = {row[1] for row in await db.execute_fetchall(f"PRAGMA table_info({table})")}
    missing = missing_from(version, have)
    if missing:
        raise StoreUnavailable(path, lacking(version, missing, _REMEDY))


async def _checked(db: aiosqlite.Connection, path: Path, existing: bool = False) -> int:
    """The file's state schema version, once the file is shown whole and holding every
    table and column of that version; else StoreUnavailable (see _check_schema for
    `existing`)."""
    # A truncated file can keep a valid first page and fail only on the first /remind;
    # the state database is small, so checking it whole at start costs little.
    problems = [row[0] for row in await db.execute_fetchall("PRAGMA quick_check")]
    if problems != ["ok"]:
        # SQLite's first problem can span lines ("*** in database main ***\nPage 4: ..."):
        # the sentence stays one line.
        said = " ".join(problems[0].replace("*** in database main ***", "").split())
        raise StoreUnavailable(path, f"it is damaged ({said}); restore it or move it away")
    (version,) = next(iter(await db.execute_fetchall("PRAGMA user_version")))
    if version > STATE_VERSION:
        raise StoreUnavailable(
            path, f"it was written by a newer confbot (state schema {version}); upgrade confbot"
        )
    # Checked before migrating: a migration on a damaged file would fail half-way with
    # SQLite's words ("no such table") instead of ours.
    await _check_schema(db, path, version, existing)
    return int(version)


async def _migrate(db: aiosqlite.Connection, path: Path, existing: bool) -> None:
    version = await _checked(db, path, existing)
    for number in range(version, STATE_VERSION):
        await db.executescript(
            f"BEGIN; {MIGRATIONS[number]}\nPRAGMA user_version = {number + 1}; COMMIT;"
        )
        log.info("state database %s migrated to version %d", path, number + 1)
    # A real write, even when there was nothing to migrate: it fails now on a read-only
    # file or folder (as root, file modes alone do not make it read-only; a mount does).
    await db.execute(f"PRAGMA user_version = {STATE_VERSION}")


def _usable(path: Path, existing: bool) -> None:
    """Refuse, in words, a path SQLite would fail on with its own (or hang on), and with
    `existing` one where there is no file (SQLite would make an empty one)."""
    if existing and not path.exists():
        raise StoreUnavailable(
            path, "there is no such file; name the file a bot kept its state in"
            " (CONFBOT_STATE_DB)"
        )  # fmt: skip
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


async def open_sqlite(path: Path, *, existing: bool = False) -> tuple[SqliteDatabase, StateLock]:
    """Open, check, migrate and prove writable, or raise StoreUnavailable (StateHeld while
    another process holds the file). The lock is the caller's to release on close.
    `existing`: the file must already hold a confbot state (python -m bot migrate-state
    copies one): a missing or empty file is refused, not made a new state."""
    _usable(path, existing)
    lock = StateLock.take(path)

    async def prepare(db: aiosqlite.Connection) -> None:
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = FULL")  # a 'sent' mark must survive a crash
        await _migrate(db, path, existing)

    try:
        return SqliteDatabase(await connect(path, prepare), path), lock
    except BaseException:
        lock.release()
        raise


async def open_sqlite_to_read(path: Path) -> tuple[SqliteDatabase, StateLock | None]:
    """With no bot on the file, as open_sqlite; while a bot holds it, read-only beside that
    bot (SQLite's WAL lets it read while the bot writes), never migrating or writing under
    it, and refused in one sentence if that bot keeps another schema."""
    try:
        return await open_sqlite(path)
    except StateHeld:
        pass

    async def prepare(db: aiosqlite.Connection) -> None:
        version = await _checked(db, path)
        if version != STATE_VERSION:
            raise StoreUnavailable(
                path, f"the confbot running on it keeps state schema {version}, this one"
                f" {STATE_VERSION}; run this command with the running bot's confbot"
            )  # fmt: skip

    return SqliteDatabase(await connect(path, prepare, read_only=True), path), None
