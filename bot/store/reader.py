"""Read programs back out of the database as model dataclasses.

The bot reads a whole program once at start-up and serves every question from memory:
a conference program is small enough (10,000 talks is a few MB), and a keystroke must
never wait on a query.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Self

import aiosqlite

from bot.model import Authorship, Conference, Event, Program, Session, Slot, Talk, TimeBasis
from bot.store import extra
from bot.store.connection import Connected, connect


class ProgramStore(Connected):
    """A read-only connection to a program database."""

    @classmethod
    async def open(cls, path: Path) -> Self:
        async def prepare(db: aiosqlite.Connection) -> None:
            await db.execute_fetchall("SELECT count(*) FROM conference")

        return cls(await connect(path, prepare, read_only=True), path)

    async def conference_keys(self) -> list[str]:
        rows = await self._db.execute_fetchall("SELECT key FROM conference ORDER BY id")
        return [row[0] for row in rows]

    async def fingerprint(self) -> str | None:
        rows = list(
            await self._db.execute_fetchall("SELECT value FROM meta WHERE name = 'fingerprint'")
        )
        return rows[0][0] if rows else None

    async def read_program(self, conference_key: str | None = None) -> Program:
        """The whole program of one conference (the first one if no key is given)."""
        keys = await self.conference_keys()
        if not keys:
            raise LookupError(f"{self.path} holds no conference")
        key = conference_key or keys[0]
        if key not in keys:
            raise LookupError(f"{self.path} has no conference {key!r} (it has {', '.join(keys)})")
        rows = list(
            await self._db.execute_fetchall(
                "SELECT id, key, name, full_name, timezone, venue, location, start_date, end_date,"
                " extra FROM conference WHERE key = ?",
                (key,),
            )
        )
        conf_id, key, name, full_name, timezone, venue, location, start, end, more = rows[0]
        conference = Conference(key, name, full_name, timezone, venue, location,
                                date.fromisoformat(start), date.fromisoformat(end),
                                **extra.load(Conference, more))  # fmt: skip
        sessions, session_keys = await self._sessions(conf_id)
        talks = await self._talks(conf_id, session_keys)
        events = await self._events(conf_id)
        return Program(conference, sessions, talks, events)

    async def _sessions(self, conf_id: int) -> tuple[tuple[Session, ...], dict[int, str]]:
        talks_of: dict[int, list[str]] = {}
        for session_id, talk_key in await self._db.execute_fetchall(
            "SELECT session_id, key FROM talks WHERE conference_id = ? ORDER BY position",
            (conf_id,),
        ):
            talks_of.setdefault(session_id, []).append(talk_key)
        rows = await self._db.execute_fetchall(
            "SELECT id, key, title, day, start_ts, end_ts, time_basis, room, chairs, extra"
            " FROM sessions WHERE conference_id = ? ORDER BY position",
            (conf_id,),
        )
        slot = _slots()
        sessions = tuple(
            Session(
                key=key,
                title=title,
                day=date.fromisoformat(day),
                slot=slot(start, end, basis, room),
                chairs=tuple(json.loads(chairs)),
                talk_keys=tuple(talks_of.get(session_id, ())),
                **extra.load(Session, more),
            )
            for session_id, key, title, day, start, end, basis, room, chairs, more in rows
        )
        return sessions, {row[0]: row[1] for row in rows}

    async def _talks(self, conf_id: int, session_keys: dict[int, str]) -> tuple[Talk, ...]:
        rows = list(await self._db.execute_fetchall(
            "SELECT key, session_id, title, page, start_ts, end_ts, time_basis, room, url,"
            " award, authors, extra FROM talks WHERE conference_id = ? ORDER BY position",
            (conf_id,),
        ))  # fmt: skip
        # Every row's two JSON columns decoded in one call: one json.loads per column was
        # a third of reading a program back (a start with 100 conferences reads 100,000).
        decoded = json.loads("[" + ",".join(f"{row[10]},{row[11] or '{}'}" for row in rows) + "]")
        slot = _slots()
        talks = []
        for n, row in enumerate(rows):
            key, session_id, title, page, start, end, basis, room, url, award = row[:10]
            authors = tuple(Authorship(k, name, aff) for k, name, aff in decoded[2 * n])
            talks.append(
                Talk(key=key, title=title, page=page, session_key=session_keys[session_id],
                      slot=slot(start, end, basis, room), url=url, award=award,
                      authors=authors, **extra.from_values(Talk, decoded[2 * n + 1]))
            )  # fmt: skip
        return tuple(talks)

    async def _events(self, conf_id: int) -> tuple[Event, ...]:
        rows = await self._db.execute_fetchall(
            "SELECT key, title, kind, start_ts, end_ts, time_basis, room, speaker, url"
            " FROM events WHERE conference_id = ? ORDER BY id",
            (conf_id,),
        )
        slot = _slots()
        return tuple(
            Event(key, title, kind, slot(start, end, basis, room), speaker, url)
            for key, title, kind, start, end, basis, room, speaker, url in rows
        )


def _slots() -> Callable[[int, int, str, str | None], Slot]:
    """Slots for one read, each moment made once: a program's talks share a few hundred
    start and end times. (A Slot keeps its times in UTC whatever zone it is given.)"""
    moments: dict[int, datetime] = {}
    bases = {basis.value: basis for basis in TimeBasis}

    def slot(start: int, end: int, basis: str, room: str | None) -> Slot:
        if (begins := moments.get(start)) is None:
            begins = moments[start] = datetime.fromtimestamp(start, UTC)
        if (ends := moments.get(end)) is None:
            ends = moments[end] = datetime.fromtimestamp(end, UTC)
        return Slot(begins, ends, bases[basis], room)

    return slot
