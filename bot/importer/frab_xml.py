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

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from bot.importer import values
from bot.importer.community import DayInfo, RawConference, RawTalk, build, check_events
from bot.importer.errors import ProgramFileError
from bot.importer.files import check_size
from bot.importer.limits import MAX_ABSTRACT_SOURCE, MAX_DEPTH, MAX_XML_ELEMENTS
from bot.importer.report import Loaded
from bot.importer.text import plain_text
from bot.importer.xml_markup import check_file
from bot.model import within_range


class FrabXmlReader:
    name = "frab/pentabarf/FOSDEM schedule.xml"

    def claims(self, head: bytes, path: Path) -> bool:
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and b"<schedule" in head

    def read(self, path: Path, default_zone: str | None) -> Loaded:
        check_size(path)
        check_file(path)  # before expat: see bot.importer.xml_markup
        try:
            raw, talks = _Stream(path.name).read(path)
        except ParseError as exc:
            line = exc.position[0] if exc.position else None
            raise ProgramFileError(path.name, f"is not well-formed XML ({exc})", line) from None
        except DefusedXmlException as exc:  # before ValueError: it is one
            raise ProgramFileError(
                path.name, f"uses XML features confbot refuses for safety ({type(exc).__name__})"
            ) from None
        except (LookupError, ValueError) as exc:  # an encoding Python does not know, say
            raise ProgramFileError(path.name, f"cannot be read as XML ({exc})") from None
        return build(raw, talks, default_zone)

    def files(self, path: Path) -> Sequence[Path]:
        return (path,)


READER = FrabXmlReader()

_HEAD = ("conference", "generator", "version")  # what is read of the root's children


_FEED = 1 << 14  # bytes handed to expat at a time, as ElementTree's iterparse does
# Of each element's text, only this much is kept: the most any reader of it looks at (an
# abstract; one-line texts read less, see values.text). What lies beyond is never joined.
TEXT_KEPT = MAX_ABSTRACT_SOURCE


