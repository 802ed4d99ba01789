"""The state database: reminders, per-guild announcement settings, and the delivery ledger.

It lives in its own file because the program database is rebuilt wholesale whenever the
program changes; state must survive that, and restarts, and crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import sqlite3
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

import aiosqlite

from bot.store.connection import (
    Connected,
    StoreUnavailable,
    WriteFailed,
    connect,
    describe,
    write_failure,
)
from bot.store.lock import StateHeld, StateLock

log = logging.getLogger(__name__)

_SCHEMA = resources.files("bot.store").joinpath("state_schema.sql").read_text(encoding="utf-8")
MIGRATIONS = [m.strip() for m in re.split(r"^-- migration \d+\s*$", _SCHEMA, flags=re.M)[1:]]
STATE_VERSION = len(MIGRATIONS)


class ReminderStatus(StrEnum):
    ACTIVE = "active"  # armed: a delivery is planned, or is being made
    DONE = "done"  # delivered; stays on the person's agenda until the item ends
    FAILED = "failed"  # could not be delivered (closed DMs); the person is told
    CANCELLED = "cancelled"  # /forget


# A person follows every item whose reminder they have not forgotten: what /agenda lists,
# /forget offers and /next puts first.
FOLLOWED = (ReminderStatus.ACTIVE, ReminderStatus.DONE, ReminderStatus.FAILED)


class DeliveryKind(StrEnum):
    REMINDER = "reminder"  # a DM to one person; owner is the reminder's id
    SLOT = "slot"  # a channel post of the sessions starting at one time; owner is the guild
    TALK = "talk"  # a channel line as a talk starts; owner is the guild
    ROOM = "room"  # the same line in the talk's room channel; owner is the guild
    THREAD = "thread"  # open a talk's Q&A thread in the forum; owner is the guild
    CLOSE = "close"  # lock and archive it a day after the talk; owner is the guild
    NOTICE = "notice"  # a DM listing a person's items a new version changed; owner is them
    UPDATE = "update"  # a channel post of all a new version changed; owner is the guild


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed and committed before the send: a crash here means lost
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    LOST = "lost"
    CANCELLED = "cancelled"


# A delivery may be claimed only while what asked for it still does: its reminder is
# active at the same arming, or its guild still announces to the same channel. Checked
# in the claim itself, so /forget or /announce off during a batch stops the next send.
_STILL_WANTED = """
    CASE deliveries.kind
    WHEN 'reminder' THEN EXISTS (
        SELECT 1 FROM reminders r WHERE r.id = deliveries.owner AND r.status = 'active'
        AND r.arming = deliveries.arming)
    WHEN 'room' THEN EXISTS (
        SELECT 1 FROM room_channels c WHERE c.guild_id = deliveries.owner AND c.enabled = 1
        AND c.channel_id = deliveries.target AND c.conference = deliveries.conference)
    WHEN 'thread' THEN EXISTS (
        SELECT 1 FROM qa_forums q WHERE q.guild_id = deliveries.owner AND q.enabled = 1
        AND q.forum_id = deliveries.target AND q.conference = deliveries.conference)
    WHEN 'notice' THEN 1
    WHEN 'close' THEN EXISTS (
        SELECT 1 FROM qa_threads t WHERE t.guild_id = deliveries.owner AND t.closed = 0
        AND t.thread_id = deliveries.target AND t.conference = deliveries.conference)
    ELSE EXISTS (
        SELECT 1 FROM announcements a WHERE a.guild_id = deliveries.owner AND a.enabled = 1
        AND a.channel_id = deliveries.target AND a.conference = deliveries.conference)
    END"""


class ReminderLimitReached(Exception):
    """The person already has as many active reminders as one person may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} active reminders per person")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    conference: str
    user_id: int
    guild_id: int | None
    item_ref: str
    minutes_before: int
    created_ts: int
    status: ReminderStatus
    failure: str | None
    failure_told: bool
    arming: int = 0


@dataclass(frozen=True, slots=True)
class Announcements:
    guild_id: int
    conference: str
    channel_id: int
    minutes_before: int
    per_talk: bool
    enabled: bool
    disabled_reason: str | None
    updated_ts: int


@dataclass(frozen=True, slots=True)
class RoomChannel:
    guild_id: int
    conference: str
    room: str
    channel_id: int
    enabled: bool
    disabled_reason: str | None
    updated_ts: int


@dataclass(frozen=True, slots=True)
class QAForum:
    guild_id: int
    conference: str
    forum_id: int
    minutes_before: int
    enabled: bool
    disabled_reason: str | None
    updated_ts: int


