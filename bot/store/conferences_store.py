"""Conferences: what each server offers (and its default), what each person chose, and the
sources servers added from Discord.

In a cluster any process may write these and every process serves them, so each is read
here one server, one person or one address at a time too (a notice names which), and the
writes that decide whether a source is still followed check the other servers' choices
in the same statement (drop_unoffered).
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

    async def server_choices(self, guild_id: int) -> list[ServerConference]:
        """One server's choices, in the order it offers them."""
        rows = await self._db.execute_fetchall(
            "SELECT guild_id, conference, is_default FROM server_conferences WHERE guild_id = ?"
            " ORDER BY added_ts, conference",
            (guild_id,),
        )
        return [ServerConference(g, c, bool(d)) for g, c, d in rows]

    async def offered_by(self, conference: str) -> list[int]:
        """The servers that offer a conference, as the state says (any process's)."""
        rows = await self._db.execute_fetchall(
            "SELECT guild_id FROM server_conferences WHERE conference = ? ORDER BY guild_id",
            (conference,),
        )
        return [guild for (guild,) in rows]

    @writes
    async def forget_server(self, guild_id: int) -> None:
        await self._db.execute("DELETE FROM server_conferences WHERE guild_id = ?", (guild_id,))

    async def person_conferences(self) -> dict[int, str]:
        rows = await self._db.execute_fetchall("SELECT user_id, conference FROM person_conferences")
        return {user: conference for user, conference in rows}

    async def person_conference(self, user_id: int) -> str | None:
        rows = await self._db.execute_fetchall(
            "SELECT conference FROM person_conferences WHERE user_id = ?", (user_id,)
        )
        return str(rows[0][0]) if rows else None

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

    async def added_source(self, url: str) -> AddedSource | None:
        """The source added at an address, if one is."""
        rows = await self._db.execute_fetchall(
            "SELECT conference, url, guild_id FROM added_sources WHERE url = ?", (url,)
        )
        return AddedSource(*rows[0]) if rows else None

    @writes
    async def add_source(self, source: AddedSource, now_ts: int) -> AddedSource | None:
        """Record a source added (unless its address is recorded already), and return
        what is recorded at its address: `source` itself, or another process's add of
        the same address a moment before; None when its conference key is another
        address's (two servers on two processes added two programs of one key at once)."""
        await self._db.execute(
            "INSERT INTO added_sources (conference, url, guild_id, added_ts)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (source.conference, source.url, source.guild_id, now_ts),
        )
        rows = await self._db.execute_fetchall(
            "SELECT conference, url, guild_id FROM added_sources WHERE url = ?", (source.url,)
        )
        return AddedSource(*rows[0]) if rows else None

    @writes
    async def drop_source(self, conference: str) -> bool:
        """A source no server offers any more is no longer followed, nor anyone's pick:
        only if no server offers it, as the state says now (a server on another process
        may have offered it since this one looked). The version the state kept of it is
        then no longer the one to start from: a server adding its address again starts
        from what it fetches then (see VersionStore.kept_source). Whether it was dropped."""
        dropped = await self._db.execute_fetchall(
            "DELETE FROM added_sources WHERE conference = ? AND NOT EXISTS"
            " (SELECT 1 FROM server_conferences WHERE conference = ?) RETURNING conference",
            (conference, conference),
        )
        if dropped:
            await self._db.execute(
                "DELETE FROM person_conferences WHERE conference = ?", (conference,)
            )
            await self._db.execute(
                "DELETE FROM program_sources WHERE conference = ?", (conference,)
            )
        return bool(dropped)