class _Stream:
    """One pass over the file's elements as the parser meets them (the parser's target),
    so reading is linear however the file nests and holds only the event being read:
    each event is built as a small tree and read once, at its end, under its nearest
    enclosing <room> and <day>; nothing outside an event or a head element is kept.

    Texts are kept up to TEXT_KEPT characters, as they arrive in pieces: ElementTree's
    own builder would join a text whole when its element ends, and reading one 50 MB
    abstract then was one C call that joined 50 MB, holding the GIL (the event loop
    waited up to 100 ms) for words no reader looks at. The count of elements and
    attributes and their depth are bounded (bot.importer.limits)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.head: dict[str, Element] = {}
        self.days: list[tuple[int, date]] = []  # the enclosing days: (number, date)
        self.rooms: list[tuple[str | None, list[int]]] = []  # enclosing rooms, events read
        self.talks: list[RawTalk] = []
        self.day_infos: list[DayInfo] = []
        self.room_names: list[str] = []
        self.open: list[tuple[Element | None, str]] = []  # the element kept, its role
        self.texts: list[tuple[list[str], list[int]]] = []  # each open kept element's
        # text: its pieces, and how many characters they hold
        self.holding = 0  # the depth of the event or head element kept whole, 0 if none
        self.count = 0

    def read(self, path: Path) -> tuple[RawConference, list[RawTalk]]:
        parser = DefusedXMLParser(target=self)
        with path.open("rb") as handle:
            while piece := handle.read(_FEED):
                parser.feed(piece)
        parser.close()
        return self.conference(), self.talks

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.count += 1 + len(attrib)
        depth = len(self.open) + 1
        self.check(self.count, depth, tag)
        if self.holding:  # inside what is kept whole: a child of it
            parent = self.open[-1][0]
            assert parent is not None
            self.keep(Element(tag, attrib), "", parent)
            return
        role = self.started(tag, attrib, depth)
        if role in ("event", "head"):
            self.holding = depth
            element = Element(tag, attrib)
            if role == "head":
                self.head[tag] = element
            self.keep(element, role, None)
            return
        self.open.append((None, role))

    def keep(self, element: Element, role: str, parent: Element | None) -> None:
        if parent is not None:
            parent.append(element)
        self.open.append((element, role))
        self.texts.append(([], [0]))

    def data(self, text: str) -> None:
        if not self.holding:
            return
        pieces, kept = self.texts[-1]
        if kept[0] < TEXT_KEPT:
            piece = text[: TEXT_KEPT - kept[0]]
            pieces.append(piece)
            kept[0] += len(piece)

    def end(self, tag: str) -> None:
        depth = len(self.open)
        element, role = self.open.pop()
        if element is not None:
            pieces, _ = self.texts.pop()
            element.text = "".join(pieces) if pieces else None
        if role == "event":
            assert element is not None
            self.event(element)
        elif role == "day":
            self.days.pop()
        elif role == "room":
            self.rooms.pop()
        if depth == self.holding:
            self.holding = 0

    def close(self) -> None:
        """The parser's end of document: what was read is taken by read."""

    def check(self, count: int, depth: int, tag: str) -> None:
        if depth == 1 and tag != "schedule":
            found = f"<{tag}>"
            raise ProgramFileError(self.path, f"the root element is {found}, not <schedule>")
        if count > MAX_XML_ELEMENTS:
            raise ProgramFileError(
                self.path, f"holds more than {MAX_XML_ELEMENTS:,} XML elements and attributes;"
                f" a program file may hold {MAX_XML_ELEMENTS:,}",
            )  # fmt: skip
        if depth > MAX_DEPTH:
            raise ProgramFileError(
                self.path, f"XML nested too deeply to be a program (more than {MAX_DEPTH} levels)"
            )  # fmt: skip

    def started(self, tag: str, attrib: dict[str, str], depth: int) -> str:
        """What an element starting outside any event is: a day or a room entered (their
        attributes are known at the start), an event, a head element of the root
        (conference, generator, version: the first of each), or nothing to the reader."""
        if depth == 2 and tag in _HEAD and tag not in self.head:
            return "head"
        if tag == "day" and depth > 1:
            number = len(self.day_infos) + 1
            day_date = values.date_of(attrib.get("date"))
            if day_date is None:
                raise ProgramFileError(
                    self.path, f"day {number}: date {attrib.get('date')!r} is not a date"
                )
            self.day_infos.append(DayInfo(day_date, values.instant(attrib.get("start"))))
            self.days.append((number, day_date))
            return "day"
        if tag == "room" and self.days:
            name = values.text(attrib.get("name"))
            if name:
                self.room_names.append(name)
            self.rooms.append((name, [0]))
            return "room"
        if tag == "event" and self.rooms:
            return "event"
        return ""

    def event(self, element: Element) -> None:
        number, day_date = self.days[-1]
        name, read = self.rooms[-1]
        read[0] += 1
        where = f"day {number}, room {name or '?'}, event {read[0]}"
        self.talks.append(_event(element, where, day_date, name, self.path))
        check_events(len(self.talks), self.path)

    def conference(self) -> RawConference:
        info = self.head.get("conference", Element("conference"))
        generator = self.head.get("generator")
        made_by = None
        if generator is not None and generator.get("name"):
            made_by = " ".join(x for x in (generator.get("name"), generator.get("version")) if x)
        version = self.head.get("version")
        raw = RawConference(
            fmt="schedule.xml",
            path=self.path,
            title=_child(info, "title"),
            acronym=_child(info, "acronym"),
            zone_name=_child(info, "time_zone_name"),
            start=values.date_of(_child(info, "start")),
            end=values.date_of(_child(info, "end")),
            venue=_child(info, "venue"),
            city=_child(info, "city"),
            generator=made_by,
            version=values.text(version.text) if version is not None else None,
            base_url=_child(info, "base_url"),
        )
        raw.days.extend(self.day_infos)
        raw.rooms.extend(self.room_names)
        return raw


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
    """The texts of the event's children `names`, once each (see values.joined)."""
    return values.joined(*(found.text for name in names if (found := event.find(name)) is not None))
