"""Q&A per talk, for organisers: the forum a server opens a question thread per talk in,
which talks (some rooms or tracks only), and turning it off. What /qa does, without
Discord: the adapter checks its permissions in the forum and wakes the schedulers, which
open the threads from what is kept here.

Threads open shortly before each talk, never hundreds at once: the lead is capped at
LEAD_MAX minutes, so setting /qa during the day opens at once only the threads of talks
starting within the lead, and the others each at its own time. At FOSDEM (up to 28 talks
at once) 120 minutes opened 110 threads in one go; 30 opens at most 38.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.i18n import N_
from bot.service.board import NO_SUCH
from bot.service.program_service import ProgramService, QueryError, clean_query
from bot.service.results import SessionTalk
from bot.store.qa_store import QAForum, QAStore

# Why Q&A threads are off when an organiser turned them off (shown by /status).
TURNED_OFF = N_("turned off with /qa off")  # kept as said; shown translated
LEAD_MAX = 30  # minutes: the earliest a thread opens before its talk
NAMES_MAX = 25  # rooms or tracks one filter names


@dataclass(frozen=True, slots=True)
class Filter:
    """Which talks get a thread: those in one of `rooms` (if any) and of one of `tracks`
    (if any), by the program's names."""

    rooms: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()

    def admits(self, talk: SessionTalk) -> bool:
        return (not self.rooms or talk.slot.room in self.rooms) and (
            not self.tracks or talk.talk.track in self.tracks
        )


@dataclass(frozen=True, slots=True)
class Forecast:
    """The threads a setting will open: how many on each day (from now on), and the
    most that open at one moment."""

    by_day: tuple[tuple[date, int], ...]
    most_at_once: int

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_day)


def forum_filter(forum: QAForum) -> Filter:
    return Filter(forum.rooms, forum.tracks)


def lead(minutes_before: int) -> int:
    """The minutes a thread opens before its talk: as asked, never more than LEAD_MAX."""
    return max(0, min(minutes_before, LEAD_MAX))


def threaded(service: ProgramService, wanted: Filter, after_ts: int) -> list[SessionTalk]:
    """The talks that get a thread: starting after the setting (a talk under way keeps
    its questions in the room) and passing the filter. Talks only: breaks, meals and
    posters are other events, never in `service.talks`."""
    return [t for t in service.talks.values()
            if int(t.slot.start.timestamp()) > after_ts and wanted.admits(t)]  # fmt: skip


def forecast(
    service: ProgramService, wanted: Filter, minutes_before: int, now: datetime
) -> Forecast:
    """What these settings open from `now`: threads by day, and the largest number
    opened together (those due already all open at once, the rest at their own time)."""
    now_ts, tz = int(now.timestamp()), service.conference.tz
    talks = threaded(service, wanted, now_ts)
    days = Counter(t.slot.start.astimezone(tz).date() for t in talks)
    due = Counter(max(now_ts, int(t.slot.start.timestamp()) - 60 * lead(minutes_before))
                  for t in talks)  # fmt: skip
    return Forecast(tuple(sorted(days.items())), max(due.values(), default=0))


def filter_named(service: ProgramService, rooms: str | None, tracks: str | None) -> Filter:
    """What an organiser typed (names separated by commas, in any case) as the program's
    names; a QueryError naming the first that matches nothing."""
    return Filter(
        _names(rooms, service.room_named, "rooms"),
        _names(tracks, lambda text: track_named(service, text), "tracks"),
    )


# What /qa channel's rooms and tracks cannot be, by which of them it is.
NAMES_NONE = {
    "rooms": N_("That names no room: type one or more, separated by commas."),
    "tracks": N_("That names no track: type one or more, separated by commas."),
}
NAMES_TOO_MANY = {
    "rooms": N_("That is {count} rooms; {most} at most."),
    "tracks": N_("That is {count} tracks; {most} at most."),
}


def _names(typed: str | None, named: Callable[[str], str], what: str) -> tuple[str, ...]:
    if typed is None or not typed.strip():
        return ()
    try:
        return (named(typed),)  # a name with a comma in it, typed whole
    except QueryError:
        if "," not in typed:
            raise
    parts = [p for p in typed.split(",") if p.strip()]
    if not parts:  # only commas: no filter would be every talk, not the few meant
        raise QueryError(NAMES_NONE[what])
    if len(parts) > NAMES_MAX:
        raise QueryError(NAMES_TOO_MANY[what], count=str(len(parts)), most=str(NAMES_MAX))
    return tuple(dict.fromkeys(named(p) for p in parts))


def tracks(service: ProgramService) -> tuple[str, ...]:
    """Every track a talk is in, sorted."""
    return tuple(sorted({t.talk.track for t in service.talks.values() if t.talk.track}))


def track_named(service: ProgramService, text: str) -> str:
    """The program's track for what an organiser typed (any case); else a QueryError
    naming the closest tracks."""
    typed = clean_query(text, "track")
    known = tracks(service)
    found = {track.casefold(): track for track in known}.get(typed.casefold())
    if found is not None:
        return found
    close = ", ".join(_containing(known, typed)[:3])
    template = NO_SUCH["track"][bool(close)]
    raise QueryError(template, conference=service.conference.name, typed=typed, close=close)


def _containing(names: Iterable[str], typed: str) -> list[str]:
    folded = typed.casefold()
    found = [n for n in names if folded in n.casefold()]
    return sorted(found, key=lambda n: not n.casefold().startswith(folded))


class QAService:
    def __init__(self, store: QAStore) -> None:
        self.store = store

    async def forum(
        self, guild_id: int, conference: str, forum_id: int, minutes_before: int, now: datetime,
        wanted: Filter = Filter(),
    ) -> None:  # fmt: skip
        """Open a thread for each of the conference's talks (those `wanted`) in the forum
        `minutes_before` it starts, at most LEAD_MAX (one forum per server); on again if it
        was off."""
        await self.store.save_forum(guild_id, conference, forum_id, lead(minutes_before),
                                    int(now.timestamp()), wanted.rooms, wanted.tracks)  # fmt: skip

    async def off(self, guild_id: int, now: datetime) -> bool:
        """Stop opening threads in a server; False when they were not on."""
        return await self.store.disable(guild_id, TURNED_OFF, int(now.timestamp()))

    async def is_thread(self, channel_id: int) -> bool:
        """Whether a channel is a talk's Q&A thread the bot opened (/ask, /questions)."""
        return await self.store.thread(channel_id) is not None