@dataclass(frozen=True, slots=True)
class QAThread:
    guild_id: int
    conference: str
    item_ref: str
    forum_id: int
    thread_id: int
    message_id: int
    signature: str
    closed: bool


@dataclass(frozen=True, slots=True)
class RecordedChange:
    """One talk a new version changed, as kept for notices and /changes."""

    sync_id: int
    applied_ts: int
    item_ref: str
    session_refs: tuple[str, ...]
    title: str
    kinds: tuple[str, ...]
    old: tuple[int, int, str | None] | None  # start, end, room
    new: tuple[int, int, str | None] | None


@dataclass(frozen=True, slots=True)
class ProgramVersion:
    id: int
    conference: str
    label: str | None
    loaded_ts: int
    size: int  # bytes of the zipped files


@dataclass(frozen=True, slots=True)
class ServerConference:
    guild_id: int
    conference: str
    is_default: bool


@dataclass(frozen=True, slots=True)
class AddedSource:
    conference: str
    url: str
    guild_id: int  # the server that added it first


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    kind: DeliveryKind
    owner: int
    item_ref: str
    arming: int
    target: int
    due_ts: int
    state: DeliveryState
    attempts: int
    updated_ts: int
    detail: str | None


@dataclass(frozen=True, slots=True)
class Planned:
    """A delivery the planner wants to exist (see bot/reminders/planner.py)."""

    kind: DeliveryKind
    owner: int
    item_ref: str
    target: int
    due_ts: int
    arming: int = 0


_REMINDER = (
    "id, conference, user_id, guild_id, item_ref, minutes_before, created_ts, status,"
    " failure, failure_told, arming"
)
_ANNOUNCEMENTS = (
    "guild_id, conference, channel_id, minutes_before, per_talk, enabled, disabled_reason,"
    " updated_ts"
)
_ROOM_CHANNEL = "guild_id, conference, room, channel_id, enabled, disabled_reason, updated_ts"
_DELIVERY = "id, kind, owner, item_ref, arming, target, due_ts, state, attempts, updated_ts, detail"


def _reminder(row: Sequence[Any]) -> Reminder:
    id_, conf, user, guild, ref, minutes, created, status, failure, told, arming = row
    return Reminder(id_, conf, user, guild, ref, minutes, created, ReminderStatus(status),
                    failure, bool(told), arming)  # fmt: skip


def _delivery(row: Sequence[Any]) -> Delivery:
    id_, kind, owner, ref, arming, target, due, state, attempts, updated, detail = row
    return Delivery(id_, DeliveryKind(kind), owner, ref, arming, target, due,
                    DeliveryState(state), attempts, updated, detail)  # fmt: skip


def _announcements(row: Sequence[Any]) -> Announcements:
    g, conf, channel, minutes, per_talk, enabled, reason, updated = row
    return Announcements(g, conf, channel, minutes, bool(per_talk), bool(enabled), reason, updated)


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


S = TypeVar("S", bound="StateStore")
P = ParamSpec("P")
T = TypeVar("T")


