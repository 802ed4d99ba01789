"""Read the schedule file: conference metadata, session and talk slots, other events.

Every time in it is local wall-clock time in the conference's zone (or carries its own
offset), and says whether it was published or derived. Errors name the JSON path of the
offending value, since JSON gives us no useful line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.importer.errors import ProgramFileError
from bot.importer.files import json_document
from bot.importer.limits import MAX_EVENTS
from bot.model import Slot, TimeBasis, load_zone, within_range


@dataclass(frozen=True, slots=True)
class ScheduledTalk:
    title: str
    slot: Slot
    url: str | None
    award: str | None
    where: str


@dataclass(frozen=True, slots=True)
class ScheduledSession:
    title: str
    day: date
    slot: Slot
    chairs: tuple[str, ...]
    talks: tuple[ScheduledTalk, ...]
    where: str


@dataclass(frozen=True, slots=True)
class ScheduledEvent:
    title: str
    kind: str
    slot: Slot
    speaker: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class ConferenceInfo:
    key: str | None
    name: str
    full_name: str
    timezone: str
    venue: str | None
    location: str | None
    start_date: date
    end_date: date
    derived_note: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    conference: ConferenceInfo
    sessions: tuple[ScheduledSession, ...]
    events: tuple[ScheduledEvent, ...]


def read_schedule(path: Path) -> Schedule:
    with json_document(path) as data:
        return parse_schedule(data, path.name)


def parse_schedule(raw: Any, path: str = "schedule.json") -> Schedule:
    return _ScheduleReader(path).read(raw)


class _ScheduleReader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.tz: ZoneInfo | None = None

    def fail(self, where: str, reason: str) -> ProgramFileError:
        return ProgramFileError(self.path, f"{where}: {reason}")

    def read(self, raw: Any) -> Schedule:
        if not isinstance(raw, dict):
            raise self.fail("top level", "expected an object")
        conference = self.conference(self.field(raw, "conference", "top level", dict))
        self.count(raw)
        sessions = tuple(
            self.session(item, f"sessions[{i}]")
            for i, item in enumerate(self.field(raw, "sessions", "top level", list))
        )
        events = tuple(
            self.event(item, f"events[{i}]")
            for i, item in enumerate(self.field(raw, "events", "top level", list, True) or [])
        )
        return Schedule(conference, sessions, events)

    def count(self, raw: dict[str, Any]) -> None:
        """Sessions, their papers and other events: at most MAX_EVENTS in all."""
        found = 0
        for key in ("sessions", "events"):
            items = raw.get(key)
            if isinstance(items, list):
                found += len(items) + sum(
                    len(p) for s in items if isinstance(s, dict)
                    if isinstance(p := s.get("papers"), list)
                )  # fmt: skip
        if found > MAX_EVENTS:
            raise self.fail("top level", f"holds {found:,} sessions, papers and events; a"
                            f" program may hold {MAX_EVENTS:,}")  # fmt: skip

    def field(self, obj: Any, name: str, where: str, kind: type, optional: bool = False) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, "expected an object")
        value = obj.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            raise self.fail(where, f"'{name}' is missing or not a {kind.__name__}")
        return value.strip() if isinstance(value, str) else value

    def conference(self, raw: dict[str, Any]) -> ConferenceInfo:
        where = "conference"
        zone = self.field(raw, "timezone", where, str)
        try:
            self.tz = load_zone(zone)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None
        start = self.date(self.field(raw, "start_date", where, str), f"{where}.start_date")
        end = self.date(self.field(raw, "end_date", where, str), f"{where}.end_date")
        if end < start:
            raise self.fail(where, "end_date is before start_date")
        name = self.field(raw, "name", where, str)
        return ConferenceInfo(
            key=self.field(raw, "key", where, str, optional=True),
            name=name,
            full_name=self.field(raw, "full_name", where, str, optional=True) or name,
            timezone=zone,
            venue=self.field(raw, "venue", where, str, optional=True),
            location=self.field(raw, "location", where, str, optional=True),
            start_date=start,
            end_date=end,
            derived_note=self.field(raw, "derived_note", where, str, optional=True),
            source=self.field(raw, "source", where, str, optional=True),
        )

    def date(self, text: str, where: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self.fail(where, f"{text!r} is not a date like 2024-07-10") from None

    def moment(self, text: str, where: str) -> datetime:
        assert self.tz is not None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(where, f"{text!r} is not a time like 2024-07-10T10:45") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        if not within_range(value):
            raise self.fail(where, f"{text!r} is out of range (years 1900 to 2999)")
        return value.astimezone(self.tz)

    def slot(self, raw: dict[str, Any], where: str, room: str | None) -> Slot:
        start = self.moment(self.field(raw, "start", where, str), f"{where}.start")
        end = self.moment(self.field(raw, "end", where, str), f"{where}.end")
        basis_text = self.field(raw, "time_basis", where, str)
        try:
            basis = TimeBasis(basis_text)
        except ValueError:
            raise self.fail(
                where, f"time_basis {basis_text!r} is not published or derived"
            ) from None
        if end < start:
            raise self.fail(where, "ends before it starts")
        return Slot(start, end, basis, room)

    def session(self, raw: Any, where: str) -> ScheduledSession:
        title = self.field(raw, "title", where, str)
        room = self.field(raw, "room", where, str, optional=True)
        slot = self.slot(raw, where, room)
        day_text = self.field(raw, "day", where, str, optional=True)
        local_start = slot.start.astimezone(self.tz)
        day = self.date(day_text, f"{where}.day") if day_text else local_start.date()
        chairs = tuple(str(c) for c in self.field(raw, "chairs", where, list, True) or [])
        talks = tuple(
            self.paper(item, f"{where}.papers[{i}]", room)
            for i, item in enumerate(self.field(raw, "papers", where, list))
        )
        return ScheduledSession(title, day, slot, chairs, talks, where)

    def paper(self, raw: Any, where: str, room: str | None) -> ScheduledTalk:
        return ScheduledTalk(
            title=self.field(raw, "title", where, str),
            slot=self.slot(raw, where, room),
            url=self.field(raw, "url", where, str, optional=True),
            award=self.field(raw, "award", where, str, optional=True),
            where=where,
        )

    def event(self, raw: Any, where: str) -> ScheduledEvent:
        room = self.field(raw, "room", where, str, optional=True)
        return ScheduledEvent(
            title=self.field(raw, "title", where, str),
            kind=self.field(raw, "kind", where, str, optional=True) or "event",
            slot=self.slot(raw, where, room),
            speaker=self.field(raw, "speaker", where, str, optional=True),
            url=self.field(raw, "url", where, str, optional=True),
        )
