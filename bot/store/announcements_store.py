"""Announcements: where a server's channel posts of the program go (one channel per
conference, and a channel per room), and why they stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.feature_store import FeatureStore, writes


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


_ANNOUNCEMENTS = (
    "guild_id, conference, channel_id, minutes_before, per_talk, enabled, disabled_reason,"
    " updated_ts"
)
_ROOM_CHANNEL = "guild_id, conference, room, channel_id, enabled, disabled_reason, updated_ts"


def _announcements(row: Sequence[Any]) -> Announcements:
    g, conf, channel, minutes, per_talk, enabled, reason, updated = row
    return Announcements(g, conf, channel, minutes, bool(per_talk), bool(enabled), reason, updated)


class AnnouncementStore(FeatureStore):
    """The announcements and room_channels tables."""

    @writes
    async def save(
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

    @writes
    async def disable(
        self, guild_id: int, reason: str, now_ts: int, conference: str | None = None
    ) -> bool:
        """Stop one conference's announcements in a server, or all of them (None)."""
        cursor = await self._db.execute(
            "UPDATE announcements SET enabled = 0, disabled_reason = ?, updated_ts = ?"
            " WHERE guild_id = ? AND enabled = 1 AND (? IS NULL OR conference = ?)",
            (reason, now_ts, guild_id, conference, conference),
        )
        return cursor.rowcount > 0

    async def find(self, guild_id: int | None = None) -> list[Announcements]:
        query = f"SELECT {_ANNOUNCEMENTS} FROM announcements"
        rows = await self._db.execute_fetchall(
            query + (" WHERE guild_id = ?" if guild_id is not None else "") + " ORDER BY guild_id",
            (guild_id,) if guild_id is not None else (),
        )
        return [_announcements(r) for r in rows]

    # -- conference day: room channels and streams -----------------------------------

    @writes
    async def save_room(
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

    @writes
    async def remove_room(self, guild_id: int, conference: str, room: str) -> bool:
        cursor = await self._db.execute(
            "DELETE FROM room_channels WHERE guild_id = ? AND conference = ? AND room = ?",
            (guild_id, conference, room),
        )
        return cursor.rowcount > 0

    @writes
    async def disable_room(self, guild_id: int, channel_id: int, reason: str, now_ts: int) -> bool:
        """The channel is gone or closed to us: stop posting there, say why in /status."""
        cursor = await self._db.execute(
            "UPDATE room_channels SET enabled = 0, disabled_reason = ?, updated_ts = ?"
            " WHERE guild_id = ? AND channel_id = ? AND enabled = 1",
            (reason, now_ts, guild_id, channel_id),
        )
        return cursor.rowcount > 0

    async def rooms(self, conference: str, guild_id: int | None = None) -> list[RoomChannel]:
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

    async def room_of_channel(self, guild_id: int, conference: str, channel_id: int) -> str | None:
        """The room whose talks a channel announces (set by /announce room), if any."""
        rows = await self._db.execute_fetchall(
            "SELECT room FROM room_channels WHERE guild_id = ? AND conference = ?"
            " AND channel_id = ? ORDER BY room LIMIT 1",
            (guild_id, conference, channel_id),
        )
        return next((str(room) for (room,) in rows), None)

    # -- the language of a server's posts ------------------------------------------------

    @writes
    async def set_language(
        self, guild_id: int, language: str | None, set_by: int, now_ts: int
    ) -> None:
        """The language of the server's channel posts, or None: the server's own again."""
        if language is None:
            await self._db.execute("DELETE FROM server_languages WHERE guild_id = ?", (guild_id,))
            return
        await self._db.execute(
            "INSERT INTO server_languages (guild_id, language, set_by, updated_ts)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
            " language = excluded.language, set_by = excluded.set_by,"
            " updated_ts = excluded.updated_ts",
            (guild_id, language, set_by, now_ts),
        )

    async def language(self, guild_id: int) -> str | None:
        """The language an organiser set for the server's posts, if any."""
        rows = await self._db.execute_fetchall(
            "SELECT language FROM server_languages WHERE guild_id = ?", (guild_id,)
        )
        return next((str(language) for (language,) in rows), None)
