"""frab, pentabarf, FOSDEM (pretalx) and Wafer `schedule.xml`.

`<schedule><conference/><day date start><room name><event guid id>` with `<date>` (ISO
with offset), or in old files only `<start>` (HH:MM on the day), `<duration>`, `<title>`,
`<track>`, `<type>`, `<language>`, `<abstract>`, `<persons>`, `<links>`. No real file
validates against the XSD, so every field is optional but the title and a time. Parsed
without entity expansion or external entities (defusedxml): a program file is hostile.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from bot.importer import values
from bot.importer.community import DayInfo, RawConference, RawTalk, build
from bot.importer.errors import ProgramFileError
from bot.importer.files import check_size, release
from bot.importer.report import Loaded
from bot.importer.text import plain_text
from bot.model import within_range


class FrabXmlReader:
    name = "frab/pentabarf/FOSDEM schedule.xml"

    def claims(self, head: bytes, path: Path) -> bool:
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and b"<schedule" in head

    def read(self, path: Path, default_zone: str | None) -> Loaded:
        check_size(path)
        try:
            root = SafeET.parse(path).getroot()
        except ParseError as exc:
            line = exc.position[0] if exc.position else None
            raise ProgramFileError(path.name, f"is not well-formed XML ({exc})", line) from None
        except DefusedXmlException as exc:  # before ValueError: it is one
            raise ProgramFileError(
                path.name, f"uses XML features confbot refuses for safety ({type(exc).__name__})"
            ) from None
        except (LookupError, ValueError) as exc:  # an encoding Python does not know, say
            raise ProgramFileError(path.name, f"cannot be read as XML ({exc})") from None
        if root is None or root.tag != "schedule":
            found = f"<{root.tag}>" if root is not None else "nothing"
            raise ProgramFileError(path.name, f"the root element is {found}, not <schedule>")
        try:
            raw, talks = _read(root, path.name)
        finally:
            release(list(root.iter()))
        return build(raw, talks, default_zone)

    def files(self, path: Path) -> Sequence[Path]:
        return (path,)


READER = FrabXmlReader()


def _read(root: Element, path: str) -> tuple[RawConference, list[RawTalk]]:
    conference = root.find("conference")
    info = conference if conference is not None else Element("conference")
    generator = root.find("generator")
    made_by = None
    if generator is not None and generator.get("name"):
        made_by = " ".join(x for x in (generator.get("name"), generator.get("version")) if x)
    raw = RawConference(
        fmt="schedule.xml",
        path=path,
        title=_child(info, "title"),
        acronym=_child(info, "acronym"),
        zone_name=_child(info, "time_zone_name"),
        start=values.date_of(_child(info, "start")),
        end=values.date_of(_child(info, "end")),
        venue=_child(info, "venue"),
        city=_child(info, "city"),
        generator=made_by,
        version=_child(root, "version"),
        base_url=_child(info, "base_url"),
    )
    talks: list[RawTalk] = []
    for d, day in enumerate(root.iter("day"), start=1):
        day_date = values.date_of(day.get("date"))
        if day_date is None:
            raise ProgramFileError(path, f"day {d}: date {day.get('date')!r} is not a date")
        raw.days.append(DayInfo(day_date, values.instant(day.get("start"))))
        for room in day.iter("room"):
            name = values.text(room.get("name"))
            if name:
                raw.rooms.append(name)
            for e, event in enumerate(room.iter("event"), start=1):
                where = f"day {d}, room {name or '?'}, event {e}"
                talks.append(_event(event, where, day_date, name, path))
    return raw, talks


def _event(event: Element, where: str, day: date, room: str | None, path: str) -> RawTalk:
    title = _child(event, "title")
    if not title:
        raise ProgramFileError(path, f"{where}: the event has no <title>")
    start = values.moment(_child(event, "date"))
    if start is None:  # old frab and pentabarf files: HH:MM on the day, in the local zone
        clock = values.duration(_child(event, "start"))
        if clock is None:
            raise ProgramFileError(path, f"{where} ({title!r}): neither <date> nor <start>")
        start = datetime.combine(day, datetime.min.time()) + clock
    elif not within_range(start):
        raise ProgramFileError(path, f"{where}: <date> {start.isoformat()!r} is out of range")
    duration = values.duration(_child(event, "duration"))
    if duration is None:
        duration = timedelta(0)
    persons = tuple(
        name for p in event.iterfind("persons/person") if (name := values.text(p.text)) is not None
    )
    links = tuple(
        values.link(values.text(link.text), href)
        for link in event.iterfind("links/link")
        if (href := values.url(link.get("href"))) is not None
    )
    optout = _child(event, "recording/optout") or _child(event, "do_not_record")
    return RawTalk(
        title=title,
        start=start,
        end=start + duration,
        room=_child(event, "room") or room,
        where=where,
        guid=values.text(event.get("guid")),
        id=values.text(event.get("id")),
        day=day,
        subtitle=_child(event, "subtitle"),
        track=_child(event, "track"),
        kind=_child(event, "type"),
        language=_child(event, "language"),
        abstract=plain_text(_joined(event, "abstract", "description")),
        persons=persons,
        url=values.url(_child(event, "url")),
        links=links,
        do_not_record=(optout or "").lower() == "true",
    )


def _child(element: Element, path: str) -> str | None:
    found = element.find(path)
    return values.text(found.text) if found is not None else None


def _joined(event: Element, *names: str) -> str | None:
    texts = []
    for name in names:
        found = event.find(name)
        if found is not None and found.text and found.text.strip():
            texts.append(found.text.strip())
    return "\n\n".join(dict.fromkeys(texts)) or None
