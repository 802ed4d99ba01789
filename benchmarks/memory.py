"""Peak memory of reading the costliest program file each reader accepts.

    python -m benchmarks.memory [--scale 1.0]

Any server's organiser can add a program by address, so a file is shaped to cost the
most within bot.importer.limits: the most values a JSON file may hold, the most XML
elements or iCalendar lines, the most events (with the most people the value count
allows), one text filling the 50 MB byte cap. A few files over a limit are listed too,
with what their refusal cost. Each file is read by read_source in a fresh Python process,
which reports its peak resident memory (VmHWM), and again in another by the plain parse a
program would otherwise use (json.loads, ElementTree.parse, bytes.splitlines): the
baselines, in the same run, are a process that only imported the readers, and that plain
parse of the same bytes. `--scale` shrinks every count and size (the harness test runs
0.001).

In a third process the file is read as the bot reads a program, in a worker thread
(asyncio.to_thread, with favour_the_loop) while the event loop ticks every 1 ms, and
the longest stall of the loop is reported twice: the read alone, and the read while a
smaller program's read (400 events) starts just before it and ends during it, as when two
servers add programs at once or a sync ends during an add.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.synth import write_program
from bot.importer import limits

DAY = "2025-12-27"


@dataclass(frozen=True, slots=True)
class Shape:
    reader: str
    what: str
    write: Callable[[Path, float], Path]  # into a folder, at a scale; the path to read
    plain: str  # the plain parse of the same bytes: a key of PLAIN
    accepted: bool = True


def _scaled(count: int, scale: float, least: int = 1) -> int:
    return max(least, int(count * scale))


def _v2(events: list[dict[str, object]]) -> dict[str, object]:
    return {"schedule": {"version": "1", "conference": {
        "acronym": "mem", "title": "Memory", "time_zone_name": "Europe/Berlin",
        "days": [{"index": 1, "date": DAY, "start": f"{DAY}T00:00:00+01:00"}]},
        "events": events}}  # fmt: skip


def _event(n: int, **extra: object) -> dict[str, object]:
    return {"guid": f"{n:08d}-0000-4000-8000-000000000000", "title": f"Talk {n}",
            "start": f"{DAY}T10:00:00+01:00", "end": f"{DAY}T10:30:00+01:00",
            "room": f"Room {n % 20}", **extra}  # fmt: skip


def _write_json(folder: Path, data: object) -> Path:
    path = folder / "schedule.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _json_values(folder: Path, scale: float) -> Path:
    """One event whose links are as many empty objects as the value limit allows (each
    is counted twice: it opens a container and follows a comma)."""
    links = _scaled(limits.MAX_JSON_VALUES, scale) // 2 - 40
    return _write_json(folder, _v2([_event(0, links=[{}] * links)]))


def _json_events(folder: Path, scale: float) -> Path:
    """The most events, each naming as many people as the value limit leaves room for."""
    count = _scaled(limits.MAX_EVENTS, scale)
    people = max(1, (limits.MAX_JSON_VALUES // limits.MAX_EVENTS - 12) // 2)
    return _write_json(folder, _v2([
        _event(n, participants=[{"name": f"Person {n}-{p}"} for p in range(people)])
        for n in range(count)]))  # fmt: skip


def _json_abstract(folder: Path, scale: float) -> Path:
    """One event whose abstract fills the byte cap."""
    size = _scaled(limits.MAX_BYTES, scale, 1000) - 1000
    return _write_json(folder, _v2([_event(0, abstract="<p>" + "word " * (size // 5))]))


def _json_longest_text(folder: Path, scale: float) -> Path:
    """One event whose abstract is as long as a JSON text may be written."""
    size = _scaled(limits.MAX_JSON_TEXT, scale, 1000) - 10
    return _write_json(folder, _v2([_event(0, abstract="<p>" + "word " * (size // 5))]))


def _json_escapes(folder: Path, scale: float) -> Path:
    """One title of \\u escapes filling the byte cap (six bytes a letter)."""
    size = _scaled(limits.MAX_BYTES, scale, 1000) - 1000
    path = _write_json(folder, _v2([_event(0, title="@")]))
    text = path.read_text(encoding="utf-8").replace('"@"', '"' + "\\u00e9" * (size // 6) + '"')
    path.write_text(text, encoding="utf-8")
    return path


def _json_small_objects(folder: Path, scale: float) -> Path:
    """48 MB of empty objects (took 1.37 GB before they were counted): refused."""
    size = _scaled(48_000_000, scale, 30)
    return _write_json(folder, _v2([_event(0, links=[{}] * (size // 4))]))


def _json_nested(folder: Path, scale: float) -> Path:
    """As many events as the value limit allows, each holding objects and lists nested
    as deep as the depth limit leaves room for (the event itself is 4 levels down)."""
    inner: object = {"a": 1}
    for _ in range((limits.MAX_DEPTH - 6) // 2):
        inner = {"x": [inner]}
    count = _scaled(min(limits.MAX_EVENTS, limits.MAX_JSON_VALUES // (limits.MAX_DEPTH + 14)),
                    scale)  # fmt: skip
    return _write_json(folder, _v2([_event(n, extra=inner) for n in range(count)]))


def _indico_events(folder: Path, scale: float) -> Path:
    count = _scaled(limits.MAX_EVENTS, scale)
    moment = {"date": DAY, "time": "10:00:00", "tz": "Europe/Zurich"}
    people = max(1, (limits.MAX_JSON_VALUES // limits.MAX_EVENTS - 16) // 3)
    data = {"results": [{"_type": "Conference", "title": "Memory", "timezone": "Europe/Zurich",
                         "contributions": [
        {"id": str(n), "title": f"Talk {n}", "startDate": moment, "endDate": moment,
         "speakers": [{"fullName": f"Person, {n}-{p}", "affiliation": "X"}
                      for p in range(people)]}
        for n in range(count)]}]}  # fmt: skip
    path = folder / "indico.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


_XML_EVENT = ("<event guid='{n:08d}-0000-4000-8000-000000000000'><date>{day}T10:00:00+01:00"
              "</date><duration>00:30</duration><title>Talk {n}</title>{more}</event>")  # fmt: skip


def _write_xml(folder: Path, events: str, rooms: int = 1) -> Path:
    path = folder / "schedule.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"<schedule><conference><title>Memory</title><time_zone_name>Europe/Berlin"
                  f"</time_zone_name></conference><day date='{DAY}'>")  # fmt: skip
        out.write(f"<room name='Hall'>{events}</room>")
        out.write("</day></schedule>")
    return path


def _xml_elements(folder: Path, scale: float) -> Path:
    """One event holding as many empty elements as the element limit allows."""
    count = _scaled(limits.MAX_XML_ELEMENTS, scale) - 20
    return _write_xml(folder, _XML_EVENT.format(n=0, day=DAY, more="<x/>" * count))


def _xml_events(folder: Path, scale: float) -> Path:
    count = _scaled(limits.MAX_EVENTS, scale)
    people = max(1, limits.MAX_XML_ELEMENTS // limits.MAX_EVENTS - 8)
    more = "<persons>" + "".join(f"<person>Person {p}</person>" for p in range(people))
    more += "</persons>"
    return _write_xml(folder, "".join(_XML_EVENT.format(n=n, day=DAY, more=more)
                                      for n in range(count)))  # fmt: skip


def _xml_nested(folder: Path, scale: float) -> Path:
    """The most events, each in rooms nested as deep as the depth limit leaves room
    for (a room inside a room was once walked again), with people up to the element
    limit, which counts attributes too (each room's name): fewer events than the event
    limit fit."""
    depth = limits.MAX_DEPTH - 7  # inside schedule, day and the outer room; then the event's 3
    per_event = 2 * depth + 7  # rooms and their names; the event, its guid, 4 children, 1 person
    count = min(_scaled(limits.MAX_EVENTS, scale), _scaled(limits.MAX_XML_ELEMENTS, scale)
                // per_event - 1)  # fmt: skip
    people = max(1, limits.MAX_XML_ELEMENTS // limits.MAX_EVENTS - 2 * depth - 8)
    more = "<persons>" + "<person>Person</person>" * people + "</persons>"
    return _write_xml(folder, "".join(
        "<room name='Inner'>" * depth + _XML_EVENT.format(n=n, day=DAY, more=more)
        + "</room>" * depth for n in range(count)))  # fmt: skip


def _xml_abstract(folder: Path, scale: float) -> Path:
    size = _scaled(limits.MAX_BYTES, scale, 1000) - 1000
    more = "<abstract>" + "word " * (size // 5) + "</abstract>"
    return _write_xml(folder, _XML_EVENT.format(n=0, day=DAY, more=more))


def _ics(folder: Path, body: bytes) -> Path:
    path = folder / "feed.ics"
    path.write_bytes(b"BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Berlin\r\n" + body
                     + b"END:VCALENDAR\r\n")  # fmt: skip
    return path


def _vevent(n: int, more: bytes = b"") -> bytes:
    return (b"BEGIN:VEVENT\r\nUID:%d@mem\r\nSUMMARY:Talk %d\r\nDTSTART:20251227T100000Z\r\n"
            b"DTEND:20251227T103000Z\r\n%sEND:VEVENT\r\n") % (n, n, more)  # fmt: skip


def _ics_lines(folder: Path, scale: float) -> Path:
    """One event, then as many lines as the line limit allows, each of a new property
    (so a reader keeping every property would keep them all), filling the byte cap."""
    count = _scaled(limits.MAX_LINES, scale) - 20
    width = _scaled(limits.MAX_BYTES, scale, 1000) // count - 1  # bytes a line, its end too
    filler = b"x" * max(1, width - 11)  # after "X-123456:", before CR LF
    return _ics(folder, _vevent(0, b"".join(b"X-%d:%s\r\n" % (n, filler)
                                            for n in range(count))))  # fmt: skip


def _ics_events(folder: Path, scale: float) -> Path:
    count = _scaled(limits.MAX_EVENTS, scale)
    return _ics(folder, b"".join(_vevent(n, b"LOCATION:Room %d\r\n" % (n % 20))
                                 for n in range(count)))  # fmt: skip


def _ics_texts(folder: Path, scale: float) -> Path:
    """Events whose folded DESCRIPTION is as long as a line may be, up to the byte cap
    (folded every 200 bytes: at the RFC's 75, 50 MB would be more lines than allowed)."""
    line = _scaled(limits.MAX_VALUE, scale, 400) - 300
    fold = b"\r\n ".join([b"word " * 40] * (line // 201))
    events = max(1, _scaled(limits.MAX_BYTES, scale, 1000) // (len(fold) + 200))
    return _ics(folder, b"".join(_vevent(n, b"DESCRIPTION:" + fold + b"\r\n")
                                 for n in range(events)))  # fmt: skip


def _usenix(folder: Path, scale: float) -> Path:
    """The most papers: with a session for every ten, and the schedule's other events,
    as many as the event limit allows."""
    directory = folder / "usenix"
    papers = _scaled(limits.MAX_EVENTS * 10 // 11 - 100, scale, 20)
    write_program(directory, papers_count=papers, days=5 if papers >= 500 else 1)
    return directory


SHAPES = (
    Shape("frab/pretalx JSON", "most JSON values", _json_values, "json"),
    Shape("frab/pretalx JSON", "most events and people", _json_events, "json"),
    Shape("frab/pretalx JSON", "the longest text, 6 MB", _json_longest_text, "json"),
    Shape("frab/pretalx JSON", "one abstract of 50 MB", _json_abstract, "json", accepted=False),
    Shape("frab/pretalx JSON", "a title of 50 MB of \\u", _json_escapes, "json", accepted=False),
    Shape("frab/pretalx JSON", "48 MB of {}", _json_small_objects, "json", accepted=False),
    Shape("frab/pretalx JSON", "nested, most events", _json_nested, "json"),
    Shape("Indico JSON", "most events and people", _indico_events, "json"),
    Shape("schedule.xml", "most XML elements", _xml_elements, "xml"),
    Shape("schedule.xml", "most events and people", _xml_events, "xml"),
    Shape("schedule.xml", "rooms nested, most events", _xml_nested, "xml"),
    Shape("schedule.xml", "one abstract of 50 MB", _xml_abstract, "xml"),
    Shape("iCalendar", "most lines, 50 MB", _ics_lines, "lines"),
    Shape("iCalendar", "most events", _ics_events, "lines"),
    Shape("iCalendar", "longest lines, 50 MB", _ics_texts, "lines"),
    Shape("USENIX toc + schedule.json", "most papers", _usenix, "usenix"),
)


def _plain_json(path: Path) -> object:
    return json.loads(path.read_bytes())


def _plain_xml(path: Path) -> object:
    from xml.etree import ElementTree

    return ElementTree.parse(path)


def _plain_lines(path: Path) -> object:
    return path.read_bytes().splitlines()


def _plain_usenix(path: Path) -> object:
    return (path / "program.txt").read_text().splitlines(), _plain_json(path / "schedule.json")


# What a program would cost read the plain way: the whole document parsed, nothing bounded.
PLAIN: dict[str, Callable[[Path], object]] = {
    "json": _plain_json, "xml": _plain_xml, "lines": _plain_lines, "usenix": _plain_usenix,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Measured:
    shape: Shape
    size: int  # bytes read
    peak_kb: int  # read by read_source
    plain_kb: int  # read by the plain parse
    seconds: float
    outcome: str  # 'N events' or the refusal's sentence
    stall_ms: float  # the event loop's longest stall while it was read in a worker thread
    beside_ms: float  # the same, while another read started before it ended during it


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size


def _in_fresh_process(how: str, *paths: Path) -> dict[str, object]:
    command = [sys.executable, "-m", "benchmarks.memory", "--one", how, *map(str, paths)]
    root = Path(__file__).resolve().parents[1]  # where `-m benchmarks.memory` is found
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=root)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(shapes: tuple[Shape, ...], scale: float, folder: Path) -> tuple[int, list[Measured]]:
    """The baseline's peak (KB) and each shape's, read and parsed plainly, each in a
    fresh process, and the loop's longest stalls while it was read (in a third)."""
    baseline = int(str(_in_fresh_process("imports")["peak_kb"]))
    (folder / "beside").mkdir()
    beside = _json_events(folder / "beside", scale * BESIDE_EVENTS / limits.MAX_EVENTS)
    found = []
    for n, shape in enumerate(shapes):
        place = folder / str(n)
        place.mkdir()
        path = shape.write(place, scale)
        read = _in_fresh_process("reader", path)
        plain = _in_fresh_process(shape.plain, path)
        stalls = _in_fresh_process("stalls", path, beside)
        found.append(Measured(shape, _size(path), int(str(read["peak_kb"])),
                              int(str(plain["peak_kb"])), float(str(read["seconds"])),
                              str(read["outcome"]), float(str(stalls["alone_ms"])),
                              float(str(stalls["beside_ms"]))))  # fmt: skip
        for item in sorted(place.rglob("*"), reverse=True):
            item.rmdir() if item.is_dir() else item.unlink()
    return baseline, found


def table(baseline: int, found: list[Measured]) -> str:
    """Peaks in MB over the baseline process (which only imported the readers); the
    event loop's longest stalls in ms, the read alone and beside another."""
    rows = [f"{'reader':<27} {'file':<26} {'MB':>5} {'read +MB':>8} {'plain +MB':>9}"
            f" {'s':>5} {'stall ms':>8} {'beside':>6}  outcome",
            f"(a process that only imported the readers: {baseline / 1024:.0f} MB)"]  # fmt: skip
    for m in found:
        rows.append(f"{m.shape.reader:<27} {m.shape.what:<26} {m.size / 1e6:>5.1f}"
                    f" {(m.peak_kb - baseline) / 1024:>8.0f} {(m.plain_kb - baseline) / 1024:>9.0f}"
                    f" {m.seconds:>5.2f} {m.stall_ms:>8.0f} {m.beside_ms:>6.0f}"
                    f"  {m.outcome[:90]}")  # fmt: skip
    return "\n".join(rows)


BESIDE_EVENTS = 400  # in the program read beside each file (see _stalls)


def _read(path: Path) -> object:
    """What the bot's reader makes of a file: the program, or the refusal."""
    from bot.importer.errors import ProgramFileError
    from bot.importer.registry import read_source

    try:
        return read_source(path, "Europe/Berlin")
    except ProgramFileError as exc:
        return exc


async def _stalls(path: Path, beside: Path) -> dict[str, float]:
    """The event loop's longest stall (ms) while `path` is read as the bot reads a
    program, in a worker thread with the GIL handed over each 1 ms: alone, then while
    `beside` is read too, from just before until during it (while one read paused the
    cycle collector, the other's end once let it walk everything built so far: 226 ms).
    What was read is kept, as the bot keeps a program."""
    from benchmarks.stalls import longest_stall
    from bot.bulk import favour_the_loop

    favour_the_loop()
    kept: list[object] = []

    async def alone() -> None:
        kept.append(await asyncio.to_thread(_read, path))

    async def beside_another() -> None:
        loop = asyncio.get_running_loop()
        underway = asyncio.Event()

        def read_beside() -> object:
            # Said at once: the read pauses the collector within microseconds, long
            # before the second worker thread is started and reads.
            loop.call_soon_threadsafe(underway.set)
            return _read(beside)

        other = asyncio.ensure_future(asyncio.to_thread(read_beside))
        await underway.wait()
        kept.append(await asyncio.to_thread(_read, path))
        kept.append(await other)

    _, stall = await longest_stall(alone)
    _, stall_beside = await longest_stall(beside_another)
    return {"alone_ms": stall * 1000, "beside_ms": stall_beside * 1000}


def _one(how: str, path: str = "", beside: str = "") -> None:
    """Read one file by the reader, or plainly, or only import (the baseline), and print
    what it cost; or print the event loop's stalls while it is read."""
    from bot.importer.errors import ProgramFileError
    from bot.importer.registry import read_source

    if how == "stalls":
        print(json.dumps(asyncio.run(_stalls(Path(path), Path(beside)))))
        return
    started = time.perf_counter()
    outcome = "imports only"
    if how == "reader":
        try:
            loaded = read_source(Path(path), "Europe/Berlin")
            outcome = f"{len(loaded.program.talks):,} events"
        except ProgramFileError as exc:
            outcome = f"refused: {exc.reason}"
    elif how in PLAIN:
        PLAIN[how](Path(path))
        outcome = "parsed"
    seconds = time.perf_counter() - started
    print(json.dumps({"peak_kb": _peak_kb(), "seconds": seconds, "outcome": outcome}))


def _peak_kb() -> int:
    """This process's peak resident memory: VmHWM (ru_maxrss on Linux can carry, across
    exec, the size of the process that forked it: the benchmark that wrote the files)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("--scale", type=float, default=1.0, help="of every limit and size")
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        _one(*args.one)
        return 0
    with tempfile.TemporaryDirectory(prefix="confbot-memory-") as tmp:
        baseline, found = measure(SHAPES, args.scale, Path(tmp))
    print(table(baseline, found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
