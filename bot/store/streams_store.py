"""Streams: the live stream address a server's organisers set for a room."""

from __future__ import annotations

from bot.store.feature_store import FeatureStore, writes


class StreamStore(FeatureStore):
    """The streams table."""

    @writes
    async def save(self, guild_id: int, conference: str, room: str, url: str, now_ts: int) -> None:
        await self._db.execute(
            "INSERT INTO streams (guild_id, conference, room, url, updated_ts)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, conference, room)"
            " DO UPDATE SET url = excluded.url, updated_ts = excluded.updated_ts",
            (guild_id, conference, room, url, now_ts),
        )

    @writes
    async def clear(self, guild_id: int, conference: str, room: str) -> bool:
        cursor = await self._db.execute(
            "DELETE FROM streams WHERE guild_id = ? AND conference = ? AND room = ?",
            (guild_id, conference, room),
        )
        return cursor.rowcount > 0

    async def urls(self, guild_id: int, conference: str) -> dict[str, str]:
        """Room -> live stream URL, as this server's organisers set them."""
        rows = await self._db.execute_fetchall(
            "SELECT room, url FROM streams WHERE guild_id = ? AND conference = ?",
            (guild_id, conference),
        )
        return {room: url for room, url in rows}
