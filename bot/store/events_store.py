"""Discord scheduled events: which event was published for which session, per server, and
the servers whose events roll on.
"""

from __future__ import annotations

from bot.store.feature_store import FeatureStore, writes


class EventStore(FeatureStore):
    """The scheduled_events and event_windows tables."""

    async def published(self, guild_id: int, conference: str) -> dict[str, int]:
        """Session key -> the Discord event id published for it in this guild."""
        rows = await self._db.execute_fetchall(
            "SELECT session_key, event_id FROM scheduled_events WHERE guild_id = ?"
            " AND conference = ?",
            (guild_id, conference),
        )
        return {key: event_id for key, event_id in rows}

    @writes
    async def save(
        self, guild_id: int, conference: str, session_key: str, event_id: int, now_ts: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO scheduled_events (guild_id, conference, session_key, event_id,"
            " updated_ts) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, conference, session_key)"
            " DO UPDATE SET event_id = excluded.event_id, updated_ts = excluded.updated_ts",
            (guild_id, conference, session_key, event_id, now_ts),
        )

    @writes
    async def set_window(self, guild_id: int, conference: str, on: bool) -> None:
        """Whether this server's events roll on (published as room frees up)."""
        sql = ("INSERT INTO event_windows (guild_id, conference) VALUES (?, ?)"
               " ON CONFLICT DO NOTHING" if on
               else "DELETE FROM event_windows WHERE guild_id = ? AND conference = ?")  # fmt: skip
        await self._db.execute(sql, (guild_id, conference))

    async def windows(self, conference: str) -> set[int]:
        """The servers whose events roll on."""
        rows = await self._db.execute_fetchall(
            "SELECT guild_id FROM event_windows WHERE conference = ?", (conference,)
        )
        return {row[0] for row in rows}

    @writes
    async def forget(self, guild_id: int, conference: str, session_key: str) -> None:
        await self._db.execute(
            "DELETE FROM scheduled_events WHERE guild_id = ? AND conference = ?"
            " AND session_key = ?",
            (guild_id, conference, session_key),
        )
