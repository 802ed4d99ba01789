"""Typed answers of the service. Renderers turn them into text or embeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.model import Authorship, Event, Session, Slot, Talk

# Long-running background items (badge pickup runs all day) would otherwise be "on now"
# at every moment and drown out the talk that is actually on stage.
AMBIENT_KINDS = frozenset({"registration"})


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
    return isinstance(item, Event) and item.kind in AMBIENT_KINDS


class Phase(StrEnum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"


@dataclass(frozen=True, slots=True)
class NowAnswer:
    at: datetime
    phase: Phase
    current: tuple[ProgramItem, ...]
    ambient: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class NextAnswer:
    """What is on (if anything), then what comes next, and the next talk if different.

    `upcoming` holds every item starting at the next start time, across all rooms, plus
    the next item in each room that has a talk on now (parallel tracks need not line up).
    """

    at: datetime
    phase: Phase
    current: tuple[ProgramItem, ...]
    ambient: tuple[Event, ...]
    upcoming: tuple[ProgramItem, ...]
    next_talks: tuple[SessionTalk, ...]
    opening: tuple[ProgramItem, ...] = ()


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
    query: str
    session: Session
    talks: tuple[SessionTalk, ...]
    runners_up: tuple[Session, ...]


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


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    query: str
    talks: tuple[SessionTalk, ...]
    people: tuple[PersonTalks, ...]
    affiliations: tuple[AffiliationMatch, ...]
    sessions: tuple[Session, ...]

    @property
    def empty(self) -> bool:
        return not (self.talks or self.people or self.affiliations or self.sessions)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One autocomplete choice: a stable reference and what the person sees."""

    value: str
    label: str
