"""iCalendar (.ics) program feeds: one VEVENT per item.

Read by hand rather than with a calendar library, because real feeds break it in ways a
library does not forgive: folds are undone on bytes before decoding (a fold can split a
UTF-8 character in two), line ends may be CR CR LF, a property may name its CHARSET, and
TZID names a zone with no VTIMEZONE (the zone database knows it). Feeds with generic
summaries ('Main Conference: talk') carry the real title in DESCRIPTION.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.importer.community import RawConference, RawTalk, build, check_events
from bot.importer.errors import ProgramFileError
from bot.importer.files import BOM, no_surrogates, read_bytes
from bot.importer.limits import MAX_LINES, MAX_PEOPLE, MAX_VALUE
from bot.importer.report import Loaded
from bot.importer.text import plain_text
from bot.importer.values import LONGEST, url
from bot.model import load_zone, within_range

_GENERIC = re.compile(r"^(?P<prefix>[A-Z][\w .'-]*): (?P<kind>[a-z][a-z -]*)$")
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
# The properties of a VEVENT that _talk reads.
_READ = frozenset(("DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "LOCATION",
                   "CATEGORIES", "UID", "URL"))  # fmt: skip
# Codecs Python decodes with that are no character set of text but of domain names, and
# whose decoding is Python code: punycode's is quadratic (one 1 MB line took 48 s in a
# worker thread an add over its budget never gets back), idna's 1.6 s a MB.
_NOT_CHARSETS = frozenset(("punycode", "idna"))
_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\"}


class IcalReader:
    name = "iCalendar (.ics)"

    def claims(self, head: bytes, path: Path) -> bool:
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR")

    def read(self, path: Path, default_zone: str | None) -> Loaded:
        raw, talks = _read(read_bytes(path), path.name, default_zone)
        return build(raw, talks, default_zone)

    def files(self, path: Path) -> Sequence[Path]:
        return (path,)


READER = IcalReader()


Property = tuple[str, dict[str, str], str]


_LINE = re.compile(rb"([^\r\n]*)(?:\r\r\n|\r\n|\r|\n|\Z)")


def unfold(data: bytes, path: str = "calendar.ics") -> Iterator[tuple[int, bytes]]:
    """(first line number, logical line), with folds undone on bytes, one at a time.
    Linear however long a folded line is (its parts are joined once), and holding only
    the line being read (no copy of the file, no list of its lines); refused past
    MAX_LINES lines or a logical line of MAX_VALUE bytes (bot.importer.limits)."""
    parts: list[bytes] = []
    first = 0
    size = 0
    start = len(BOM) if data.startswith(BOM) else 0
    for number, match in enumerate(_LINE.finditer(data, start), start=1):
        line = match[1]
        if number > MAX_LINES:
            raise ProgramFileError(path, f"has more than {MAX_LINES:,} lines; a program file"
                                   f" may have {MAX_LINES:,}")  # fmt: skip
        if line[:1] in (b" ", b"\t") and parts:
            parts.append(line[1:])
            size += len(line)
        elif line.strip():
            if parts:
                yield first, b"".join(parts)
            parts, first, size = [line], number, len(line)
        if size > MAX_VALUE:
            raise ProgramFileError(path, f"line {first} is longer than {MAX_VALUE:,} bytes;"
                                   " no program needs one so long", first)  # fmt: skip
        if match.end() == len(data):
            break  # the file's end (an empty match there would repeat)
    if parts:
        yield first, b"".join(parts)


def properties(data: bytes, path: str) -> Iterator[tuple[int, Property]]:
    for number, line in unfold(data, path):
        name_part, value = _split_value(line)
        if value is None:
            raise ProgramFileError(path, "a line with no ':' is not an iCalendar property",
                                   number, line[:80].decode("utf-8", "replace"))  # fmt: skip
        name, *param_parts = _split_params(name_part)
        params = {}
        for part in param_parts:
            key, _, val = part.partition(b"=")
            params[key.decode("ascii", "replace").upper()] = val.decode("utf-8", "replace").strip(
                '"'
            )
        charset = params.get("CHARSET", "utf-8")
        try:
            if codecs.lookup(charset).name in _NOT_CHARSETS:
                raise LookupError(charset)
            text = value.decode(charset)
        except (LookupError, ValueError):  # an unknown CHARSET, or bytes not in it
            shown = charset.encode("ascii", "replace").decode()[:40]
            raise ProgramFileError(path, f"is not {shown!r} text", number) from None
        # Some codecs a CHARSET may name (utf-7, unicode_escape) make lone surrogates.
        yield number, (name.decode("ascii", "replace").upper(), params, no_surrogates(text))


def _split_value(line: bytes) -> tuple[bytes, bytes | None]:
    colon = line.find(b":")
    if colon < 0 or b'"' not in line[:colon]:  # no quoted parameter: at C speed
        return (line, None) if colon < 0 else (line[:colon], line[colon + 1 :])
    quoted = False
    for i, byte in enumerate(line):
        if byte == 0x22:  # "
            quoted = not quoted
        elif byte == 0x3A and not quoted:  # :
            return line[:i], line[i + 1 :]
    return line, None


def _split_params(name_part: bytes) -> list[bytes]:
    parts, current, quoted = [], bytearray(), False
    for byte in name_part:
        if byte == 0x22:
            quoted = not quoted
        if byte == 0x3B and not quoted:  # ;
            parts.append(bytes(current))
            current = bytearray()
        else:
            current.append(byte)
    parts.append(bytes(current))
    return parts


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), text)


def _read(data: bytes, path: str, default_zone: str | None) -> tuple[RawConference, list[RawTalk]]:
    raw = RawConference(fmt="iCalendar feed", path=path)
    events: list[tuple[int, dict[str, tuple[dict[str, str], str]]]] = []
    current: dict[str, tuple[dict[str, str], str]] | None = None
    start_line = 0
    for number, (name, params, value) in properties(data, path):
        if name == "BEGIN" and value.upper() == "VEVENT":
            current, start_line = {}, number
        elif name == "END" and value.upper() == "VEVENT" and current is not None:
            events.append((start_line, current))
            check_events(len(events), path)
            current = None
        elif current is not None:
            if name in _READ:  # the others, however many, are not kept
                current.setdefault(name, (params, value))
            elif name == "ATTENDEE" and (person := params.get("CN", "").strip()):
                _attend(current, person)
        elif name in ("X-WR-CALNAME", "X-WR-CALDESC") and not raw.title:
            raw.title = unescape(value).strip() or None
            if name == "X-WR-CALNAME" and raw.title:
                raw.named = f"“{raw.title}”"
        elif name == "X-WR-TIMEZONE":
            raw.zone_name = value.strip() or None
        elif name == "PRODID":  # for the load report: which program wrote the feed
            raw.generator = value.strip() or None
    raw.generator_shown = False  # a PRODID names what wrote the feed, not the feed
    if raw.named is None:  # a feed without a name of its own is named by its file
        raw.base_url = raw.base_url or str(path)
    zones = Counter(p.get("TZID") for e in events for k in ("DTSTART",) if k in e[1]
                    for p in (e[1][k][0],) if p.get("TZID"))  # fmt: skip
    if raw.zone_name is None and zones:
        raw.zone_name = zones.most_common(1)[0][0]
    fallback = raw.zone_name or default_zone
    talks = [_talk(fields, f"line {line}", path, fallback, raw) for line, fields in events]
    multi = sum(1 for t in talks if t.room and "," in t.room)
    if multi:
        raw.warnings.append(f"{multi} event(s) list several rooms in LOCATION; kept as one item")
    generic = sum(1 for _, fields in events if _GENERIC.match(_summary(fields)))
    if generic:
        raw.warnings.append(
            f"{generic} event(s) have a generic SUMMARY ('Main Conference: talk'); their title"
            " is taken from DESCRIPTION"
        )
    return raw, talks


def _attend(fields: dict[str, tuple[dict[str, str], str]], person: str) -> None:
    """A person an event names as an ATTENDEE (its CN): feeds that have no other field
    for speakers name them so (Kieler Linuxtage). Kept one a line, up to one past what
    an event may name, so the limit is said and no more is kept."""
    _, names = fields.get("ATTENDEE", ({}, ""))
    if names.count("\n") <= MAX_PEOPLE:
        fields["ATTENDEE"] = ({}, f"{names}\n{person}" if names else person)


def _value(fields: dict[str, tuple[dict[str, str], str]], name: str) -> str:
    """A property's raw value, '' when the event has none."""
    return fields[name][1] if name in fields else ""


