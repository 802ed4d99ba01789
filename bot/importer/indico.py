"""Indico's JSON export (`/export/event/<id>.json?detail=contributions`).

`{"results": [{"title", "timezone", "startDate", "endDate", "contributions": [...]}]}`,
where times are `{"date": "2024-05-06", "time": "09:00:00", "tz": "Europe/Zurich"}` and
people are `primaryauthors`, `coauthors` and `speakers` with names as "Last, First" (or
`first_name` / `last_name`) and an affiliation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path
from typing import Any

from bot.importer.community import RawConference, RawTalk, build, check_events
from bot.importer.errors import ProgramFileError
from bot.importer.files import json_document
from bot.importer.report import Loaded
from bot.importer.text import plain_text
from bot.importer.values import date_of, listed, mapping, text, url
from bot.model import load_zone, within_range


class IndicoReader:
    name = "Indico JSON export"

    def claims(self, head: bytes, path: Path) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return (
            start.startswith(b"{")
            and b'"results"' in head
            and (b'"_type"' in head or b'"contributions"' in head)
        )

    def read(self, path: Path, default_zone: str | None) -> Loaded:
        with json_document(path) as data:
            raw, talks = _read(data, path.name)
        return build(raw, talks, default_zone)

    def files(self, path: Path) -> Sequence[Path]:
        return (path,)


READER = IndicoReader()


def _read(data: Any, path: str) -> tuple[RawConference, list[RawTalk]]:
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise ProgramFileError(path, "results: expected a list holding one event")
    event = results[0]
    raw = RawConference(
        fmt="Indico JSON export",
        path=path,
        title=text(event.get("title")),
        zone_name=text(event.get("timezone")),
        start=date_of(mapping(event.get("startDate")).get("date")),
        end=date_of(mapping(event.get("endDate")).get("date")),
        city=text(event.get("location")),
        base_url=url(event.get("url")),
    )
    contributions = event.get("contributions")
    if not isinstance(contributions, list):
        raise ProgramFileError(path, "results[0].contributions: expected a list")
    check_events(len(contributions), path)
    talks = []
    for i, item in enumerate(contributions):
        where = f"results[0].contributions[{i}]"
        if not isinstance(item, dict):
            raise ProgramFileError(path, f"{where}: expected an object")
        title = text(item.get("title"))
        start = _moment(item.get("startDate"), f"{where}.startDate", path, raw.zone_name)
        end = _moment(item.get("endDate"), f"{where}.endDate", path, raw.zone_name)
        if not title:
            raise ProgramFileError(path, f"{where}.title: is missing or empty")
        if start is None:
            continue  # not scheduled: Indico lists unscheduled contributions too
        if end is not None and (end.tzinfo is None) != (start.tzinfo is None):
            raise ProgramFileError(path, f"{where}: startDate and endDate disagree on the zone")
        if end is None or end < start:
            end = start
        people: dict[str, str | None] = {}
        for key in ("speakers", "primaryauthors", "coauthors"):
            for person in listed(item.get(key)):
                if (name := _name(person)) is not None and name not in people:
                    people[name] = text(person.get("affiliation"))
        talks.append(
            RawTalk(
                title=title,
                start=start,
                end=end,
                room=text(item.get("room")) or text(item.get("location")),
                where=where,
                id=text(item.get("id")) or text(item.get("db_id")),
                track=text(item.get("track")) or text(item.get("session")),
                kind=text(mapping(item.get("type")).get("name"))
                if isinstance(item.get("type"), dict)
                else text(item.get("type")),
                abstract=plain_text(item.get("description")),
                persons=tuple(people),
                labels=_entry_types(item),
                affiliations=tuple((n, a) for n, a in people.items() if a),
                url=url(item.get("url")),
            )
        )
    skipped = len(contributions) - len(talks)
    if skipped:
        raw.warnings.append(f"{skipped} contribution(s) have no time yet; not shown")
    return raw, talks


def _entry_types(item: dict[str, Any]) -> tuple[str, ...]:
    """What Indico says the entry is: a timetable's `entryType` ('Break') or its
    `_type` ('BreakTimeSchedEntry'), for bot.importer.breaks."""
    found = [text(item.get("entryType")), text(item.get("_type"))]
    return tuple("break" if value.startswith("Break") else value for value in found if value)


def _moment(value: Any, where: str, path: str, zone: str | None) -> datetime | None:
    """A {date, time, tz} time; without its own tz, in the event's zone (`zone`)."""
    if not isinstance(value, dict) or not value.get("date"):
        return None
    day = date_of(value.get("date"))
    try:
        clock = time.fromisoformat(str(value.get("time") or "00:00:00"))
    except ValueError:
        clock = None
    if day is None or clock is None:
        raise ProgramFileError(path, f"{where}: {value!r} is not a date and time")
    moment = datetime.combine(day, clock)
    if zone := text(value.get("tz")) or zone:
        try:
            moment = moment.replace(tzinfo=load_zone(zone))
        except ValueError as exc:
            raise ProgramFileError(path, f"{where}.tz: {exc}") from None
        if not within_range(moment):
            raise ProgramFileError(path, f"{where}: out of range")
    return moment


def _name(person: Any) -> str | None:
    """'First Last' from Indico's 'Last, First' or its first_name/last_name fields."""
    if not isinstance(person, dict):
        return None
    first, last = text(person.get("first_name")), text(person.get("last_name"))
    if first or last:
        return " ".join(x for x in (first, last) if x)
    full = text(person.get("fullName")) or text(person.get("name"))
    if full and "," in full:
        last_name, _, first_name = full.partition(",")
        return f"{first_name.strip()} {last_name.strip()}".strip()
    return full