def _writes(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """A write, whole: one at a time on the connection every conference shares (so two
    never interleave, nor does one commit the other half-way), committed at its end, and
    rolled back if it fails (so the next write does not commit what it left)."""

    @functools.wraps(method)
    async def whole(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        async with self._writing:
            try:
                return await method(self, *args, **kwargs)
            except BaseException as exc:
                await self._roll_back()
                failure = write_failure(exc)
                if failure is None:
                    raise
                # The disk or the file said no (full, read-only, locked): not a bug, and
                # the operator's to fix; the adapters say so in words (see WriteFailed).
                raise WriteFailed(self.path, failure, str(exc)) from exc

    return whole


class StateStore(Connected):
    """One connection for the bot's lifetime; every write commits before it returns, and
    writes go one at a time (see _writes)."""

    def __init__(self, db: aiosqlite.Connection, path: Path, lock: StateLock | None = None) -> None:
        super().__init__(db, path)
        self._writing = asyncio.Lock()
        self._lock = lock

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

    async def _roll_back(self) -> None:
        """Undo a failed write. SQLite may have undone it already (a full disk does);
        a rollback that fails too must not hide why the write failed."""
        try:
            await self._db.rollback()
        except sqlite3.Error as exc:
            log.warning("state database %s: rollback after a failed write: %s", self.path, exc)

    async def version(self) -> int:
        (version,) = next(iter(await self._db.execute_fetchall("PRAGMA user_version")))
        return int(version)

    # -- reminders ----------------------------------------------------------------------

    @_writes
    async def add_reminder(
        self, conference: str, user_id: int, guild_id: int | None, item_ref: str,
        minutes_before: int, now_ts: int, limit: int | None = None,
    ) -> Reminder:  # fmt: skip
        """Arm the user's reminder for an item: create it, or arm it again (a new round,
        so a reminder already delivered or failed is delivered anew) with the new lead
        time. Raises ReminderLimitReached when it would exceed `limit` active ones."""
        # One statement, so two commands at once cannot both slip under the cap. (SQLite
        # needs the WHERE before ON CONFLICT when inserting from a SELECT.)
        cursor = await self._db.execute(
            "INSERT INTO reminders (conference, user_id, guild_id, item_ref, minutes_before,"
            " created_ts) SELECT ?, ?, ?, ?, ?, ? WHERE ? IS NULL OR (SELECT count(*) FROM"
            " reminders WHERE conference = ? AND user_id = ? AND status = 'active'"
            " AND item_ref != ?) < ?"
            " ON CONFLICT (conference, user_id, item_ref) DO UPDATE SET"
            " minutes_before = excluded.minutes_before, status = 'active', failure = NULL,"
            " failure_told = 0, guild_id = excluded.guild_id, arming = arming + 1",
            (conference, user_id, guild_id, item_ref, minutes_before, now_ts,
             limit, conference, user_id, item_ref, limit),
        )  # fmt: skip
        await self._db.commit()
        if cursor.rowcount == 0:
            raise ReminderLimitReached(limit or 0)
        rows = await self._db.execute_fetchall(
            f"SELECT {_REMINDER} FROM reminders WHERE conference = ? AND user_id = ?"
            " AND item_ref = ?",
            (conference, user_id, item_ref),
        )
        return _reminder(next(iter(rows)))

    async def reminders(
        self, conference: str, user_id: int | None = None, statuses: Iterable[str] = ("active",)
    ) -> list[Reminder]:
        statuses = tuple(statuses)
        marks = ", ".join("?" * len(statuses))
        query = f"SELECT {_REMINDER} FROM reminders WHERE conference = ? AND status IN ({marks})"
        params: list[object] = [conference, *statuses]
        if user_id is not None:
            query += " AND user_id = ?"
            params.append(user_id)
        rows = await self._db.execute_fetchall(query + " ORDER BY id", params)
        return [_reminder(r) for r in rows]

    async def followed_refs(self, conference: str, user_id: int) -> list[str]:
        """The items a person follows (see FOLLOWED)."""
        return [r.item_ref for r in await self.reminders(conference, user_id, FOLLOWED)]

    @_writes
    async def forget(self, conference: str, user_id: int, item_ref: str | None = None) -> int:
        """Cancel one of the user's reminders, or all of them; returns how many."""
        query = "UPDATE reminders SET status = 'cancelled' WHERE conference = ? AND user_id = ?"
        params: list[object] = [conference, user_id]
        if item_ref is not None:
            query += " AND item_ref = ?"
            params.append(item_ref)
        marks = ", ".join("?" * len(FOLLOWED))
        cursor = await self._db.execute(query + f" AND status IN ({marks})", [*params, *FOLLOWED])
        await self._db.commit()
        return cursor.rowcount

    @_writes
    async def settle_reminder(
        self, reminder: int, arming: int, status: ReminderStatus, failure: str | None = None
    ) -> None:
        """Record how an arming ended (done or failed), unless the reminder has since been
        forgotten or armed again: then that newer intent stands."""
        await self._db.execute(
            "UPDATE reminders SET status = ?, failure = ? WHERE id = ? AND arming = ?"
            " AND status = 'active'",
            (status, failure, reminder, arming),
        )
        await self._db.commit()

    async def untold_failures(self, conference: str, user_id: int) -> list[Reminder]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_REMINDER} FROM reminders WHERE conference = ? AND user_id = ?"
            " AND status = 'failed' AND failure_told = 0 ORDER BY id",
            (conference, user_id),
        )
        return [_reminder(r) for r in rows]

    @_writes
    async def mark_told(self, reminder_ids: Sequence[int]) -> None:
        await self._db.executemany(
            "UPDATE reminders SET failure_told = 1 WHERE id = ?", [(i,) for i in reminder_ids]
        )
        await self._db.commit()

    # -- announcements ------------------------------------------------------------------

    @_writes
    async def set_announcements(
        self, guild_id: int, conference: str, channel_id: int, minutes_before: int,
        per_talk: bool, now_ts: int,
    ) -> None:  # fmt: skip
        await self._db.execute(
            "INSERT INTO announcements (guild_id, conference, channel_id, minutes_before,"
            " per_talk, enabled, disabled_reason, updated_ts) VALUES (?, ?, ?, ?, ?, 1, NULL, ?)"
            " ON CONFLICT (guild_id, conference) DO UPDATE SET"
            " channel_id = excluded.channel_id, minutes_before = excluded.minutes_before,"
            " per_talk = excluded.per_talk, enabled = 1, disabled_reason = NULL,"
            " updated_ts = excluded.updated_ts",
            (guild_id, conference, channel_id, minutes_before, int(per_talk), now_ts),
        )
        await self._db.commit()

    @_writes
    async def disable_announcements(
        self, guild_id: int, reason: str, now_ts: int, conference: str | None = None
    ) -> bool:
        """Stop one conference's announcements in a server, or all of them (None)."""
        cursor = await self._db.execute(
            "UPDATE announcements SET enabled = 0, disabled_reason = ?, updated_ts = ?"
            " WHERE guild_id = ? AND enabled = 1 AND (? IS NULL OR conference = ?)",
            (reason, now_ts, guild_id, conference, conference),
        )
        await self._db.commit()
        return cursor.rowcount > 0

    async def announcements(self, guild_id: int | None = None) -> list[Announcements]:
        query = f"SELECT {_ANNOUNCEMENTS} FROM announcements"
        rows = await self._db.execute_fetchall(
            query + (" WHERE guild_id = ?" if guild_id is not None else "") + " ORDER BY guild_id",
            (guild_id,) if guild_id is not None else (),
        )
        return [_announcements(r) for r in rows]

    # -- conference day: room channels and streams -----------------------------------

    @_writes
    async def set_room_channel(
        self, guild_id: int, conference: str, room: str, channel_id: int, now_ts: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO room_channels (guild_id, conference, room, channel_id, enabled,"
            " disabled_reason, updated_ts) VALUES (?, ?, ?, ?, 1, NULL, ?)"
            " ON CONFLICT (guild_id, conference, room) DO UPDATE SET"
            " channel_id = excluded.channel_id, enabled = 1, disabled_reason = NULL,"
            " updated_ts = excluded.updated_ts",
            (guild_id, conference, room, channel_id, now_ts),
        )
        await self._db.commit()

    @_writes
    async def remove_room_channel(self, guild_id: int, conference: str, room: str) -> bool:
        cursor = await self._db.execute(
            "DELETE FROM room_channels WHERE guild_id = ? AND conference = ? AND room = ?",
            (guild_id, conference, room),
        )
        await self._db.commit()
        return cursor.rowcount > 0

    @_writes
    async def disable_room_channel(
        self, guild_id: int, channel_id: int, reason: str, now_ts: int
    ) -> bool:
        """The channel is gone or closed to us: stop posting there, say why in /status."""
        cursor = await self._db.execute(
            "UPDATE room_channels SET enabled = 0, disabled_reason = ?, updated_ts = ?"
            " WHERE guild_id = ? AND channel_id = ? AND enabled = 1",
            (reason, now_ts, guild_id, channel_id),
        )
        await self._db.commit()
        return cursor.rowcount > 0

    async def room_channels(
        self, conference: str, guild_id: int | None = None
    ) -> list[RoomChannel]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_ROOM_CHANNEL} FROM room_channels WHERE conference = ?"
            + (" AND guild_id = ?" if guild_id is not None else "")
            + " ORDER BY guild_id, room",
            (conference, guild_id) if guild_id is not None else (conference,),
        )
        return [
            RoomChannel(g, conf, room, channel, bool(enabled), reason, updated)
            for g, conf, room, channel, enabled, reason, updated in rows
        ]

    @_writes
    async def set_stream(
        self, guild_id: int, conference: str, room: str, url: str, now_ts: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO streams (guild_id, conference, room, url, updated_ts)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, conference, room)"
            " DO UPDATE SET url = excluded.url, updated_ts = excluded.updated_ts",
            (guild_id, conference, room, url, now_ts),
        )
        await self._db.commit()

    @_writes
    async def clear_stream(self, guild_id: int, conference: str, room: str) -> bool:
        cursor = await self._db.execute(
            "DELETE FROM streams WHERE guild_id = ? AND conference = ? AND room = ?",
            (guild_id, conference, room),
        )
        await self._db.commit()
        return cursor.rowcount > 0

    async def streams(self, guild_id: int, conference: str) -> dict[str, str]:
        """Room -> live stream URL, as this server's organisers set them."""
        rows = await self._db.execute_fetchall(
            "SELECT room, url FROM streams WHERE guild_id = ? AND conference = ?",
            (guild_id, conference),
        )
        return {room: url for room, url in rows}

    # -- Q&A threads --------------------------------------------------------------------

    @_writes
    async def set_qa_forum(
        self, guild_id: int, conference: str, forum_id: int, minutes_before: int, now_ts: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO qa_forums (guild_id, conference, forum_id, minutes_before, enabled,"
            " disabled_reason, updated_ts) VALUES (?, ?, ?, ?, 1, NULL, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET conference = excluded.conference,"
            " forum_id = excluded.forum_id, minutes_before = excluded.minutes_before,"
            " enabled = 1, disabled_reason = NULL, updated_ts = excluded.updated_ts",
            (guild_id, conference, forum_id, minutes_before, now_ts),
        )
        await self._db.commit()

    @_writes
    async def disable_qa(self, guild_id: int, reason: str, now_ts: int) -> bool:
        cursor = await self._db.execute(
            "UPDATE qa_forums SET enabled = 0, disabled_reason = ?, updated_ts = ?"
            " WHERE guild_id = ? AND enabled = 1",
            (reason, now_ts, guild_id),
        )
        await self._db.commit()
        return cursor.rowcount > 0

    async def qa_forums(self, conference: str, guild_id: int | None = None) -> list[QAForum]:
        rows = await self._db.execute_fetchall(
            "SELECT guild_id, conference, forum_id, minutes_before, enabled, disabled_reason,"
            " updated_ts FROM qa_forums WHERE conference = ?"
            + (" AND guild_id = ?" if guild_id is not None else "")
            + " ORDER BY guild_id",
            (conference, guild_id) if guild_id is not None else (conference,),
        )
        return [QAForum(g, c, f, m, bool(e), r, u) for g, c, f, m, e, r, u in rows]

    @_writes
    async def save_thread(self, thread: QAThread) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO qa_threads (guild_id, conference, item_ref, forum_id,"
            " thread_id, message_id, signature, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (thread.guild_id, thread.conference, thread.item_ref, thread.forum_id,
             thread.thread_id, thread.message_id, thread.signature, int(thread.closed)),
        )  # fmt: skip
        await self._db.commit()

    async def qa_threads(
        self, conference: str, guild_id: int | None = None, *, open_only: bool = False
    ) -> list[QAThread]:
        rows = await self._db.execute_fetchall(
            "SELECT guild_id, conference, item_ref, forum_id, thread_id, message_id, signature,"
            " closed FROM qa_threads WHERE conference = ?"
            + (" AND guild_id = ?" if guild_id is not None else "")
            + (" AND closed = 0" if open_only else "")
            + " ORDER BY guild_id, thread_id",
            (conference, guild_id) if guild_id is not None else (conference,),
        )
        return [QAThread(g, c, i, f, t, m, s, bool(x)) for g, c, i, f, t, m, s, x in rows]

    async def qa_thread(self, thread_id: int) -> QAThread | None:
        rows = list(await self._db.execute_fetchall(
            "SELECT guild_id, conference, item_ref, forum_id, thread_id, message_id, signature,"
            " closed FROM qa_threads WHERE thread_id = ?", (thread_id,),
        ))  # fmt: skip
        if not rows:
            return None
        g, c, i, f, t, m, sig, closed = rows[0]
        return QAThread(g, c, i, f, t, m, sig, bool(closed))

    # -- the versions served ------------------------------------------------------------

    @_writes
    async def serve_version(
        self, conference: str, fingerprint: str, label: str | None, now_ts: int,
        archive: bytes | None, changes: Sequence[RecordedChange] = (),
    ) -> int | None:  # fmt: skip
        """Keep the version now served (once per distinct content; served last), with what
        it changed since the last one: one transaction, so a crash leaves either both or
        neither, and the next start neither misses the changes nor tells them twice.
        `archive` is None for a version kept already (see version_kept). Returns the
        sync's id when there were changes."""
        last = "(SELECT coalesce(max(served), 0) + 1 FROM program_versions)"
        if archive is None:
            await self._db.execute(
                f"UPDATE program_versions SET served = {last} WHERE conference = ?"
                " AND fingerprint = ?",
                (conference, fingerprint),
            )
        else:
            await self._db.execute(
                "INSERT INTO program_versions (conference, fingerprint, label, loaded_ts,"
                f" archive, served) VALUES (?, ?, ?, ?, ?, {last})"
                " ON CONFLICT (conference, fingerprint) DO UPDATE SET served = excluded.served",
                (conference, fingerprint, label, now_ts, archive),
            )
        sync_id = await self._insert_sync(conference, now_ts, changes) if changes else None
        await self._db.commit()
        return sync_id

    async def version_kept(self, conference: str, fingerprint: str) -> bool:
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM program_versions WHERE conference = ? AND fingerprint = ?",
            (conference, fingerprint),
        )
        return bool(list(rows))

    async def served_version(self, conference: str) -> tuple[str, bytes] | None:
        """(fingerprint, zipped files) of the version served last, if any."""
        rows = list(await self._db.execute_fetchall(
            "SELECT fingerprint, archive FROM program_versions WHERE conference = ?"
            " ORDER BY served DESC LIMIT 1", (conference,),
        ))  # fmt: skip
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    async def versions(self) -> list[ProgramVersion]:
        """Every version kept, newest first."""
        rows = await self._db.execute_fetchall(
            "SELECT id, conference, label, loaded_ts, length(archive) FROM program_versions"
            " ORDER BY id DESC"
        )
        return [ProgramVersion(i, c, lab, ts, n) for i, c, lab, ts, n in rows]

    async def version_archive(self, version_id: int) -> bytes | None:
        rows = list(await self._db.execute_fetchall(
            "SELECT archive FROM program_versions WHERE id = ?", (version_id,)
        ))  # fmt: skip
        return bytes(rows[0][0]) if rows else None

    # -- the live program's changes ---------------------------------------------------

    async def _insert_sync(
        self, conference: str, applied_ts: int, changes: Sequence[RecordedChange]
    ) -> int:
        cursor = await self._db.execute(
            "INSERT INTO program_syncs (conference, applied_ts) VALUES (?, ?)",
            (conference, applied_ts),
        )
        sync_id = cursor.lastrowid
        assert sync_id is not None
        await self._db.executemany(
            "INSERT INTO program_changes (sync_id, item_ref, session_refs, title, kinds,"
            " old_start, old_end, old_room, new_start, new_end, new_room)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sync_id, c.item_ref, " ".join(c.session_refs), c.title, " ".join(c.kinds),
              *(c.old or (None, None, None)), *(c.new or (None, None, None)))
             for c in changes],
        )  # fmt: skip
        return sync_id

    async def changes(
        self, conference: str, since_ts: int = 0, sync_id: int | None = None
    ) -> list[RecordedChange]:
        """Changes applied since `since_ts` (or of one sync), newest sync first."""
        rows = await self._db.execute_fetchall(
            "SELECT s.id, s.applied_ts, c.item_ref, c.session_refs, c.title, c.kinds,"
            " c.old_start, c.old_end, c.old_room, c.new_start, c.new_end, c.new_room"
            " FROM program_changes c JOIN program_syncs s ON s.id = c.sync_id"
            " WHERE s.conference = ? AND s.applied_ts >= ?"
            + (" AND s.id = ?" if sync_id is not None else "")
            + " ORDER BY s.id DESC, c.rowid",
            (conference, since_ts, sync_id) if sync_id is not None else (conference, since_ts),
        )
        return [
            RecordedChange(sid, ts, ref, tuple(sessions.split()), title, tuple(kinds.split()),
                           (os, oe, orm) if os is not None else None,
                           (ns, ne, nrm) if ns is not None else None)
            for sid, ts, ref, sessions, title, kinds, os, oe, orm, ns, ne, nrm in rows
        ]  # fmt: skip

    # -- the ledger ---------------------------------------------------------------------

    @_writes
    async def adopt_deliveries(self, conference: str) -> None:
        """Rows kept before deliveries named their conference (state migration 7) belong
        to the one conference the bot served then: hand them to it."""
        await self._db.execute(
            "UPDATE deliveries SET conference = ? WHERE conference = ''", (conference,)
        )
        await self._db.commit()

    @_writes
    async def sync_plan(self, conference: str, planned: Sequence[Planned], now_ts: int) -> None:
        """Make the conference's pending ledger match its plan: add what is new, update
        times and targets of what is still pending, cancel pending rows the plan no longer
        has. Rows already sent, skipped, failed or lost are history and are never touched;
        other conferences' rows are theirs."""
        await self._db.executemany(
            "INSERT INTO deliveries (conference, kind, owner, item_ref, arming, target, due_ts,"
            " updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (conference, kind, owner, item_ref, arming)"
            " DO UPDATE SET due_ts = excluded.due_ts, target = excluded.target,"
            " updated_ts = excluded.updated_ts,"
            " state = CASE WHEN state = 'cancelled' THEN 'pending' ELSE state END"
            " WHERE state IN ('pending', 'cancelled')",
            [(conference, p.kind, p.owner, p.item_ref, p.arming, p.target, p.due_ts, now_ts)
             for p in planned],
        )  # fmt: skip
        wanted = {(p.kind, p.owner, p.item_ref, p.arming) for p in planned}
        rows = await self._db.execute_fetchall(
            "SELECT id, kind, owner, item_ref, arming FROM deliveries WHERE state = 'pending'"
            " AND conference = ?",
            (conference,),
        )
        stale = [(now_ts, row[0]) for row in rows if tuple(row[1:]) not in wanted]
        await self._db.executemany(
            "UPDATE deliveries SET state = 'cancelled', updated_ts = ? WHERE id = ?", stale
        )
        await self._db.commit()

    async def due(self, conference: str, now_ts: int, limit: int = 100) -> list[Delivery]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_DELIVERY} FROM deliveries WHERE conference = ? AND state = 'pending'"
            " AND due_ts <= ? ORDER BY due_ts, id LIMIT ?",
            (conference, now_ts, limit),
        )
        return [_delivery(r) for r in rows]

    async def next_due_ts(self, conference: str) -> int | None:
        rows = list(
            await self._db.execute_fetchall(
                "SELECT min(due_ts) FROM deliveries WHERE conference = ? AND state = 'pending'",
                (conference,),
            )
        )
        return rows[0][0] if rows else None

    @_writes
    async def claim(self, delivery_id: int, now_ts: int) -> bool:
        """Take a pending delivery for sending, committed before the send. False when it
        is no longer pending or no longer wanted (forgotten, announcements off): then it
        must not be sent. One statement, so nothing can slip between check and mark."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_ts = ?"
            f" WHERE id = ? AND state = 'pending' AND {_STILL_WANTED}",
            (now_ts, delivery_id),
        )
        claimed = cursor.rowcount == 1
        if not claimed:  # still pending means no longer wanted: what a re-plan would do
            await self._db.execute(
                "UPDATE deliveries SET state = 'cancelled', updated_ts = ? WHERE id = ?"
                " AND state = 'pending'",
                (now_ts, delivery_id),
            )
        await self._db.commit()
        return claimed

    @_writes
    async def settle(
        self, delivery_id: int, expected: DeliveryState, state: DeliveryState, now_ts: int,
        detail: str | None = None, due_ts: int | None = None,
    ) -> bool:  # fmt: skip
        """Move a delivery on from the state this process last saw it in, committed before
        returning ('sent' must be on disk as soon as the message is out). False if
        something else moved it first (a re-plan cancelled it): then that stands."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET state = ?, updated_ts = ?, detail = coalesce(?, detail),"
            " due_ts = coalesce(?, due_ts) WHERE id = ? AND state = ?",
            (state, now_ts, detail, due_ts, delivery_id, expected),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    @_writes
    async def recover_interrupted(self, conference: str, now_ts: int) -> list[Delivery]:
        """Rows left 'sending' by a crash: maybe sent, maybe not. Never resend; mark lost.
        (Only the conference's own: another scheduler's send may be in flight.)"""
        rows = await self._db.execute_fetchall(
            f"SELECT {_DELIVERY} FROM deliveries WHERE conference = ? AND state = 'sending'"
            " ORDER BY id",
            (conference,),
        )
        lost = [_delivery(r) for r in rows]
        await self._db.executemany(
            "UPDATE deliveries SET state = 'lost', updated_ts = ?,"
            " detail = 'interrupted between sending and sent: possibly lost' WHERE id = ?",
            [(now_ts, d.id) for d in lost],
        )
        await self._db.commit()
        return lost

    async def deliveries(
        self, kind: str | None = None, owner: int | None = None, state: str | None = None,
        conference: str | None = None,
    ) -> list[Delivery]:  # fmt: skip
        clauses, params = [], []
        filters = (("kind", kind), ("owner", owner), ("state", state), ("conference", conference))
        for column, value in filters:
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._db.execute_fetchall(
            f"SELECT {_DELIVERY} FROM deliveries{where} ORDER BY due_ts, id", params
        )
        return [_delivery(r) for r in rows]

    async def counts(self, kinds: Sequence[str], owner: int | None = None) -> dict[str, int]:
        marks = ", ".join("?" * len(kinds))
        query = f"SELECT state, count(*) FROM deliveries WHERE kind IN ({marks})"
        params: list[object] = list(kinds)
        if owner is not None:
            query += " AND owner = ?"
            params.append(owner)
        rows = await self._db.execute_fetchall(query + " GROUP BY state", params)
        return {state: n for state, n in rows}

    # -- Discord scheduled events ---------------------------------------------------------

    async def published_events(self, guild_id: int, conference: str) -> dict[str, int]:
        """Session key -> the Discord event id published for it in this guild."""
        rows = await self._db.execute_fetchall(
            "SELECT session_key, event_id FROM scheduled_events WHERE guild_id = ?"
            " AND conference = ?",
            (guild_id, conference),
        )
        return {key: event_id for key, event_id in rows}

    @_writes
    async def save_event(
        self, guild_id: int, conference: str, session_key: str, event_id: int, now_ts: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO scheduled_events (guild_id, conference, session_key, event_id,"
            " updated_ts) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, conference, session_key)"
            " DO UPDATE SET event_id = excluded.event_id, updated_ts = excluded.updated_ts",
            (guild_id, conference, session_key, event_id, now_ts),
        )
        await self._db.commit()

    @_writes
    async def set_event_window(self, guild_id: int, conference: str, on: bool) -> None:
        """Whether this server's events roll on (published as room frees up)."""
        sql = ("INSERT OR IGNORE INTO event_windows (guild_id, conference) VALUES (?, ?)" if on
               else "DELETE FROM event_windows WHERE guild_id = ? AND conference = ?")  # fmt: skip
        await self._db.execute(sql, (guild_id, conference))
        await self._db.commit()

    async def event_windows(self, conference: str) -> set[int]:
        """The servers whose events roll on."""
        rows = await self._db.execute_fetchall(
            "SELECT guild_id FROM event_windows WHERE conference = ?", (conference,)
        )
        return {row[0] for row in rows}

    @_writes
    async def forget_event(self, guild_id: int, conference: str, session_key: str) -> None:
        await self._db.execute(
            "DELETE FROM scheduled_events WHERE guild_id = ? AND conference = ?"
            " AND session_key = ?",
            (guild_id, conference, session_key),
        )
        await self._db.commit()

    # -- conferences: per server, per person, added from Discord -------------------------

    async def server_conferences(self) -> list[ServerConference]:
        rows = await self._db.execute_fetchall(
            "SELECT guild_id, conference, is_default FROM server_conferences"
            " ORDER BY guild_id, added_ts, conference"
        )
        return [ServerConference(g, c, bool(d)) for g, c, d in rows]

    @_writes
    async def offer_conference(
        self, guild_id: int, conferences: Sequence[str], default: str, now_ts: int
    ) -> None:
        """Keep what a server offers, in order, and its default, in one write."""
        await self._db.execute("DELETE FROM server_conferences WHERE guild_id = ?", (guild_id,))
        await self._db.executemany(
            "INSERT INTO server_conferences (guild_id, conference, is_default, added_ts)"
            " VALUES (?, ?, ?, ?)",
            [(guild_id, c, int(c == default), now_ts + i) for i, c in enumerate(conferences)],
        )
        await self._db.commit()

    @_writes
    async def forget_server_conferences(self, guild_id: int) -> None:
        await self._db.execute("DELETE FROM server_conferences WHERE guild_id = ?", (guild_id,))
        await self._db.commit()

    async def person_conferences(self) -> dict[int, str]:
        rows = await self._db.execute_fetchall("SELECT user_id, conference FROM person_conferences")
        return {user: conference for user, conference in rows}

    @_writes
    async def use_conference(self, user_id: int, conference: str) -> None:
        await self._db.execute(
            "INSERT INTO person_conferences (user_id, conference) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET conference = excluded.conference",
            (user_id, conference),
        )
        await self._db.commit()

    async def added_sources(self) -> list[AddedSource]:
        rows = await self._db.execute_fetchall(
            "SELECT conference, url, guild_id FROM added_sources ORDER BY added_ts, conference"
        )
        return [AddedSource(c, u, g) for c, u, g in rows]

    @_writes
    async def add_source(self, source: AddedSource, now_ts: int) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO added_sources (conference, url, guild_id, added_ts)"
            " VALUES (?, ?, ?, ?)",
            (source.conference, source.url, source.guild_id, now_ts),
        )
        await self._db.commit()

    @_writes
    async def drop_source(self, conference: str) -> None:
        """A source no server offers any more is no longer followed."""
        await self._db.execute("DELETE FROM added_sources WHERE conference = ?", (conference,))
        await self._db.execute("DELETE FROM person_conferences WHERE conference = ?", (conference,))
        await self._db.commit()
