"""What every community format shares: from plain talks to a Program, with a report.

The frab/pretalx JSON, frab/FOSDEM XML, iCalendar and Indico readers each turn their file
into RawTalks and a RawConference; this module does the rest the same way for all of
them: choose the time zone (and say why), file talks under program days, make stable
keys, group each room's day into a room block (these programs have no sessions), and
collect warnings for the load report.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.importer.breaks import break_kind
from bot.importer.errors import ProgramFileError
from bot.importer.limits import MAX_EVENTS, MAX_PEOPLE, MAX_TITLE
from bot.importer.report import Loaded, LoadReport
from bot.model import (
    Authorship,
    Conference,
    Event,
    ItemNoun,
    Link,
    Program,
    Provenance,
    Session,
    SessionKind,
    Slot,
    Talk,
    TimeBasis,
    load_zone,
)
from bot.normalize import match_key, slug, spelling_key, without_invisible

# Zones with daylight-saving rules, tried in order when a file gives offsets but no zone:
# the first whose offsets match every time in the file shows each time as it was meant.
_RULE_ZONES = ("CET", "EET", "WET", "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT")
_KEY_CHARS = re.compile(r"^[-\w]+$", re.ASCII)
NO_ROOM = "No room given"


@dataclass(frozen=True, slots=True)
class RawTalk:
    """One item as a format reader found it. `start` is aware (the file's offset) or
    naive (wall time in the conference's zone, once that is known)."""

    title: str
    start: datetime
    end: datetime
    room: str | None
    where: str  # for messages: 'day 2, room Ada, event 4' or 'line 120'
    guid: str | None = None
    id: str | None = None
    day: date | None = None  # the program day the file files it under, if it says
    subtitle: str | None = None
    track: str | None = None
    kind: str | None = None
    language: str | None = None
    abstract: str | None = None
    persons: tuple[str, ...] = ()
    # What else the format says the item is, beside `kind` (iCalendar's CATEGORIES,
    # Indico's entry type): read only to tell a break from a talk (bot.importer.breaks).
    labels: tuple[str, ...] = ()
    # Where a format gives them (Indico): each person's affiliation, by name.
    affiliations: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    links: tuple[Link, ...] = ()
    do_not_record: bool = False


@dataclass(frozen=True, slots=True)
class DayInfo:
    """A program day as the file declares it: its date, and when it starts if it says."""

    date: date
    start: datetime | None = None


@dataclass
class RawConference:
    fmt: str  # 'frab schedule.json', 'FOSDEM schedule.xml', ...
    path: str
    title: str | None = None
    acronym: str | None = None
    zone_name: str | None = None
    start: date | None = None
    end: date | None = None
    venue: str | None = None
    city: str | None = None
    generator: str | None = None
    # Whether the generator names the program for /about: an iCalendar PRODID such as
    # '-//hacksw/handcal//NONSGML v1.0//EN' names the program that wrote the feed, not
    # the feed, which is named by its own name ('“Journées”') or its file instead.
    generator_shown: bool = True
    named: str | None = None
    version: str | None = None
    base_url: str | None = None
    days: list[DayInfo] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)  # every room the file lists, used or not
    warnings: list[str] = field(default_factory=list)


def build(raw: RawConference, found: Sequence[RawTalk], default_zone: str | None) -> Loaded:
    """The Program and its report. Raises ProgramFileError when nothing sensible can be
    made of it (no talks, no zone at all)."""
    if not found:
        raise ProgramFileError(raw.path, f"holds no events to show (read as {raw.fmt})")
    check_events(len(found), raw.path)
    warnings = list(raw.warnings)
    found = _cut(found, raw.path, warnings)
    found, raw = _one_spelling_per_room(found, raw, warnings)
    zone, zone_reason = _zone(raw, found, default_zone, warnings)
    placed = [_placed(t, zone) for t in found]
    days = _program_days(raw, placed, zone, warnings)
    keys = _keys([t for t, _, _ in placed], warnings)
    conference = _conference(raw, zone, days)
    placed, keys, days, events = _other_events(placed, keys, days)
    talks = _talks(placed, keys, days)
    sessions, talks = _grouped(talks, days)
    warnings += _overlaps(talks) + _gaps(raw, talks, events)
    conference = dataclasses.replace(conference, empty_rooms=_empty_rooms(raw, talks))
    report = LoadReport(
        path=raw.path,
        fmt=raw.fmt,
        generator=raw.generator,
        version=raw.version,
        zone=conference.timezone,
        zone_reason=zone_reason,
        rooms_listed=len(set(raw.rooms) | _rooms_used(talks, events)),
        warnings=tuple(warnings),
    )
    return Loaded(Program(conference, tuple(sessions), tuple(talks), tuple(events)), report)


Placed = tuple[RawTalk, datetime, datetime]


def _other_events(
    placed: Sequence[Placed], keys: Sequence[str], days: Sequence[date]
) -> tuple[list[Placed], list[str], list[date], list[Event]]:
    """The talks (with their keys and days) and the breaks, meals, registration and
    posters set apart as other events: those get no Q&A thread, no announcement and no
    /paper answer, and /next and /schedule show them for what they are. Keys are made
    over every item first, so a talk keeps its key whatever its neighbours turn out to be."""
    kept: tuple[list[Placed], list[str], list[date]] = ([], [], [])
    events = []
    for item, key, day in zip(placed, keys, days, strict=True):
        talk, start, end = item
        people = any(p.strip() for p in talk.persons)
        kind = break_kind(talk.title, (talk.kind, *talk.labels), people)
        if kind is None:
            kept[0].append(item)
            kept[1].append(key)
            kept[2].append(day)
        else:
            slot = Slot(start, end, TimeBasis.PUBLISHED, talk.room)
            events.append(Event(key, talk.title, kind.value, slot, url=talk.url))
    events.sort(key=lambda e: (e.slot.start, e.slot.end, e.slot.room or "", e.title))
    return (*kept, events)


def _rooms_used(talks: Sequence[Talk], events: Sequence[Event]) -> set[str]:
    slots = [t.slot for t in talks] + [e.slot for e in events]
    return {slot.room for slot in slots if slot.room}


def check_events(count: int, path: str) -> None:
    """Readers call this as they go, so a file of a million events stops at the limit
    instead of building them all (see bot.importer.limits)."""
    if count > MAX_EVENTS:
        raise ProgramFileError(
            path, f"holds more than {MAX_EVENTS:,} events; a program may hold {MAX_EVENTS:,}"
        )


_ONE_LINE = ("title", "subtitle", "room", "track", "kind", "language")


def _visible(talk: RawTalk) -> RawTalk:
    """A talk's one-line texts and names without invisible formatting characters (see
    bot.normalize.without_invisible): what people see is what they can type."""
    changes: dict[str, object] = {}
    for name in _ONE_LINE:
        value = getattr(talk, name)
        if value is not None and (shown := without_invisible(value)) != value:
            changes[name] = shown.strip() or None
    persons = tuple(p for name in talk.persons if (p := without_invisible(name).strip()))
    if persons != talk.persons:
        changes["persons"] = persons
    if "title" in changes and not changes["title"]:
        changes["title"] = talk.title  # nothing visible: kept as written, not lost
    return dataclasses.replace(talk, **changes) if changes else talk  # type: ignore[arg-type]


def _cut(talks: Sequence[RawTalk], path: str, warnings: list[str]) -> Sequence[RawTalk]:
    """Titles, rooms, tracks and names without invisible characters, and cut at MAX_TITLE
    characters (the report says how many); an event naming more than MAX_PEOPLE people
    refused."""
    cut = 0
    kept: list[RawTalk] = []
    for talk in talks:
        if len(talk.persons) > MAX_PEOPLE:
            raise ProgramFileError(
                path, f"{talk.where}: names {len(talk.persons):,} people; an event may name"
                f" {MAX_PEOPLE} at most",
            )  # fmt: skip
        talk = _visible(talk)
        changes: dict[str, object] = {}
        for name in _ONE_LINE:
            value = getattr(talk, name)
            if value is not None and len(value) > MAX_TITLE:
                changes[name] = value[:MAX_TITLE]
        if any(len(p) > MAX_TITLE for p in talk.persons):
            changes["persons"] = tuple(p[:MAX_TITLE] for p in talk.persons)
        if changes:
            cut += 1
            talk = dataclasses.replace(talk, **changes)  # type: ignore[arg-type]
        kept.append(talk)
    if cut:
        warnings.append(
            f"{cut} event(s) have a title, room, track or name longer than {MAX_TITLE}"
            f" characters; cut to {MAX_TITLE}"
        )
    return kept


def _one_spelling_per_room(
    talks: Sequence[RawTalk], raw: RawConference, warnings: list[str]
) -> tuple[Sequence[RawTalk], RawConference]:
    """Rooms spelled several ways that differ only by accents, case or spacing ('Salle
    Étoile' and 'Salle Etoile') are one room: each is given its most common spelling
    (the first in the file on a tie), so /schedule, /session and the room channels see
    one room, not two. The report says which were folded."""
    counts = Counter(t.room for t in talks if t.room)
    counts.update(room for room in raw.rooms if room not in counts)  # listed, never used
    spellings: dict[str, list[str]] = {}
    for room, _ in counts.most_common():  # most used first; ties in file order
        spellings.setdefault(spelling_key(room), []).append(room)
    chosen = {room: names[0] for names in spellings.values() for room in names}
    folded = [names for names in spellings.values() if len(names) > 1]
    if not folded:
        return talks, raw
    shown = "; ".join(" = ".join(repr(n) for n in names) for names in folded[:3])
    more = " ..." if len(folded) > 3 else ""
    warnings.append(
        f"{len(folded)} room(s) are spelled more than one way ({shown}{more}); each is shown"
        " as its most common spelling"
    )
    talks = [t if t.room is None or chosen[t.room] == t.room
             else dataclasses.replace(t, room=chosen[t.room]) for t in talks]  # fmt: skip
    rooms = list(dict.fromkeys(chosen[room] for room in raw.rooms))
    return talks, dataclasses.replace(raw, rooms=rooms)


def _talks(
    placed: Sequence[tuple[RawTalk, datetime, datetime]], keys: Sequence[str], days: Sequence[date]
) -> list[Talk]:
    """One model item per talk, in its room's block for its day (split later if need be)."""
    person_keys: dict[str, str] = {}  # one name appears on many talks: fold it once
    block_keys: dict[tuple[date, str], str] = {}  # and one room holds many talks a day
    talks = []
    for (talk, start, end), key, day in zip(placed, keys, days, strict=True):
        room = talk.room or NO_ROOM
        if (day, room) not in block_keys:
            block_keys[day, room] = f"{day.isoformat()}-{slug(room, 6) or 'room'}"
        people = dict.fromkeys(p for p in talk.persons if p)
        affiliation = dict(talk.affiliations)
        talks.append(
            Talk(
                key=key,
                title=talk.title,
                page=None,
                session_key=block_keys[day, room],
                slot=Slot(start, end, TimeBasis.PUBLISHED, talk.room),
                url=talk.url,
                award=None,
                authors=tuple(
                    Authorship(_person_key(name, person_keys), name, affiliation.get(name))
                    for name in people
                ),
                subtitle=talk.subtitle,
                track=talk.track,
                kind=talk.kind,
                language=talk.language,
                abstract=talk.abstract,
                links=talk.links,
                do_not_record=talk.do_not_record,
            )
        )
    return talks


def _grouped(talks: list[Talk], days: Sequence[date]) -> tuple[list[Session], list[Talk]]:
    """Room blocks, and the papers pointing at theirs, in program order."""
    blocks: dict[tuple[date, str], list[Talk]] = {}
    for talk, day in zip(talks, days, strict=True):
        blocks.setdefault((day, talk.slot.room or NO_ROOM), []).append(talk)
    sessions, block_of = _room_blocks(blocks)
    moved = [
        p
        if block_of[p.key] == p.session_key
        else dataclasses.replace(p, session_key=block_of[p.key])
        for p in talks
    ]
    order = {s.key: i for i, s in enumerate(sessions)}
    moved.sort(key=lambda p: (order[p.session_key], p.slot.start, p.slot.end, p.title))
    return sessions, moved


def _empty_rooms(raw: RawConference, talks: Sequence[Talk]) -> tuple[str, ...]:
    """The rooms the file lists that no talk is in."""
    used = {p.slot.room for p in talks}
    return tuple(sorted(set(raw.rooms) - used))


def _conference(raw: RawConference, zone: ZoneInfo, days: Sequence[date]) -> Conference:
    first_day = min(min(days), raw.start) if raw.start else min(days)
    last_day = max(max(days), raw.end) if raw.end else max(days)
    name = raw.title or raw.acronym or "Conference"
    return Conference(
        key=slug(raw.acronym or name, 4) or "conference",
        name=name,
        full_name=name,
        timezone=zone_name_of(zone),
        venue=raw.venue,
        location=raw.city,
        start_date=first_day,
        end_date=last_day,
        item_noun=ItemNoun.TALK,
        provenance=Provenance(
            raw.fmt,
            raw.generator if raw.generator_shown else None,
            raw.named,
            raw.version,
            raw.base_url,
        ),
    )


def _gaps(raw: RawConference, talks: Sequence[Talk], events: Sequence[Event]) -> list[str]:
    """Talks that name no speaker, rooms the file lists but never uses."""
    found = []
    if silent := sum(1 for p in talks if not p.authors):
        found.append(f"{silent} talk(s) name no speaker")
    used = _rooms_used(talks, events)
    if empty := sorted(set(raw.rooms) - used):
        shown = ", ".join(empty[:5]) + (" ..." if len(empty) > 5 else "")
        found.append(f"{len(empty)} room(s) listed with no events: {shown}")
    return found


def _person_key(name: str, known: dict[str, str]) -> str:
    if name not in known:
        known[name] = match_key(name) or slug(name, 4) or "person"
    return known[name]


def zone_name_of(zone: tzinfo) -> str:
    return zone.key if isinstance(zone, ZoneInfo) else str(zone)


# -- time zone --------------------------------------------------------------------------


def _zone(
    raw: RawConference, talks: Sequence[RawTalk], default: str | None, warnings: list[str]
) -> tuple[ZoneInfo, str]:
    aware = [t.start for t in talks if t.start.tzinfo is not None]
    if raw.zone_name:
        try:
            zone = load_zone(raw.zone_name)
        except ValueError as exc:
            warnings.append(f"the file names the zone {raw.zone_name!r}, but {exc}")
        else:
            _check_declared(zone, aware, warnings)
            return zone, "declared in the file"
    if default:
        zone = load_zone(default)
        _check_declared(zone, aware, warnings)
        return zone, "from CONFBOT_TIMEZONE (or load --timezone)"
    if not aware:
        raise ProgramFileError(
            raw.path,
            "names no time zone and its times carry no offset, so when its talks happen is"
            " unknown; set CONFBOT_TIMEZONE (or load --timezone) to the conference's zone,"
            " such as Europe/Berlin",
        )
    offsets = Counter(_offset_text(t) for t in aware)
    for name in _RULE_ZONES + _fixed_zones(aware[0]):
        zone = ZoneInfo(name)
        if all(t.utcoffset() == t.astimezone(zone).utcoffset() for t in aware):
            seen = ", ".join(sorted(offsets))
            return zone, (
                f"inferred: the file names no zone, and {name} matches every offset in it"
                f" ({seen}); set CONFBOT_TIMEZONE to name the real one"
            )
    raise ProgramFileError(
        raw.path,
        f"names no time zone and its offsets ({', '.join(sorted(offsets))}) fit no single"
        " zone; set CONFBOT_TIMEZONE (or load --timezone) to the conference's zone",
    )


def _check_declared(zone: ZoneInfo, aware: Sequence[datetime], warnings: list[str]) -> None:
    other = [t for t in aware if t.utcoffset() != t.astimezone(zone).utcoffset()]
    if other:
        offsets = ", ".join(sorted({_offset_text(t) for t in other}))
        warnings.append(
            f"the zone is {zone.key}, but {len(other)} of {len(aware)} times carry other"
            f" offsets ({offsets}); the instants are kept as written and shown in {zone.key}"
        )


def _fixed_zones(sample: datetime) -> tuple[str, ...]:
    offset = sample.utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest:
        return ()
    return (f"Etc/GMT{-hours:+d}" if hours else "Etc/UTC",)  # Etc/GMT signs are inverted


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _placed(talk: RawTalk, zone: ZoneInfo) -> tuple[RawTalk, datetime, datetime]:
    start = talk.start if talk.start.tzinfo else talk.start.replace(tzinfo=zone)
    end = talk.end if talk.end.tzinfo else talk.end.replace(tzinfo=zone)
    return talk, start, end


# -- days, keys, blocks -----------------------------------------------------------------


def _program_days(
    raw: RawConference,
    placed: Sequence[tuple[RawTalk, datetime, datetime]],
    zone: ZoneInfo,
    warnings: list[str],
) -> list[date]:
    """The day each talk is filed under for /schedule: the local date its day starts on
    (so talks after midnight stay on their evening), else the local date it starts."""
    declared = {d.date: d for d in raw.days}
    corrected: dict[date, date] = {}
    for info in raw.days:
        if info.start is None:
            continue
        local = info.start.astimezone(zone).date()
        if local != info.date:
            corrected[info.date] = local
    if corrected:
        example = next(iter(corrected.items()))
        warnings.append(
            f"{len(corrected)} day(s) are dated differently from when they start in"
            f" {zone.key} (day {example[0]} starts on {example[1]}); each is filed under the"
            " date it starts on"
        )
    days = []
    after_midnight = 0
    for talk, start, _ in placed:
        local = start.astimezone(zone).date()
        if talk.day is not None and talk.day in declared:
            day = corrected.get(talk.day, talk.day)
        else:
            day = local
        if local > day:
            after_midnight += 1
        days.append(day)
    if after_midnight:
        warnings.append(
            f"{after_midnight} talk(s) start after midnight: /schedule keeps them on the day"
            " they are filed under, /next uses their real time"
        )
    return days


def _keys(talks: Sequence[RawTalk], warnings: list[str]) -> list[str]:
    """Stable keys: the guid, else the id, else a hash of title and start. A key seen
    again gets '-2', '-3' in file order, with a warning, so re-imports agree."""
    keys = []
    seen: Counter[str] = Counter()
    repeated: list[str] = []
    for talk in talks:
        if talk.guid:
            base = talk.guid if _KEY_CHARS.match(talk.guid) else _safe(talk.guid)
        elif talk.id:
            base = f"id-{talk.id}" if _KEY_CHARS.match(talk.id) else f"id-{_safe(talk.id)}"
        else:
            digest = hashlib.sha1(f"{talk.title}\0{talk.start.isoformat()}".encode())
            base = f"h-{digest.hexdigest()[:12]}"
        seen[base] += 1
        if seen[base] > 1:
            repeated.append(f"{base} ({talk.where})")
            base = f"{base}-{seen[base]}"
        keys.append(base)
    if repeated:
        warnings.append(
            f"{len(repeated)} event(s) repeat a guid or id; kept, numbered in file order:"
            f" {', '.join(repeated[:3])}{' ...' if len(repeated) > 3 else ''}"
        )
    return keys


def _safe(text: str) -> str:
    """A key Discord custom ids and our references accept: base64 guids map one to one
    onto the URL-safe alphabet; anything else is hashed."""
    mapped = text.replace("+", "-").replace("/", "_").rstrip("=")
    if _KEY_CHARS.match(mapped):
        return mapped
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _room_blocks(
    blocks: dict[tuple[date, str], list[Talk]],
) -> tuple[list[Session], dict[str, str]]:
    """One block per room and day; where a room hosts one track after another (FOSDEM's
    devrooms), one block per track run, so /session finds 'LLVM' as its own block.
    Returns the blocks and, for each paper, the key of the block it is in."""
    sessions = []
    block_of: dict[str, str] = {}
    used: Counter[str] = Counter()
    for (day, room), talks in sorted(blocks.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        talks.sort(key=lambda p: (p.slot.start, p.slot.end, p.title))
        for run in _track_runs(talks):
            tracks = {p.track for p in run}
            track = tracks.pop() if len(tracks) == 1 else None
            slot = Slot(min(p.slot.start for p in run), max(p.slot.end for p in run),
                        TimeBasis.PUBLISHED, None if room == NO_ROOM else room)  # fmt: skip
            key = run[0].session_key
            if len(run) < len(talks):
                key = f"{key}-{slug(track or 'mixed', 4) or 'track'}"
            used[key] += 1
            if used[key] > 1:
                key = f"{key}-{used[key]}"
            block_of.update((p.key, key) for p in run)
            sessions.append(
                Session(
                    key=key,
                    title=f"{track or room}, {day:%A}",
                    day=day,
                    slot=slot,
                    chairs=(),
                    talk_keys=tuple(p.key for p in run),
                    track=track,
                    kind=SessionKind.ROOM_BLOCK,
                )
            )
    sessions = _distinct_titles(sessions)
    sessions.sort(key=lambda s: (s.day, s.slot.start, s.title))
    return sessions, block_of


def _distinct_titles(sessions: list[Session]) -> list[Session]:
    """A track in two rooms on one day ('FOSDEM Junior' in UD6.203 and UD6.205) would
    give two blocks one title: name the room in those."""
    seen = Counter((s.day, s.title) for s in sessions)
    return [
        dataclasses.replace(s, title=f"{s.track} ({s.slot.room}), {s.day:%A}")
        if seen[(s.day, s.title)] > 1 and s.track and s.slot.room
        else s
        for s in sessions
    ]


def _track_runs(talks: list[Talk]) -> list[list[Talk]]:
    """Consecutive talks of one track; kept as one run unless the runs are long (three
    talks or more on average): a room of mixed tracks stays one block."""
    runs: list[list[Talk]] = []
    for talk in talks:
        if runs and runs[-1][-1].track == talk.track:
            runs[-1].append(talk)
        else:
            runs.append([talk])
    if len(runs) > 1 and len(talks) / len(runs) >= 3:
        return runs
    return [talks]


def _overlaps(talks: Sequence[Talk]) -> list[str]:
    by_room: dict[str, list[Talk]] = {}
    for talk in talks:
        if talk.slot.room:
            by_room.setdefault(talk.slot.room, []).append(talk)
    clashes = []
    for room, items in by_room.items():
        items = sorted(items, key=lambda p: p.slot.start)
        for before, after in itertools.pairwise(items):
            if after.slot.start < before.slot.end:
                clashes.append(f"{before.title!r} and {after.title!r} in {room}")
    if not clashes:
        return []
    more = f" and {len(clashes) - 2} more" if len(clashes) > 2 else ""
    return [f"{len(clashes)} same-room overlap(s): {'; '.join(clashes[:2])}{more}"]
