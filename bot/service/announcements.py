"""Announcements for organisers: where a server's posts of the program go (a channel per
conference, a channel per room) and turning them off. What /announce does, without
Discord: the adapter checks it may post in the channel and wakes the schedulers, which
plan the posts from what is kept here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from bot.i18n import N_, Language, known_language, language_of
from bot.model import SessionKind
from bot.service.program_service import ProgramService
from bot.store.announcements_store import AnnouncementStore

# Why announcements are off when an organiser turned them off (shown by /status).
TURNED_OFF = N_("turned off with /announce off")  # kept as said; shown translated


def slot_times(service: ProgramService) -> list[int]:
    """Every moment something people walk into starts (Unix seconds): a session of the
    program's own, and each talk of a room's block. A slot's post goes before each."""
    times = {int(s.slot.start.timestamp()) for s in service.program.sessions
             if s.kind is SessionKind.SESSION}  # fmt: skip
    times |= {int(t.slot.start.timestamp()) for t in service.talks.values()
              if t.session.kind is SessionKind.ROOM_BLOCK}  # fmt: skip
    return sorted(times)


def talk_starts(service: ProgramService) -> list[int]:
    """Every moment a talk starts (Unix seconds): one message of lines each, per_talk."""
    return sorted({int(t.slot.start.timestamp()) for t in service.talks.values()})


def ahead(times: Iterable[int], after_ts: int) -> list[int]:
    """The moments a setting made at `after_ts` posts for: those starting after it (what
    is under way when announcements go on is not announced late). The delivery kinds
    plan by it and /announce channel forecasts by it, so the two cannot differ."""
    return [t for t in times if t > after_ts]


@dataclass(frozen=True, slots=True)
class PostsForecast:
    """What /announce channel will post from now on: a post per slot, over which days,
    the shortest gap between two (minutes; None under two posts), and the messages of
    lines as talks start (per_talk). `sessions`/`room_talks`: the slots are the
    program's own sessions, talks starting in rooms' blocks (FOSDEM), or both."""

    posts: int
    days: tuple[date, ...]
    closest: int | None
    per_talk: int
    sessions: bool
    room_talks: bool


def forecast(service: ProgramService, now: datetime) -> PostsForecast:
    """What a channel set at `now` will be sent, by the planning rules of the slot and
    per-talk kinds (slot_times, talk_starts, ahead)."""
    now_ts, tz = int(now.timestamp()), service.conference.tz
    slots = ahead(slot_times(service), now_ts)
    days = sorted({datetime.fromtimestamp(t, tz).date() for t in slots})
    gaps = [(b - a) // 60 for a, b in pairwise(slots)]
    kinds = {s.kind for s in service.program.sessions}
    return PostsForecast(
        posts=len(slots),
        days=tuple(days),
        closest=min(gaps) if gaps else None,
        per_talk=len(ahead(talk_starts(service), now_ts)),
        sessions=SessionKind.SESSION in kinds,
        room_talks=SessionKind.ROOM_BLOCK in kinds,
    )


@dataclass(frozen=True, slots=True)
class Stopped:
    """What /announce off did: whether a channel's announcements (and their lines per
    talk) were on and are now off, and the rooms whose own channels still post, which
    off leaves alone (`/announce room` without a channel stops each)."""

    stopped: bool
    rooms_posting: tuple[str, ...]


class AnnouncementsService:
    def __init__(self, store: AnnouncementStore) -> None:
        self.store = store

    async def channel(
        self, guild_id: int, conference: str, channel_id: int, minutes_before: int,
        per_talk: bool, now: datetime,
    ) -> None:  # fmt: skip
        """Post each of the conference's sessions in the channel `minutes_before` it
        starts (and a line per talk as it starts, if `per_talk`); on again if it was off."""
        await self.store.save(guild_id, conference, channel_id, minutes_before, per_talk,
                              int(now.timestamp()))  # fmt: skip

    async def room_on(
        self, guild_id: int, conference: str, room: str, channel_id: int, now: datetime
    ) -> None:
        """Post each talk of a room (as the program names it: ProgramService.room_named)
        in its own channel as it starts; on again if it was off."""
        await self.store.save_room(guild_id, conference, room, channel_id, int(now.timestamp()))

    async def room_off(self, guild_id: int, conference: str, room: str) -> bool:
        """Stop posting a room's talks; False when it had no channel."""
        return await self.store.remove_room(guild_id, conference, room)

    async def set_language(
        self, guild_id: int, language: Language | None, set_by: int, now: datetime
    ) -> None:
        """Post in `language` in this server from now on; None: in the server's own."""
        await self.store.set_language(guild_id, language.value if language else None, set_by,
                                      int(now.timestamp()))  # fmt: skip

    async def chosen_language(self, guild_id: int) -> Language | None:
        """The language an organiser set for the server's posts, None if they set none."""
        kept = await self.store.language(guild_id)
        return known_language(kept)

    async def post_language(self, guild_id: int, server_locale: str | None) -> Language:
        """The language of the server's channel posts: the one an organiser set, else the
        server's own (`server_locale`: Discord's locale string for it, if known)."""
        return await self.chosen_language(guild_id) or language_of(server_locale)

    async def room_of(self, guild_id: int, conference: str, channel_id: int) -> str | None:
        """The room a channel is for (/announce room), so that /next asked there shows
        that room first of all; None for any other channel."""
        return await self.store.room_of_channel(guild_id, conference, channel_id)

    async def off(
        self, guild_id: int, now: datetime, conference: str | None = None,
        served: Sequence[str] = (),
    ) -> Stopped:  # fmt: skip
        """Stop one conference's announcements in a server, or every conference's (None:
        of those `served`), and say which room channels of theirs still post."""
        stopped = await self.store.disable(guild_id, TURNED_OFF, int(now.timestamp()), conference)
        rooms: list[str] = []
        for key in [conference] if conference is not None else served:
            rooms += [r.room for r in await self.store.rooms(key, guild_id) if r.enabled]
        return Stopped(stopped, tuple(dict.fromkeys(rooms)))
