"""Q&A: the forum a server opens talks' question threads in, and the threads opened."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.feature_store import FeatureStore, writes


@dataclass(frozen=True, slots=True)
class QAForum:
    guild_id: int
    conference: str
    forum_id: int
    minutes_before: int
    enabled: bool
    disabled_reason: str | None
    updated_ts: int
    rooms: tuple[str, ...] = ()  # only talks in these rooms (the program's names); () all
    tracks: tuple[str, ...] = ()  # only talks of these tracks; () all


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


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


class QAStore(FeatureStore):
    """The qa_forums and qa_threads tables."""

    @writes
    async def save_forum(
        self, guild_id: int, conference: str, forum_id: int, minutes_before: int, now_ts: int,
        rooms: tuple[str, ...] = (), tracks: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        """`rooms`, `tracks`: names as the program writes them (a name never holds a line
        break: the importers make each one line)."""
        await self._db.execute(
            "INSERT INTO qa_forums (guild_id, conference, forum_id, minutes_before, enabled,"
            " disabled_reason, updated_ts, rooms, tracks) VALUES (?, ?, ?, ?, 1, NULL, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET conference = excluded.conference,"
            " forum_id = excluded.forum_id, minutes_before = excluded.minutes_before,"
            " enabled = 1, disabled_reason = NULL, updated_ts = excluded.updated_ts,"
            " rooms = excluded.rooms, tracks = excluded.tracks",
            (guild_id, conference, forum_id, minutes_before, now_ts, "\n".join(rooms),
             "\n".join(tracks)),
        )  # fmt: skip

    @writes
    async def disable(self, guild_id: int, reason: str, now_ts: int) -> bool:
        cursor = await self._db.execute(
            "UPDATE qa_forums SET enabled = 0, disabled_reason = ?, updated_ts = ?"
            " WHERE guild_id = ? AND enabled = 1",
            (reason, now_ts, guild_id),
        )
        return cursor.rowcount > 0

    async def forums(self, conference: str, guild_id: int | None = None) -> list[QAForum]:
        rows = await self._db.execute_fetchall(
            "SELECT guild_id, conference, forum_id, minutes_before, enabled, disabled_reason,"
            " updated_ts, rooms, tracks FROM qa_forums WHERE conference = ?"
            + (" AND guild_id = ?" if guild_id is not None else "")
            + " ORDER BY guild_id",
            (conference, guild_id) if guild_id is not None else (conference,),
        )
        return [QAForum(g, c, f, m, bool(e), r, u, _names(rs), _names(ts))
                for g, c, f, m, e, r, u, rs, ts in rows]  # fmt: skip

    @writes
    async def save_thread(self, thread: QAThread) -> None:
        """Keep the thread opened for a talk, in place of the one kept for it before; a
        thread id kept for another talk is that talk's no more (thread ids are unique)."""
        key = (thread.guild_id, thread.conference, thread.item_ref)
        await self._db.execute(
            "DELETE FROM qa_threads WHERE thread_id = ?"
            " AND NOT (guild_id = ? AND conference = ? AND item_ref = ?)",
            (thread.thread_id, *key),
        )
        await self._db.execute(
            "INSERT INTO qa_threads (guild_id, conference, item_ref, forum_id, thread_id,"
            " message_id, signature, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, conference, item_ref) DO UPDATE SET"
            " forum_id = excluded.forum_id, thread_id = excluded.thread_id,"
            " message_id = excluded.message_id, signature = excluded.signature,"
            " closed = excluded.closed",
            (*key, thread.forum_id, thread.thread_id, thread.message_id, thread.signature,
             int(thread.closed)),
        )  # fmt: skip

    async def threads(
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

    async def thread(self, thread_id: int) -> QAThread | None:
        rows = list(await self._db.execute_fetchall(
            "SELECT guild_id, conference, item_ref, forum_id, thread_id, message_id, signature,"
            " closed FROM qa_threads WHERE thread_id = ?", (thread_id,),
        ))  # fmt: skip
        if not rows:
            return None
        g, c, i, f, t, m, sig, closed = rows[0]
        return QAThread(g, c, i, f, t, m, sig, bool(closed))