def _summary(fields: dict[str, tuple[dict[str, str], str]]) -> str:
    return unescape(_value(fields, "SUMMARY")).strip()


def _talk(
    fields: dict[str, tuple[dict[str, str], str]], where: str, path: str,
    zone: str | None, raw: RawConference,
) -> RawTalk:  # fmt: skip
    if "DTSTART" not in fields:
        raise ProgramFileError(path, f"{where}: the VEVENT has no DTSTART")
    start = _moment(*fields["DTSTART"], zone, f"{where} DTSTART", path)
    if "DTEND" in fields:
        end = _moment(*fields["DTEND"], zone, f"{where} DTEND", path)
    else:
        end = start + _duration(_value(fields, "DURATION") or "PT0S")
    if end < start:
        raise ProgramFileError(path, f"{where}: the event ends before it starts")
    summary = _summary(fields)
    description = plain_text(unescape(_value(fields, "DESCRIPTION")))
    if description == "No description":
        description = None
    kind = None
    title = summary
    if generic := _GENERIC.match(summary):
        kind = generic["kind"]
        first_line = (description or "").split("\n", 1)[0].strip()
        title = first_line[:200] if first_line else kind.capitalize()
    if not title:
        raise ProgramFileError(path, f"{where}: the VEVENT has no SUMMARY")
    location = unescape(_value(fields, "LOCATION")).strip() or None
    categories = [c.strip() for c in unescape(_value(fields, "CATEGORIES")).split(",")]
    return RawTalk(
        title=title,
        start=start,
        end=end,
        room=location,
        where=where,
        guid=_value(fields, "UID").strip() or None,
        track=categories[0] or None,
        kind=kind,
        labels=tuple(c for c in categories if c),
        abstract=description,
        persons=tuple(_value(fields, "ATTENDEE").split("\n")) if "ATTENDEE" in fields else (),
        url=url(_value(fields, "URL")),
    )


