"""Typed answers of the service. Renderers turn them into text or embeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.model import Authorship, Event, Program, Session, SessionKind, Slot, Talk

# Long-running background items (badge pickup runs all day) would otherwise be "on now"
# at every moment and drown out the talk that is actually on stage.
AMBIENT_KINDS = frozenset({"registration"})
# Items that are open rather than on stage: a congress's assemblies, FOSDEM 2021's 111
# virtual stands (51 open at 09:30), an info desk. Matched as the start of the source's
# own type word, case aside ('standtrack', 'Assembly').
BACKGROUND_KINDS = ("assembl", "stand", "booth", "infodesk", "info desk", "exhibit",
                    "installation", "registration")  # fmt: skip
# Anything longer is open rather than on stage (all-day workshops, hack spaces); a
# keynote, a lunch or a two-hour workshop is shorter.
LONG = timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class SessionTalk:
    """A talk in its session: what is on stage."""

    talk: Talk
    session: Session

    @property
    def key(self) -> str:
        return self.talk.key

    @property
    def title(self) -> str:
        return self.talk.title

    @property
    def slot(self) -> Slot:
        return self.talk.slot

    @property
    def kind(self) -> str:
        return "talk"


ProgramItem = SessionTalk | Event


def is_ambient(item: ProgramItem) -> bool:
    """Whether an item is open in the background (one short "Also open" line) rather
    than on stage: registration, anything over LONG, or of a background type."""
    if item.slot.duration > LONG:
        return True
    kind = item.talk.kind if isinstance(item, SessionTalk) else item.kind
    return bool(kind) and kind.casefold().startswith(BACKGROUND_KINDS)  # type: ignore[union-attr]


class Phase(StrEnum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"


@dataclass(frozen=True, slots=True)
class Where:
    """A filter of the board: one room, track or language (None: any). `note`, naming
    `{found}` as `found`, says how a value was taken ("a track, not a room")."""

    room: str | None = None
    track: str | None = None
    language: str | None = None
    note: str | None = None
    found: str | None = None

    @property
    def any(self) -> bool:
        """Whether anything is filtered."""
        return (self.room, self.track, self.language) != (None, None, None)


EVERYWHERE = Where()


@dataclass(frozen=True, slots=True)
class NowAnswer:
    at: datetime
    phase: Phase
    current: tuple[ProgramItem, ...]
    ambient: tuple[ProgramItem, ...]
    where: Where = EVERYWHERE
    followed: frozenset[str] = frozenset()  # keys of the items in places the person follows


@dataclass(frozen=True, slots=True)
class NextAnswer:
    """What is on (if anything), then what comes next, and the next talk if different.

    `upcoming` holds every item starting at the next start time, across all rooms, plus
    the next item in each room under way that day: a talk on now, or one earlier that day
    and another later (parallel tracks need not line up, and a room between talks is
    still a room people wait in). `soon` holds the other items starting within SOON of
    that next start time (at FOSDEM a devroom starts at 11:05, the next at 11:10): up to
    `complete_until` every item starting is listed, after it only each room's next.
    `ambient` is what is open in the background (registration, assemblies, all-day
    workshops), said in one line, and
    `opening_soon` what of it opens by then (FOSDEM 2021's 51 stands at 09:30).
    """

    at: datetime
    phase: Phase
    current: tuple[ProgramItem, ...]
    ambient: tuple[ProgramItem, ...]
    upcoming: tuple[ProgramItem, ...]
    next_talks: tuple[SessionTalk, ...]
    opening: tuple[ProgramItem, ...] = ()
    opens: datetime | None = None  # before it opens: when the conference does, filter or not
    soon: tuple[ProgramItem, ...] = ()
    opening_soon: tuple[ProgramItem, ...] = ()  # background items opening by then
    where: Where = EVERYWHERE
    followed: frozenset[str] = frozenset()  # keys of the items in places the person follows
    complete_until: datetime | None = None  # everything starting by then is listed


@dataclass(frozen=True, slots=True)
class NoMatch:
    """Nothing scored high enough: say so, and offer the closest names."""

    query: str
    what: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TalkAnswer:
    query: str
    talk: SessionTalk
    runners_up: tuple[SessionTalk, ...]


@dataclass(frozen=True, slots=True)
class AuthoredTalk:
    talk: SessionTalk
    authorship: Authorship


@dataclass(frozen=True, slots=True)
class PersonTalks:
    key: str
    name: str
    talks: tuple[AuthoredTalk, ...]


@dataclass(frozen=True, slots=True)
class AuthorAnswer:
    query: str
    people: tuple[PersonTalks, ...]


@dataclass(frozen=True, slots=True)
class SessionAnswer:
    """A session; for a room's or a track's block, `other_days` are the other days it has
    one, and `also_track` the name asked for when it is a track's as well as a room's."""

    query: str
    session: Session
    talks: tuple[SessionTalk, ...]
    runners_up: tuple[Session, ...]
    other_days: tuple[date, ...] = ()
    also_track: str | None = None


@dataclass(frozen=True, slots=True)
class TrackAnswer:
    """A track's talks across rooms, in time order: on `day`, or every day when None.
    `days` are all the days it has talks; `also_room`: its name is a room's too."""

    track: str
    day: date | None
    talks: tuple[SessionTalk, ...]
    days: tuple[date, ...]
    also_room: bool = False

    @property
    def rooms(self) -> tuple[str, ...]:
        return tuple(sorted({t.slot.room for t in self.talks if t.slot.room}))

    @property
    def other_days(self) -> tuple[date, ...]:
        return tuple(d for d in self.days if d != self.day) if self.day else ()


@dataclass(frozen=True, slots=True)
class SessionBlock:
    """A session within a day's listing, with its talks."""

    session: Session
    talks: tuple[SessionTalk, ...]

    @property
    def slot(self) -> Slot:
        return self.session.slot


@dataclass(frozen=True, slots=True)
class DayAnswer:
    day: date
    items: tuple[SessionBlock | Event, ...]


@dataclass(frozen=True, slots=True)
class AffiliationMatch:
    name: str
    people: tuple[str, ...]
    talks: tuple[SessionTalk, ...]


class SearchKind(StrEnum):
    """What a search finds, each kind ranked on its own."""

    TALKS = "talks"
    PEOPLE = "people"
    AFFILIATIONS = "affiliations"
    SESSIONS = "sessions"


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    query: str
    talks: tuple[SessionTalk, ...]
    people: tuple[PersonTalks, ...]
    affiliations: tuple[AffiliationMatch, ...]
    sessions: tuple[Session, ...]
    # Kinds that matched more than a search shows ("talks", "people", ...): the answer
    # holds the best of them up to the service's bound and says there are more.
    more: tuple[SearchKind, ...] = ()
    # How many of `talks`, at their end, only come close to the query ('trust' for
    # 'rust'): the talks holding its words come first, and an answer shows these apart.
    close_talks: int = 0

    @property
    def empty(self) -> bool:
        return not (self.talks or self.people or self.affiliations or self.sessions)

    @property
    def count(self) -> int:
        """Everything the answer holds: talks, people, affiliations and sessions."""
        return len(self.talks) + len(self.people) + len(self.affiliations) + len(self.sessions)


class SuggestionKind(StrEnum):
    """What an autocomplete choice is, so that its name can be said in the reader's
    language: the service names none of them in words of its own."""

    NAME = "name"  # the program's own words (a title, a person, a room), shown as they are
    SESSION = "session"  # a session offered among talks: 'Session: <title>'
    LANGUAGE = "language"  # a talk language: `value` is the program's, named for the reader


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One autocomplete choice: a stable reference and what the person sees (`label`,
    the program's words, or English ones; `kind` says how a renderer names it in the
    reader's language)."""

    value: str
    label: str
    kind: SuggestionKind = SuggestionKind.NAME
    # A room block's day, which its title names in English ('Rust, Saturday': see
    # bot.importer.community): a renderer says it in the reader's words.
    day: date | None = None


@dataclass(frozen=True, slots=True)
class ProgramSize:
    """How big a program is, by what its blocks are: sessions of its own (an academic
    program), or rooms' days (FOSDEM's room blocks, which are no sessions: '72 sessions'
    there told people of something that is not in the program)."""

    talks: int
    sessions: int  # the program's own sessions
    room_blocks: int = 0
    rooms: int = 0  # the rooms its room blocks are in
    days: int = 0  # the days its room blocks are on

    @classmethod
    def of(cls, program: Program) -> ProgramSize:
        blocks = [s for s in program.sessions if s.kind is SessionKind.ROOM_BLOCK]
        return cls(
            talks=len(program.talks),
            sessions=len(program.sessions) - len(blocks),
            room_blocks=len(blocks),
            rooms=len({s.slot.room for s in blocks if s.slot.room}),
            days=len({s.day for s in blocks}),
        )
