"""Conferences: what each server offers (and its default), what each person chose, and the
sources servers added from Discord.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.feature_store import FeatureStore, writes


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


class ConferenceStore(FeatureStore):
    """The server_conferences, person_conferences and added_sources tables."""

    async def server_conferences(self) -> list[ServerConference]:
        rows = await self._db.execute_fetchall(
            "SELECT guild_id, conference, is_default FROM server_conferences"
            " ORDER BY guild_id, added_ts, conference"
        )
        return [ServerConference(g, c, bool(d)) for g, c, d in rows]

    @writes
    async def offer(
        self, guild_id: int, conferences: Sequence[str], default: str, now_ts: int
    ) -> None:
        """Keep what a server offers, in order, and its default, in one write."""
        await self._db.execute("DELETE FROM server_conferences WHERE guild_id = ?", (guild_id,))
        await self._db.executemany(
            "INSERT INTO server_conferences (guild_id, conference, is_default, added_ts)"
            " VALUES (?, ?, ?, ?)",
            [(guild_id, c, int(c == default), now_ts + i) for i, c in enumerate(conferences)],
        )

    @writes
    async def forget_server(self, guild_id: int) -> None:
        await self._db.execute("DELETE FROM server_conferences WHERE guild_id = ?", (guild_id,))

    async def person_conferences(self) -> dict[int, str]:
        rows = await self._db.execute_fetchall("SELECT user_id, conference FROM person_conferences")
        return {user: conference for user, conference in rows}

    @writes
    async def use(self, user_id: int, conference: str) -> None:
        await self._db.execute(
            "INSERT INTO person_conferences (user_id, conference) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET conference = excluded.conference",
            (user_id, conference),
        )

    async def added_sources(self) -> list[AddedSource]:
        rows = await self._db.execute_fetchall(
            "SELECT conference, url, guild_id FROM added_sources ORDER BY added_ts, conference"
        )
        return [AddedSource(c, u, g) for c, u, g in rows]

    @writes
    async def add_source(self, source: AddedSource, now_ts: int) -> None:
        await self._db.execute(
            "INSERT INTO added_sources (conference, url, guild_id, added_ts)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (source.conference, source.url, source.guild_id, now_ts),
        )

    @writes
    async def drop_source(self, conference: str) -> None:
        """A source no server offers any more is no longer followed."""
        await self._db.execute("DELETE FROM added_sources WHERE conference = ?", (conference,))
        await self._db.execute("DELETE FROM person_conferences WHERE conference = ?", (conference,))
