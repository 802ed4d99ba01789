"""What reading a program costs grows linearly with the file, whatever words it holds and
however it nests.

    python -m benchmarks.reading [--repeats 3] [--words x wörd 名前]

Every reader the registry lists is fed a file of each shape at a size and at 8 times
that size, and the larger must cost less than 24 times the smaller, the best of a few
reads of each (linear costs at most 8 times, a quadratic step 64): the ratio of two
times measured in the same run. The larger files reach the limits of bot.importer.limits
where reading them is quick: a text (one word, or words) almost as long as a line may be,
nesting as deep as it may be and far past it (refused, in linear time: rooms nested
16,000 deep took 2.7 s, a folded line of 0.9 MB 0.1 s, and both grew as the square).
Event counts go to a sixteenth of their limit, to keep a run under a few seconds;
benchmarks/memory.py reads each format at its limits.

tests/test_reading_grows_linearly.py writes the same files and checks what reading them
gives (read, or refused as nested too deeply), untimed; the times are this module's.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.importer import frab_json, frab_xml, ical, limits
from bot.importer import indico as indico_json
from bot.importer import usenix as usenix_dir
from bot.importer.errors import ProgramFileError
from bot.importer.registry import read_source, reader_for

TIMES = 8  # the larger file is this many times the smaller
BOUND = 3 * TIMES  # linear costs at most TIMES (less: a part of each read is fixed)
EVENTS = limits.MAX_EVENTS // 16  # in the larger file
TEXT = limits.MAX_VALUE * 9 // 10  # bytes of text: a line, folds and all, may be MAX_VALUE
DEEP = limits.MAX_DEPTH - 8  # nesting inside an event: within the limit, with the file's own
PAST = 16_000  # nesting far past the limit (a quarter of the 0.9 MB that took 16 s)
DAY = "2025-12-27"

# A shape is what grows; its writer is given the word and the count of what grows.
SHAPES = {
    "events": EVENTS,  # events of one title (or one key) each naming three people
    "one long word": TEXT,  # a title that is one word of this many bytes
    "words": TEXT,  # an abstract (or description, or title) of words, this many bytes
    "nested": EVENTS // TIMES,  # events, each holding something DEEP levels deep
    "nested past the limit": PAST,  # one thing this deep: refused
}
REFUSED = {"nested past the limit"}
MANY = {"events", "nested"}  # the shapes that grow in events


def title(word: str, shape: str, i: int) -> str:
    return word if shape == "events" else f"{word} {i}"


def repeated(word: str, size: int, between: str = "") -> str:
    """`word` (with `between` after each) repeated to `size` bytes of UTF-8 at least."""
    unit = word + between
    return unit * (size // len(unit.encode()) + 1)


def nest(depth: int, word: str) -> str:
    """JSON text: `word` inside lists and objects `depth` deep (json.dumps would recurse)."""
    opening = "".join("[" if level % 2 else '{"n": ' for level in range(depth))
    closing = "".join("]" if level % 2 else "}" for level in reversed(range(depth)))
    return opening + json.dumps(word) + closing


_NESTED = re.compile(r'"@nested (\d+)@((?:[^"\\]|\\.)*)"')


def nested(depth: int, word: str) -> str:
    """A placeholder that dumps() writes as `word` nested `depth` deep."""
    return f"@nested {depth}@{word}"


def dumps(data: object) -> str:
    """json.dumps, with each nested() placeholder written as what it stands for."""
    return _NESTED.sub(lambda m: nest(int(m[1]), json.loads(f'"{m[2]}"')), json.dumps(data))


# -- frab and pretalx JSON, Indico JSON ---------------------------------------------------


def json_events(word: str, shape: str, n: int) -> list[dict[str, object]]:
    count = n if shape in MANY else 1
    events = []
    for i in range(count):
        event: dict[str, object] = {
            "guid": f"{i:08d}-0000-4000-8000-000000000000", "title": title(word, shape, i),
            "start": f"{DAY}T10:00:00+01:00", "end": f"{DAY}T10:30:00+01:00",
            "room": f"{word} {i % 10}",
            "persons": [{"public_name": f"{word} {j}"} for j in range(3)],
        }  # fmt: skip
        if shape == "one long word":
            event["title"] = repeated(word, n)
        elif shape == "words":
            event["abstract"] = repeated(f"<p>{word} <b>{word}</b></p>", n, "\n")
        elif shape == "nested":
            event["extra"] = nested(DEEP, word)
        elif shape == "nested past the limit":
            event["extra"] = nested(n, word)
        events.append(event)
    return events


def schedule_v2(folder: Path, word: str, shape: str, n: int) -> Path:
    """schedule.json 2.0 (the c3voc hub's): one list of events."""
    conference = {
        "acronym": "lin",
        "title": word,
        "time_zone_name": "Europe/Berlin",
        "days": [{"index": 1, "date": DAY, "start": f"{DAY}T00:00:00+01:00"}],
    }
    data = {"schedule": {"version": "1", "conference": conference,
                         "events": json_events(word, shape, n)}}  # fmt: skip
    (path := folder / "schedule.json").write_text(dumps(data), encoding="utf-8")
    return path


def frab(folder: Path, word: str, shape: str, n: int) -> Path:
    """schedule.json 1.x, as frab and pretalx write it: days, rooms, their events."""
    rooms: dict[str, list[dict[str, object]]] = {}
    for event in json_events(word, shape, n):
        event |= {"id": len(rooms), "date": event.pop("start"), "duration": "00:30"}
        del event["end"]
        rooms.setdefault(str(event["room"]), []).append(event)
    day = {"index": 1, "date": DAY, "day_start": f"{DAY}T00:00:00+01:00", "rooms": rooms}
    data = {"schedule": {"version": "1", "conference": {
        "acronym": "lin", "title": word, "timezone": "Europe/Berlin", "days": [day]}}}  # fmt: skip
    (path := folder / "schedule.json").write_text(dumps(data), encoding="utf-8")
    return path


def indico(folder: Path, word: str, shape: str, n: int) -> Path:
    moment = {"date": DAY, "time": "10:00:00", "tz": "Europe/Zurich"}
    items = []
    for event in json_events(word, shape, n):
        item = {"id": event["guid"], "title": event["title"], "startDate": moment,
                "endDate": moment, "room": event["room"],
                "speakers": [{"fullName": f"{word}, {j}"} for j in range(3)]}  # fmt: skip
        for key, to in (("abstract", "description"), ("extra", "extra")):
            if key in event:
                item[to] = event[key]
        items.append(item)
    data = {"results": [{"_type": "Conference", "title": word, "timezone": "Europe/Zurich",
                         "contributions": items}]}  # fmt: skip
    (path := folder / "indico.json").write_text(dumps(data), encoding="utf-8")
    return path


# -- schedule.xml (frab, pentabarf, FOSDEM) ------------------------------------------------


def xml(folder: Path, word: str, shape: str, n: int) -> Path:
    def event(i: int, text: str = "", more: str = "") -> str:
        return (f"<event guid='{i:08d}-0000-4000-8000-000000000000'>"
                f"<date>{DAY}T10:00:00+01:00</date><duration>00:30</duration>"
                f"<title>{text or title(word, shape, i)}</title><persons>"
                + "".join(f"<person>{word} {j}</person>" for j in range(3))
                + f"</persons>{more}</event>")  # fmt: skip

    if shape == "events":
        body = "".join(f"<room name='{word} {r}'>" + "".join(event(i) for i in range(r, n, 10))
                       + "</room>" for r in range(10))  # fmt: skip
    elif shape == "one long word":
        body = f"<room name='{word}'>{event(0, repeated(word, n))}</room>"
    elif shape == "words":
        abstract = f"<abstract>{repeated(word, n, ' ')}</abstract>"
        body = f"<room name='{word}'>{event(0, more=abstract)}</room>"
    elif shape == "nested":  # rooms nested DEEP deep, an event innermost, n times
        body = "".join(
            "".join(f"<room name='{word}{d}'>" for d in range(DEEP)) + event(i) + "</room>" * DEEP
            for i in range(n)
        )
    else:  # rooms nested n deep (a room inside a room was walked again: quadratic)
        body = (f"<room name='{word}'>{event(0)}</room>" + f"<room name='{word}'>" * n
                + "</room>" * n)  # fmt: skip
    head = f"<schedule><conference><title>{word}</title></conference>"
    (path := folder / "schedule.xml").write_text(
        f"{head}<day date='{DAY}'>{body}</day></schedule>", encoding="utf-8"
    )
    return path


# -- iCalendar ------------------------------------------------------------------------------


def folded(name: str, value: str) -> bytes:
    """One property, folded every 75 octets as the RFC says (a fold may split a letter)."""
    line = f"{name}:{value}".encode()
    return b"\r\n ".join(line[i : i + 74] for i in range(0, len(line), 74)) + b"\r\n"


def ics(folder: Path, word: str, shape: str, n: int) -> Path:
    def vevent(i: int, more: bytes = b"", summary: str = "") -> bytes:
        return (f"BEGIN:VEVENT\r\nUID:{i}@lin\r\nDTSTART:20251227T100000Z\r\n"
                f"DTEND:20251227T103000Z\r\nLOCATION:{word} {i % 10}\r\n").encode() + folded(
            "SUMMARY", summary or title(word, shape, i)) + more + b"END:VEVENT\r\n"  # fmt: skip

    def components(depth: int) -> bytes:  # an alarm inside an alarm...: not read
        return b"BEGIN:VALARM\r\n" * depth + b"END:VALARM\r\n" * depth

    if shape == "events":
        body = b"".join(vevent(i) for i in range(n))
    elif shape == "one long word":
        body = vevent(0, summary=repeated(word, n))
    elif shape == "words":
        body = vevent(0, folded("DESCRIPTION", repeated(word, n, " ")))
    elif shape == "nested":
        body = b"".join(vevent(i, components(DEEP)) for i in range(n))
    else:
        body = vevent(0, components(n))
    (path := folder / "feed.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Berlin\r\n" + body + b"END:VCALENDAR\r\n"
    )
    return path


# -- a USENIX table of contents and its schedule.json (the bundled OSDI seeds) -------------


def usenix(folder: Path, word: str, shape: str, n: int) -> Path:
    word = f"W{word}"  # a line of digits alone would read as a page number
    count = n if shape in MANY else 1
    # Titles must differ here (they match the two files): one slug, the first six words.
    prefix = f"{word} " * 6 if shape == "events" else ""
    titles = [f"{prefix}{word} {i}" for i in range(count)]
    if shape == "one long word":
        titles = [repeated(word, n)]
    elif shape == "words":
        titles = [repeated(word, n, " ").strip()]
    toc = ["Saturday, December 27"]
    sessions = []
    for s in range(0, count, 10):
        toc += ["", f"{prefix}{word} session {s} here"]
        papers = []
        for text in titles[s : s + 10]:
            toc += ["", f"{text} {s + 1}", f"{word} Author, *{word} University*"]
            papers.append({"title": text, "start": f"{DAY}T10:00", "end": f"{DAY}T10:20",
                           "time_basis": "published"})  # fmt: skip
            if shape == "nested":
                papers[-1]["extra"] = nested(DEEP, word)
            elif shape == "nested past the limit":
                papers[-1]["extra"] = nested(n, word)
        sessions.append({"day": DAY, "title": f"{prefix}{word} session {s} here",
                         "start": f"{DAY}T10:00",
                         "end": f"{DAY}T12:00", "room": word, "papers": papers,
                         "time_basis": "derived"})  # fmt: skip
    conference = {"name": word, "timezone": "Europe/Berlin", "start_date": DAY, "end_date": DAY}
    directory = folder / "usenix"
    directory.mkdir()
    (directory / "program.txt").write_text("\n".join(toc) + "\n", encoding="utf-8")
    schedule = {"conference": conference, "events": [], "sessions": sessions}
    (directory / "schedule.json").write_text(dumps(schedule), encoding="utf-8")
    return directory


# -- the property ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    write: Callable[[Path, str, str, int], Path]  # into a folder: word, shape, count
    reader: object  # the registry's reader that must claim it
    nests: bool = True  # iCalendar does not: BEGIN inside BEGIN is read as flat lines


FORMATS = [
    Format("schedule.json 2.0", schedule_v2, frab_json.READER),
    Format("frab/pretalx schedule.json", frab, frab_json.READER),
    Format("Indico JSON", indico, indico_json.READER),
    Format("schedule.xml", xml, frab_xml.READER),
    Format("iCalendar", ics, ical.READER, nests=False),
    Format("USENIX toc and schedule.json", usenix, usenix_dir.READER),
]


def outcome(path: Path) -> str:
    """What reading a file gives: 'read', or the refusal's reason."""
    try:
        read_source(path, "Europe/Berlin")
    except ProgramFileError as exc:
        return exc.reason
    return "read"


def cost(path: Path, repeats: int) -> float:
    """The best time of `repeats` reads: what the read costs, less what other processes
    took."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        outcome(path)
        best = min(best, time.perf_counter() - started)
    return best


def sizes(form: Format) -> list[tuple[str, int, int]]:
    """(shape, small count, large count) of each shape the format is fed."""
    return [(shape, large // TIMES, large) for shape, large in SHAPES.items()
            if form.nests or shape not in REFUSED]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Growth:
    form: str
    shape: str
    small_s: float
    large_s: float

    @property
    def ratio(self) -> float:
        return self.large_s / self.small_s


def growths(word: str, folder: Path, repeats: int) -> list[Growth]:
    """Each format's cost of each shape, small and large, read `repeats` times each."""
    found = []
    for form in FORMATS:
        for shape, small, large in sizes(form):
            paths = []
            for n in (small, large):
                (place := folder / f"{form.write.__name__}-{shape}-{n}").mkdir()
                paths.append(form.write(place, word, shape, n))
            assert reader_for(paths[1]) is form.reader, (form.name, shape)
            found.append(Growth(form.name, shape, cost(paths[0], repeats),
                                cost(paths[1], repeats)))  # fmt: skip
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="reads of each file (the best)")
    parser.add_argument("--words", nargs="+", default=["x", "wörd", "名前"])
    args = parser.parse_args(argv)
    print(f"reading benchmark · {platform.machine()} · Python {platform.python_version()}")
    print(f"  {'format':<30} {'shape':<22} {'small ms':>9} {'large ms':>9}  ratio ({TIMES}x the"
          f" file; target under {BOUND}x)")  # fmt: skip
    worst = 0.0
    for word in args.words:
        print(f"word {word!r}")
        with tempfile.TemporaryDirectory(prefix="confbot-reading-") as folder:
            for g in growths(word, Path(folder), args.repeats):
                worst = max(worst, g.ratio)
                print(f"  {g.form:<30} {g.shape:<22} {g.small_s * 1000:>9.1f}"
                      f" {g.large_s * 1000:>9.1f}  {g.ratio:>5.1f}x")  # fmt: skip
    print(f"worst ratio {worst:.1f}x: {'under' if worst < BOUND else 'OVER'} the {BOUND}x target")
    return 0 if worst < BOUND else 1


if __name__ == "__main__":
    raise SystemExit(main())
