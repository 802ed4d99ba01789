"""frab and pretalx `schedule.json` (c3voc v1: `schedule.conference.days[].rooms{}`), and
the newer c3voc v2 layout (a flat `schedule.events` list with ISO `start` and `end`).

Read leniently, as real exports break the strict schema in many small ways: unknown keys
are ignored, a missing field is skipped where it can be, and only what cannot be
understood is an error, named by its JSON path.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.importer import values
from bot.importer.community import DayInfo, RawConference, RawTalk, build, check_events
from bot.importer.errors import ProgramFileError
from bot.importer.files import json_document
from bot.importer.report import Loaded
from bot.importer.text import plain_text
from bot.model import within_range


class FrabJsonReader:
    name = "frab/pretalx schedule.json (v1 or v2)"

    def claims(self, head: bytes, path: Path) -> bool:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return text.startswith(b"{") and b'"schedule"' in head and b'"conference"' in head

    def read(self, path: Path, default_zone: str | None) -> Loaded:
        with json_document(path) as data:
            return _Reader(path.name).read(data, default_zone)

    def files(self, path: Path) -> Sequence[Path]:
        return (path,)


READER = FrabJsonReader()


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, reason: str) -> ProgramFileError:
        return ProgramFileError(self.path, f"{where}: {reason}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected an object")
        return value

    def read(self, data: Any, default_zone: str | None) -> Loaded:
        schedule = self.obj(self.obj(data, "top level").get("schedule"), "schedule")
        conference = self.obj(schedule.get("conference"), "schedule.conference")
        v2 = isinstance(schedule.get("events"), list)
        raw = RawConference(
            fmt="c3voc schedule.json v2" if v2 else "frab/pretalx schedule.json",
            path=self.path,
            title=values.text(conference.get("title")),
            acronym=values.text(conference.get("acronym")),
            zone_name=values.text(conference.get("time_zone_name")),
            start=values.date_of(conference.get("start")),
            end=values.date_of(conference.get("end")),
            version=values.text(schedule.get("version")),
            base_url=values.text(schedule.get("base_url")) or values.text(conference.get("url")),
        )
        talks = self.v2(schedule, conference, raw) if v2 else self.v1(conference, raw)
        return build(raw, talks, default_zone)

    # -- v1 -----------------------------------------------------------------------------

    def v1(self, conference: dict[str, Any], raw: RawConference) -> list[RawTalk]:
        where = "schedule.conference.days"
        days = conference.get("days")
        if not isinstance(days, list):
            raise self.fail(where, "expected a list of days")
        talks: list[RawTalk] = []
        for i, day in enumerate(days):
            day_where = f"{where}[{i}]"
            day = self.obj(day, day_where)
            day_date = values.date_of(day.get("date"))
            if day_date is None:
                raise self.fail(f"{day_where}.date", f"{day.get('date')!r} is not a date")
            raw.days.append(DayInfo(day_date, values.instant(day.get("day_start"))))
            rooms = self.obj(day.get("rooms") or {}, f"{day_where}.rooms")
            for room, events in rooms.items():
                raw.rooms.append(str(room))
                if not isinstance(events, list):
                    raise self.fail(f"{day_where}.rooms.{room}", "expected a list of events")
                check_events(len(talks) + len(events), self.path)
                for j, event in enumerate(events):
                    talks.append(self.v1_event(event, f"{day_where}.rooms.{room}[{j}]",
                                               day_date, str(room)))  # fmt: skip
        return talks

    def v1_event(self, event: Any, where: str, day: date, room: str) -> RawTalk:
        event = self.obj(event, where)
        title = values.text(event.get("title"))
        if not title:
            raise self.fail(f"{where}.title", "is missing or empty")
        start = values.moment(event.get("date"))
        if start is None:  # old exports: only the day and 'HH:MM'
            clock = values.duration(event.get("start"))
            if clock is None:
                raise self.fail(f"{where}.date", "neither 'date' nor 'start' gives a time")
            start = datetime.combine(day, datetime.min.time()) + clock
        duration = values.duration(event.get("duration"))
        if duration is None:
            raise self.fail(
                f"{where}.duration", f"{event.get('duration')!r} is not a duration like 00:30"
            )
        self.check_range(start, f"{where}.date")
        return RawTalk(
            title=title,
            start=start,
            end=start + duration,
            room=values.text(event.get("room")) or room,
            where=where,
            guid=values.text(event.get("guid")),
            id=values.text(event.get("id")),
            day=day,
            subtitle=values.text(event.get("subtitle")),
            track=values.text(event.get("track")),
            kind=values.text(event.get("type")),
            language=values.text(event.get("language")),
            abstract=plain_text(values.joined(event.get("abstract"), event.get("description"))),
            persons=values.persons(event.get("persons")),
            url=values.url(event.get("url")),
            links=values.links(event.get("links")),
            do_not_record=event.get("do_not_record") is True,
        )

    # -- v2 -----------------------------------------------------------------------------

    def v2(
        self, schedule: dict[str, Any], conference: dict[str, Any], raw: RawConference
    ) -> list[RawTalk]:
        for i, day in enumerate(values.listed(conference.get("days"))):
            day = self.obj(day, f"schedule.conference.days[{i}]")
            if (on := values.date_of(day.get("date"))) is not None:
                raw.days.append(DayInfo(on, values.instant(day.get("start"))))
        for room in values.listed(conference.get("rooms")):
            if isinstance(room, dict) and values.text(room.get("name")):
                raw.rooms.append(str(room["name"]))
        tracks = {
            values.text(t.get("slug")): values.text(t.get("name"))
            for t in values.listed(conference.get("tracks"))
            if isinstance(t, dict)
        }
        # Each day's start, in order, once: an event is filed under the last day begun
        # by its start (a day given without an offset cannot be compared, so files none).
        aware = [(d.start, d.date) for d in raw.days if d.start and d.start.tzinfo is not None]
        bounds = sorted(aware, key=lambda bound: bound[0])
        talks: list[RawTalk] = []
        check_events(len(schedule["events"]), self.path)
        for i, event in enumerate(schedule["events"]):
            where = f"schedule.events[{i}]"
            event = self.obj(event, where)
            title = values.text(event.get("title"))
            start, end = values.moment(event.get("start")), values.moment(event.get("end"))
            if not title:
                raise self.fail(f"{where}.title", "is missing or empty")
            if start is None or end is None or start.tzinfo is None or end.tzinfo is None:
                raise self.fail(where, "'start' and 'end' must be ISO times with an offset")
            self.check_range(start, f"{where}.start")
            self.check_range(end, f"{where}.end")
            if end < start:
                raise self.fail(where, "ends before it starts")
            room = event.get("room")
            track = event.get("track")
            persons = [
                p.get("name")
                for p in values.listed(event.get("participants"))
                if isinstance(p, dict)
            ]
            talks.append(
                RawTalk(
                    title=title,
                    start=start,
                    end=end,
                    room=values.text(room.get("name"))
                    if isinstance(room, dict)
                    else values.text(room),
                    where=where,
                    guid=values.text(event.get("guid")),
                    id=values.text(event.get("code")) or values.text(event.get("id")),
                    day=_day_of(start, bounds),
                    subtitle=values.text(event.get("subtitle")),
                    track=(
                        tracks.get(values.text(track.get("slug"))) or values.text(track.get("name"))
                    )
                    if isinstance(track, dict)
                    else values.text(track),
                    kind=values.text(event.get("type")),
                    language=values.text(event.get("language")),
                    abstract=plain_text(
                        values.joined(event.get("abstract"), event.get("description"))
                    ),
                    persons=tuple(str(p) for p in persons if values.text(p)),
                    url=values.url(event.get("url")),
                    links=values.links(event.get("links")),
                    do_not_record=event.get("do_not_record") is True,
                )
            )
        return talks

    def check_range(self, moment: datetime, where: str) -> None:
        if moment.tzinfo is not None and not within_range(moment):
            raise self.fail(where, f"{moment.isoformat()!r} is out of range (years 1900 to 2999)")


def _day_of(start: datetime, bounds: list[tuple[datetime, date]]) -> date | None:
    """The declared day whose start is the last at or before `start` (`bounds` sorted by
    start): found by bisection, as a file may declare hundreds of thousands of days, and
    sorting them again for each of 20,000 events took half an hour."""
    found = bisect.bisect_right(bounds, start, key=lambda bound: bound[0])
    return bounds[found - 1][1] if found else None