def _moment(
    params: dict[str, str], value: str, zone: str | None, where: str, path: str
) -> datetime:
    text = value.strip()
    try:
        if params.get("VALUE", "").upper() == "DATE" or len(text) == 8:
            moment = datetime.combine(date(int(text[:4]), int(text[4:6]), int(text[6:8])),
                                      datetime.min.time())  # fmt: skip
        else:
            moment = datetime.strptime(text.rstrip("Zz"), "%Y%m%dT%H%M%S")
    except ValueError:
        raise ProgramFileError(path, f"{where}: {text!r} is not an iCalendar time") from None
    if text.endswith(("Z", "z")):
        moment = moment.replace(tzinfo=UTC)
    elif tzid := params.get("TZID"):
        try:
            moment = moment.replace(tzinfo=load_zone(tzid))
        except ValueError:
            raise ProgramFileError(
                path, f"{where}: TZID {tzid!r} is not a zone confbot knows"
            ) from None
    elif zone:
        moment = moment.replace(tzinfo=load_zone(zone))
    if moment.tzinfo is not None and not within_range(moment):
        raise ProgramFileError(path, f"{where}: {text!r} is out of range")
    return moment


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip().upper())
    if not match:
        return timedelta(0)
    if any(len(g or "") > 6 for g in match.groups()):
        return timedelta(0)  # absurd, like an unreadable one
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    length = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return length if length <= LONGEST else timedelta(0)
