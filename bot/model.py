"""The conference program as plain, immutable dataclasses.

Every layer speaks these types: the importer produces them, the store persists and
returns them, the service answers with them. Nothing here knows about SQLite or Discord.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Moments outside these years are mistakes (a typo, a broken export), and near year 1 or
# 9999 converting between zones overflows: importers and the time parser refuse them.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def within_range(moment: datetime) -> bool:
    """Whether an aware moment lies in the years anyone could mean."""
    try:
        return EARLIEST <= moment.astimezone(UTC) < LATEST
    except (OverflowError, ValueError):
        return False


def load_zone(name: str) -> ZoneInfo:
    """The zone an IANA name such as 'America/Los_Angeles' names; ValueError otherwise.

    ZoneInfo raises a zoo of errors for names that are not zones ('America' is a folder:
    IsADirectoryError; '../x': ValueError; 'Nowhere': ZoneInfoNotFoundError).
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'"
        ) from None


class TimeBasis(StrEnum):
    """Whether a time was in the public program or computed from it.

    Derived times are shown as approximate; presenting them as fact would mislead people
    into running between rooms for a talk that may start a few minutes off.
    """

    PUBLISHED = "published"
    DERIVED = "derived"


@dataclass(frozen=True, slots=True)
class Slot:
    """When and where something happens, as instants in UTC.

    UTC because Python compares and subtracts two datetimes that share one zone by their
    wall-clock readings: across a daylight-saving change that is an hour off, and the
    repeated hour of fall-back night would be one hour. Whatever shows a time or picks a
    day converts to the conference's zone first.
    """

    start: datetime
    end: datetime
    basis: TimeBasis
    room: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Slot times must be timezone-aware")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.end < self.start:
            raise ValueError(f"Slot ends before it starts: {self.start} > {self.end}")

    @property
    def approximate(self) -> bool:
        return self.basis is TimeBasis.DERIVED

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


class ItemNoun(StrEnum):
    """What a program's items are, and so what one is called (the value).

    A proceedings lists papers by their authors, each with its paper page; a community
    program lists talks by their speakers. Stored in the program database as the value.
    """

    PAPER = "paper"  # an item of a proceedings (OSDI's table of contents)
    TALK = "talk"  # an item of a community program


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a program comes from, as its file says of itself (a community export's
    format, the program that wrote it, its version, its address): kept as values, not as
    a sentence, so /about says it in each reader's words (bot.render.common.source_text)."""

    fmt: str  # 'iCalendar feed', 'schedule.xml', 'Indico JSON export', ...
    maker: str | None = None  # the program that wrote it ('pretalx')
    named: str | None = None  # how the file names itself where its maker is no name for it
    version: str | None = None
    address: str | None = None  # the address or file name it was read from


@dataclass(frozen=True, slots=True)
class Conference:
    key: str
    name: str
    full_name: str
    timezone: str
    venue: str | None
    location: str | None
    start_date: date
    end_date: date
    # How the program's derived times were derived ("from the published session blocks
    # (20-minute talk slots)"): data, since every source derives differently, if at all.
    derived_note: str | None = None
    # What one item is called: a proceedings has papers, a community program has talks.
    item_noun: ItemNoun = ItemNoun.PAPER
    # Where the program comes from, in a sentence for /about, as the file words it (a
    # schedule.json's "source"); or as values our importers read (provenance).
    source: str | None = None
    provenance: Provenance | None = None
    # Rooms the file lists with no talk in them (FOSDEM 2025's Janson): asked for by
    # name, they are said to be empty rather than unknown.
    empty_rooms: tuple[str, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_proceedings(self) -> bool:
        """Whether the items are a proceedings' papers (authors, a paper page) rather than
        a community program's talks (speakers, a talk page)."""
        return self.item_noun is ItemNoun.PAPER

    @property
    def days(self) -> tuple[date, ...]:
        count = (self.end_date - self.start_date).days + 1
        return tuple(self.start_date + timedelta(days=i) for i in range(count))


@dataclass(frozen=True, slots=True)
class Authorship:
    """One author entry of a paper, exactly as the proceedings print it."""

    person_key: str
    name: str
    affiliation: str | None


class LinkKind(StrEnum):
    STREAM = "stream"  # where the talk is shown live
    RECORDING = "recording"  # where it can be watched afterwards
    OTHER = "other"  # slides, a project page, anything else


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    url: str
    kind: LinkKind = LinkKind.OTHER


@dataclass(frozen=True, slots=True)
class Talk:
    """One item of the program with people: a paper in a proceedings, a talk, a workshop,
    a lightning talk. The academic fields (page, award, affiliations) and the community
    ones (track, type, language, abstract, links) are each optional."""

    key: str
    title: str
    page: int | None
    session_key: str
    slot: Slot
    url: str | None
    award: str | None
    authors: tuple[Authorship, ...]
    subtitle: str | None = None
    track: str | None = None
    kind: str | None = None  # the source's own word: 'lecture', 'devroom', 'workshop'
    language: str | None = None
    abstract: str | None = None  # plain text; renderers trim and escape it
    links: tuple[Link, ...] = ()
    do_not_record: bool = False


class SessionKind(StrEnum):
    SESSION = "session"  # the program's own session (academic programs)
    ROOM_BLOCK = "room block"  # one room's talks on one program day, where there are none


@dataclass(frozen=True, slots=True)
class Session:
    """A block of talks in one room: a session, or one room's day where the program
    has no sessions. `day` is the program day it is filed under, which for talks after
    midnight is the day before their date."""

    key: str
    title: str
    day: date
    slot: Slot
    chairs: tuple[str, ...]
    talk_keys: tuple[str, ...]
    track: str | None = None
    kind: SessionKind = SessionKind.SESSION


@dataclass(frozen=True, slots=True)
class Event:
    """A program item that is not a talk: keynote, break, meal, posters, remarks."""

    key: str
    title: str
    kind: str
    slot: Slot
    speaker: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    name: str
    talks: tuple[str, ...] = field(default=())


@dataclass(frozen=True, repr=False)
class Program:
    """A whole conference: what the store holds and what the service reads."""

    conference: Conference
    sessions: tuple[Session, ...]
    talks: tuple[Talk, ...]
    events: tuple[Event, ...]

    def under_key(self, key: str) -> Program:
        """This program served under another key: a source a server added whose program
        names a conference key another source has (bot.live.conferences.free_key)."""
        if key == self.conference.key:
            return self
        return replace(self, conference=replace(self.conference, key=key))

    def __repr__(self) -> str:
        # A summary: the full repr of 10,000 talks takes a second, and Python 3.11's
        # asyncio.run builds the repr of its main task's result (via signal.getsignal).
        return (
            f"Program({self.conference.key!r}: {len(self.sessions)} sessions,"
            f" {len(self.talks)} talks, {len(self.events)} events)"
        )

    @functools.cached_property
    def people(self) -> tuple[Person, ...]:
        """Distinct people in order of first appearance, with their talks in program order.
        Computed once: the store, the indexes and the load report all need it."""
        names: dict[str, str] = {}
        talks: dict[str, list[str]] = {}
        for talk in self.talks:
            for author in talk.authors:
                names.setdefault(author.person_key, author.name)
                keys = talks.setdefault(author.person_key, [])
                if talk.key not in keys:
                    keys.append(talk.key)
        return tuple(Person(key, names[key], tuple(talks[key])) for key in names)
